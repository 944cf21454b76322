// The official models in the model picker: offered until their 4-bit pack is in the list, with what converting
// downloads and keeps, and a large-GPU warning for d24/d30.
import { describe, expect, it } from 'vitest';
import type { ModelInfo } from '../../shared/engine-api';
import { OFFICIAL_MODELS, officialModelSummary } from '../../shared/official-models';
import { officialEntries, officialLine } from './model-picker';

const pack = (id: string): ModelInfo => ({
  id,
  label: id,
  randomWeights: false,
  imageSize: 256,
  patchNums: [1, 2, 3, 4, 5, 6, 8, 10, 13, 16],
  numClasses: 1000,
  bytes: 1,
  url: `converted:/${id}/`,
  download: { state: 'downloaded', storedBytes: 1, totalBytes: 1 },
  offline: false,
  canEdit: true,
});

describe('official models in the picker', () => {
  it('are offered until their 4-bit pack is listed (other weights are another pack)', () => {
    expect(officialEntries([pack('tiny')]).map((o) => o.name)).toEqual(['VAR-d16', 'VAR-d20', 'VAR-d24', 'VAR-d30']);
    expect(officialEntries([pack('tiny'), pack('var_d16-q4'), pack('var_d20-q8')]).map((o) => o.name)).toEqual([
      'VAR-d20',
      'VAR-d24',
      'VAR-d30',
    ]);
  });

  it('say what converting downloads and keeps, and which need a large GPU', () => {
    const [d16, , , d30] = OFFICIAL_MODELS;
    if (!d16 || !d30) throw new Error('catalog');
    expect(officialModelSummary(d16)).toBe('VAR-d16 · FID 3.55 · downloads 1.7 GB once, keeps 278 MB');
    expect(officialLine(d16)).toEqual({
      info: '310M parameters · FID 3.55 · 256×256 px · 10 scales',
      text: 'Not in this browser yet: Download and convert fetches the official checkpoints from Hugging Face (1.7 GB, once) and keeps a 4-bit model (278 MB).',
      button: 'Download and convert',
    });
    expect(officialModelSummary(d30)).toMatch(
      /^VAR-d30 · FID 1\.97 · downloads 8\.5 GB once, keeps 1\.2 GB · large GPU, ~\d\.\d GB$/,
    );
    expect(officialLine(d30).info).toMatch(/needs a large GPU \(~\d\.\d GB\)$/);
  });
});
