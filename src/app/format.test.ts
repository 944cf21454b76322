// What the page prints: sizes, durations, scale lines, progress, file names and error descriptions.
import { describe, expect, it } from 'vitest';
import { VarError } from '../shared/errors';
import {
  describeError,
  formatMegabytes,
  formatMs,
  pngFileName,
  progressFraction,
  progressLabel,
  scaleLabel,
  slug,
} from './format';

describe('format', () => {
  it('sizes in decimal megabytes', () => {
    expect(formatMegabytes(7_400_000)).toBe('7.4 MB');
    expect(formatMegabytes(1_240_300_000)).toBe('1240 MB');
    expect(formatMegabytes(0)).toBe('0.0 MB');
  });

  it('durations', () => {
    expect(formatMs(412.4)).toBe('412 ms');
    expect(formatMs(3140)).toBe('3.1 s');
  });

  it('scale lines', () => {
    expect(scaleLabel(6, 10, 10)).toBe('scale 7/10 · 10×10');
  });

  it('file names', () => {
    expect(pngFileName(207, 'golden retriever', 0)).toBe('var-207-golden-retriever-seed0.png');
    expect(pngFileName(607, "jack-o'-lantern", 12)).toBe('var-607-jack-o-lantern-seed12.png');
    expect(slug('  Crème brûlée! ')).toBe('creme-brulee');
    expect(pngFileName(1, '!!!', 3)).toBe('var-1-seed3.png');
  });

  it('load progress', () => {
    const p = { modelId: 'tiny', phase: 'download', file: 'var.onnx', loadedBytes: 2_500_000, totalBytes: 10_000_000 };
    expect(progressFraction({ ...p, phase: 'download' })).toBe(0.25);
    expect(progressLabel({ ...p, phase: 'download' })).toBe('Downloading the model: 2.5 / 10 MB (var.onnx)');
    expect(progressFraction({ ...p, phase: 'download', totalBytes: 0 })).toBeNull();
    expect(progressLabel({ ...p, phase: 'download', totalBytes: 0 })).toBe('Downloading the model: 2.5 MB (var.onnx)');
    expect(progressFraction({ ...p, phase: 'session' })).toBeNull();
    expect(progressLabel({ ...p, phase: 'session' })).toBe('Preparing the model (var.onnx)…');
    expect(progressLabel({ ...p, phase: 'session', file: '' })).toBe('Preparing the model…');
  });

  it('errors with and without a code', () => {
    expect(describeError(new VarError('E_IO', 'fetch failed'))).toEqual({ code: 'E_IO', message: 'fetch failed' });
    expect(describeError({ code: 'E_PACK_CORRUPT', message: 'bad hash' })).toEqual({
      code: 'E_PACK_CORRUPT',
      message: 'bad hash',
    });
    expect(describeError(new Error('boom'))).toEqual({ code: null, message: 'boom' });
    expect(describeError('text')).toEqual({ code: null, message: 'text' });
  });
});
