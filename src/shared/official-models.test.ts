import { describe, expect, it } from 'vitest';
import { syntheticModel } from '../core/pack/synthetic';
import { convertedPackName, OFFICIAL_MODELS, OFFICIAL_VAE, officialModelSummary } from './official-models';

describe('official models', () => {
  it('the picker line the issue gives for d16, and d24/d30 marked large GPU with their memory', () => {
    const [d16, , d24, d30] = OFFICIAL_MODELS;
    expect(officialModelSummary(d16 as (typeof OFFICIAL_MODELS)[number])).toBe(
      'VAR-d16 · FID 3.55 · downloads 1.7 GB once, keeps 278 MB',
    );
    expect(officialModelSummary(d24 as (typeof OFFICIAL_MODELS)[number])).toMatch(
      /keeps 663 MB · large GPU, ~1\.\d GB$/,
    );
    expect(officialModelSummary(d30 as (typeof OFFICIAL_MODELS)[number])).toMatch(
      /keeps 1\.2 GB · large GPU, ~2\.\d GB$/,
    );
  });

  it('URLs on the Hub, sizes in the order of the depths, pack names as the CLI gives them', () => {
    for (const m of OFFICIAL_MODELS) {
      expect(m.checkpointUrl).toBe(`https://huggingface.co/FoundationVision/var/resolve/main/var_d${m.depth}.pth`);
      expect(syntheticModel(`d${m.depth}` as 'd16').var.depth).toBe(m.depth);
    }
    expect(OFFICIAL_VAE.url.endsWith('/vae_ch160v4096z32.pth')).toBe(true);
    const q4 = OFFICIAL_MODELS.map((m) => m.packBytes.q4 as number);
    expect([...q4].sort((a, b) => a - b)).toEqual(q4);
    expect(convertedPackName(16, 'q4')).toBe('var_d16-q4');
    expect(convertedPackName(3, 'none')).toBe('var_d3');
  });
});
