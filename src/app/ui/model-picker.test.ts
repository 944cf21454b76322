// Model picker: the default model prefers real weights; option labels carry the size, what this browser holds of the
// model and a random-weights warning; the line under it offers Download or Resume download.
import { describe, expect, it } from 'vitest';
import type { DownloadStatus, ModelInfo } from '../../shared/engine-api';
import { defaultModel, downloadLine, optionLabel } from './model-picker';

const BYTES = 232_480_000;

const model = (
  id: string,
  label: string,
  randomWeights: boolean,
  download: Partial<DownloadStatus> = {},
  offline = false,
): ModelInfo => ({
  id,
  label,
  randomWeights,
  imageSize: 256,
  patchNums: [1, 2, 3, 4, 5, 6, 8, 10, 13, 16],
  numClasses: 1000,
  bytes: BYTES,
  url: `/models/${id}/`,
  download: { state: 'not-downloaded', storedBytes: 0, totalBytes: BYTES, ...download },
  offline,
  canEdit: true,
});

describe('model picker', () => {
  it('defaults to the first model with real weights, else the first', () => {
    const tiny = model('tiny', 'Tiny', true);
    const d16 = model('var_d16', 'VAR-d16 (310M)', false);
    expect(defaultModel([tiny, d16])).toBe(d16);
    expect(defaultModel([tiny])).toBe(tiny);
    expect(defaultModel([])).toBeUndefined();
  });

  it('labels options with the download size and state, and warns about random weights once', () => {
    expect(optionLabel(model('var_d16', 'VAR-d16 (310M)', false))).toBe('VAR-d16 (310M) · 232.5 MB · not downloaded');
    expect(optionLabel(model('var_d16', 'VAR-d16 (310M)', false, { state: 'downloaded', storedBytes: BYTES }))).toBe(
      'VAR-d16 (310M) · 232.5 MB · downloaded',
    );
    expect(optionLabel(model('var_d16', 'VAR-d16 (310M)', false, { state: 'partial', storedBytes: 93_000_000 }))).toBe(
      'VAR-d16 (310M) · 232.5 MB · 40 % downloaded',
    );
    expect(optionLabel(model('x', 'Synthetic d16', true))).toBe(
      'Synthetic d16 · 232.5 MB · not downloaded · random weights',
    );
    expect(optionLabel(model('tiny', 'Tiny test model (random weights)', true))).toBe(
      'Tiny test model (random weights) · 232.5 MB · not downloaded',
    );
  });

  it('says when a model was listed from the store because the models index is offline', () => {
    const m = model('var_d16', 'VAR-d16 (310M)', false, { state: 'downloaded', storedBytes: BYTES }, true);
    expect(optionLabel(m)).toBe('VAR-d16 (310M) · 232.5 MB · downloaded · offline');
    expect(downloadLine(m)).toEqual({ text: expect.stringMatching(/^Offline/), button: '' });
  });

  it('offers Download, Resume download, or nothing when the model is stored', () => {
    expect(downloadLine(model('a', 'A', false))).toEqual({
      text: 'Not downloaded: download it now (232.5 MB), or Generate downloads it first.',
      button: 'Download',
    });
    expect(downloadLine(model('a', 'A', false, { state: 'partial', storedBytes: 93_000_000 }))).toEqual({
      text: '93.0 / 232.5 MB downloaded (40 %): resume it now, or Generate finishes it first.',
      button: 'Resume download',
    });
    expect(downloadLine(model('a', 'A', false, { state: 'downloaded', storedBytes: BYTES })).button).toBe('');
  });

  it('says which models are not available offline when the browser is offline', () => {
    const stored = model('tiny', 'Tiny', true, { state: 'downloaded', storedBytes: BYTES });
    const missing = model('var_d16', 'VAR-d16', false, { state: 'partial', storedBytes: 4 });
    expect(optionLabel(stored, false)).not.toMatch(/not available offline/);
    expect(optionLabel(missing, false)).toMatch(/ · not available offline$/);
    expect(optionLabel(missing, true)).not.toMatch(/offline/);
    expect(downloadLine(missing, false)).toEqual({
      text: 'Not available offline: download it once while online.',
      button: '',
    });
  });
});
