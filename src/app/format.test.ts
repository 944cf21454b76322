// What the page prints: sizes, durations, scale lines, progress, file names and error descriptions.
import { describe, expect, it } from 'vitest';
import type { DownloadStatus, LoadProgress } from '../shared/engine-api';
import { VarError } from '../shared/errors';
import {
  bytesOfTotal,
  describeError,
  downloadPercent,
  downloadStateLabel,
  fileProgressFraction,
  fileProgressLabel,
  formatMegabytes,
  formatMs,
  formatSpeed,
  formatStorageBytes,
  formatTimeLeft,
  pngFileName,
  progressFraction,
  progressLabel,
  progressMilestone,
  scaleLabel,
  slug,
} from './format';

describe('format', () => {
  it('sizes in decimal megabytes', () => {
    expect(formatMegabytes(7_400_000)).toBe('7.4 MB');
    expect(formatMegabytes(232_480_000)).toBe('232.5 MB');
    expect(formatMegabytes(999_940_000)).toBe('999.9 MB');
    expect(formatMegabytes(1_240_300_000)).toBe('1240 MB');
    expect(formatMegabytes(0)).toBe('0.0 MB');
    expect(bytesOfTotal(3_700_000, 9_330_000)).toBe('3.7 / 9.3 MB');
    expect(bytesOfTotal(3_700_000, 0)).toBe('3.7 MB');
  });

  it('storage figures in MB below a gigabyte, GB above', () => {
    expect(formatStorageBytes(9_330_000)).toBe('9.3 MB');
    expect(formatStorageBytes(1_234_000_000)).toBe('1.2 GB');
    expect(formatStorageBytes(296_400_000_000)).toBe('296 GB');
  });

  it('download speeds', () => {
    expect(formatSpeed(2_130_000)).toBe('2.1 MB/s');
    expect(formatSpeed(123_600_000)).toBe('124 MB/s');
    expect(formatSpeed(85_200)).toBe('85 kB/s');
    expect(formatSpeed(100_000)).toBe('0.1 MB/s');
  });

  it('time left', () => {
    expect(formatTimeLeft(0.4)).toBe('< 1 s left');
    expect(formatTimeLeft(41.2)).toBe('42 s left');
    expect(formatTimeLeft(59.5)).toBe('1 min left');
    expect(formatTimeLeft(185)).toBe('3 min 5 s left');
    expect(formatTimeLeft(725)).toBe('12 min left');
    expect(formatTimeLeft(3780)).toBe('1 h 3 min left');
    expect(formatTimeLeft(Number.POSITIVE_INFINITY)).toBe('');
    expect(formatTimeLeft(Number.NaN)).toBe('');
    expect(formatTimeLeft(-1)).toBe('');
  });

  it('download states as the model picker says them', () => {
    const d = (state: DownloadStatus['state'], storedBytes: number): DownloadStatus => ({
      state,
      storedBytes,
      totalBytes: 10_000_000,
    });
    expect(downloadStateLabel(d('downloaded', 10_000_000))).toBe('downloaded');
    expect(downloadStateLabel(d('partial', 4_090_000))).toBe('40 % downloaded');
    expect(downloadStateLabel(d('not-downloaded', 0))).toBe('not downloaded');
    // A partial pack never reads as none or all of it.
    expect(downloadPercent(d('partial', 1_000))).toBe(1);
    expect(downloadPercent(d('partial', 9_999_000))).toBe(99);
    expect(downloadPercent({ state: 'partial', storedBytes: 0, totalBytes: 0 })).toBe(0);
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

  it('load progress: the whole pack, with speed and time left once measured', () => {
    const p: LoadProgress = {
      modelId: 'tiny',
      phase: 'download',
      file: 'var.onnx',
      fileLoadedBytes: 1_200_000,
      fileBytes: 4_800_000,
      loadedBytes: 2_500_000,
      totalBytes: 10_000_000,
    };
    expect(progressFraction(p)).toBe(0.25);
    expect(progressLabel(p)).toBe('Downloading the model: 2.5 / 10.0 MB');
    expect(progressLabel(p, { bytesPerSecond: null })).toBe('Downloading the model: 2.5 / 10.0 MB');
    expect(progressLabel(p, { bytesPerSecond: 2_500_000 })).toBe(
      'Downloading the model: 2.5 / 10.0 MB · 2.5 MB/s · 3 s left',
    );
    expect(progressLabel(p, { source: 'store', bytesPerSecond: 2_500_000 })).toBe(
      "Reading the model from this browser's storage: 2.5 / 10.0 MB",
    );
    expect(progressFraction({ ...p, totalBytes: 0 })).toBeNull();
    expect(progressLabel({ ...p, totalBytes: 0 }, { bytesPerSecond: 1e6 })).toBe(
      'Downloading the model: 2.5 MB · 1.0 MB/s',
    );
    expect(progressFraction({ ...p, phase: 'session' })).toBeNull();
    expect(progressLabel({ ...p, phase: 'session' })).toBe('Preparing the model (var.onnx)…');
    expect(progressLabel({ ...p, phase: 'session', file: '' })).toBe('Preparing the model…');
  });

  it('load progress: the file in flight', () => {
    const p: LoadProgress = {
      modelId: 'tiny',
      phase: 'download',
      file: 'transformer.data',
      fileLoadedBytes: 1_200_000,
      fileBytes: 4_800_000,
      loadedBytes: 2_500_000,
      totalBytes: 10_000_000,
    };
    expect(fileProgressLabel(p)).toBe('transformer.data: 1.2 / 4.8 MB');
    expect(fileProgressFraction(p)).toBe(0.25);
    expect(fileProgressFraction({ ...p, fileBytes: 0 })).toBeNull();
    expect(fileProgressLabel({ ...p, phase: 'session' })).toBe('');
    expect(fileProgressFraction({ ...p, phase: 'session' })).toBeNull();
  });

  it('progress milestones for screen readers', () => {
    expect([0, 0.24, 0.25, 0.6, 0.99, 1, 1.2].map(progressMilestone)).toEqual([0, 0, 25, 50, 75, 100, 100]);
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
