// VQ-VAE config inference and strict key/shape validation on the fixture and the real key list.

import { describe, expect, it } from 'vitest';
import { errorOf, openFixture, readFixtureJson, readKeysTsv } from '../../testing/fixtures';
import { expectedVqvaeKeys, inferVqvaeConfig, readVqvaeConfig, validateVqvaeStateDict } from './vqvae-config';

interface CasesJson {
  config: {
    vqvae: {
      ddconfig: {
        ch: number;
        ch_mult: number[];
        num_res_blocks: number;
        z_channels: number;
        using_sa: boolean;
        using_mid_sa: boolean;
      };
      vocab_size: number;
      share_quant_resi: number;
      v_patch_nums: number[];
    };
  };
}

describe('VQ-VAE config inference', () => {
  it('infers the tiny fixture config exactly as cases.json describes it', async () => {
    const { vqvae } = (await readFixtureJson<CasesJson>('cases.json')).config;
    const c = await readVqvaeConfig(await openFixture('tiny_vae.pth'));
    expect(c).toEqual({
      ch: vqvae.ddconfig.ch,
      chMult: vqvae.ddconfig.ch_mult,
      numResBlocks: vqvae.ddconfig.num_res_blocks,
      zChannels: vqvae.ddconfig.z_channels,
      vocabSize: vqvae.vocab_size,
      phiCount: vqvae.share_quant_resi,
      numScales: vqvae.v_patch_nums.length,
      usingSa: vqvae.ddconfig.using_sa,
      usingMidSa: vqvae.ddconfig.using_mid_sa,
      inChannels: 3,
    });
    expect(c).toMatchObject({
      ch: 32,
      chMult: [1, 1, 1, 1, 2],
      numResBlocks: 2,
      zChannels: 32,
      vocabSize: 4096,
      phiCount: 4,
    });
  });

  it('validates every key and shape of the real vae_ch160v4096z32 (no data needed)', async () => {
    const infos = await readKeysTsv('vae_ch160v4096z32.tsv');
    const c = inferVqvaeConfig(infos, 'vae_ch160v4096z32.pth');
    expect(c).toMatchObject({
      ch: 160,
      chMult: [1, 1, 2, 2, 4],
      numResBlocks: 2,
      zChannels: 32,
      vocabSize: 4096,
      phiCount: 4,
    });
    validateVqvaeStateDict(infos, c, 'vae_ch160v4096z32.pth');
    expect([...expectedVqvaeKeys(c).keys()]).toEqual(infos.map((i) => i.name));
  });

  it('reports a decoder-only state dict as missing its encoder keys', async () => {
    const infos = (await readKeysTsv('vae_ch160v4096z32.tsv')).filter((i) => !i.name.startsWith('encoder.'));
    const c = inferVqvaeConfig(infos, 'decoder_only.pth');
    expect(c.chMult).toEqual([1, 1, 2, 2, 4]);
    const error = errorOf(() => validateVqvaeStateDict(infos, c, 'decoder_only.pth'));
    expect(error.code).toBe('E_MISSING_KEYS');
    expect(error.message).toContain('encoder.conv_in.weight');
  });

  it('reports a wrong nin_shortcut shape and an unexpected key', async () => {
    const infos = await readKeysTsv('vae_ch160v4096z32.tsv');
    const wrong = infos.map((i) =>
      i.name === 'decoder.up.3.block.0.nin_shortcut.weight' ? { ...i, shape: [320, 640, 3, 3] } : i,
    );
    const shape = errorOf(() => validateVqvaeStateDict(wrong, inferVqvaeConfig(wrong), 'vae.pth'));
    expect(shape.code).toBe('E_SHAPE_MISMATCH');
    expect(shape.message).toContain(
      'decoder.up.3.block.0.nin_shortcut.weight: expected [320, 640, 1, 1], got [320, 640, 3, 3]',
    );
    const extra = [...infos, { name: 'decoder.up.2.attn.0.norm.weight', shape: [320], dtype: 'float32' as const }];
    const unexpected = errorOf(() => validateVqvaeStateDict(extra, inferVqvaeConfig(extra), 'vae.pth'));
    expect(unexpected.code).toBe('E_UNEXPECTED_KEYS');
    expect(unexpected.message).toContain('decoder.up.2.attn.0.norm.weight');
  });

  it('rejects channel counts that GroupNorm(32) cannot split', async () => {
    const infos = (await readKeysTsv('vae_ch160v4096z32.tsv')).map((i) =>
      i.name === 'decoder.up.2.block.0.conv1.weight' ? { ...i, shape: [330, 640, 3, 3] } : i,
    );
    expect(errorOf(() => inferVqvaeConfig(infos, 'odd.pth')).code).toBe('E_UNSUPPORTED_ARCHITECTURE');
  });
});
