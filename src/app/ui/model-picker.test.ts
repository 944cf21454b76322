// Model picker: the default model prefers real weights; option labels carry the size and a random-weights warning.
import { describe, expect, it } from 'vitest';
import type { ModelInfo } from '../../shared/engine-api';
import { defaultModel, optionLabel } from './model-picker';

const model = (id: string, label: string, randomWeights: boolean): ModelInfo => ({
  id,
  label,
  randomWeights,
  imageSize: 256,
  patchNums: [1, 2, 3, 4, 5, 6, 8, 10, 13, 16],
  numClasses: 1000,
  bytes: 1_240_000_000,
  url: `/models/${id}/`,
});

describe('model picker', () => {
  it('defaults to the first model with real weights, else the first', () => {
    const tiny = model('tiny', 'Tiny', true);
    const d16 = model('var_d16', 'VAR-d16 (310M)', false);
    expect(defaultModel([tiny, d16])).toBe(d16);
    expect(defaultModel([tiny])).toBe(tiny);
    expect(defaultModel([])).toBeUndefined();
  });

  it('labels options with the download size and warns about random weights once', () => {
    expect(optionLabel(model('var_d16', 'VAR-d16 (310M)', false))).toBe('VAR-d16 (310M) · 1240 MB');
    expect(optionLabel(model('x', 'Synthetic d16', true))).toBe('Synthetic d16 · 1240 MB · random weights');
    expect(optionLabel(model('tiny', 'Tiny test model (random weights)', true))).toBe(
      'Tiny test model (random weights) · 1240 MB',
    );
  });
});
