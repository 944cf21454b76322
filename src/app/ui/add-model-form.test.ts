import { describe, expect, it } from 'vitest';
import type { ConvertProgress } from '../../shared/engine-api';
import { convertProgressText, RateMeter, WEIGHT_OPTIONS } from './add-model-form';

const base: ConvertProgress = {
  phase: 'converting',
  name: 'var_d16-q4',
  checkpointBytes: 1679.2e6,
  fetchedBytes: 412.3e6,
  hashedBytes: 0,
  tensorsDone: 120,
  tensorsTotal: 525,
  packBytesDone: 69.4e6,
  packBytes: 277.6e6,
  resumedBytes: 0,
  file: 'transformer.data',
  fileBytesDone: 1,
  fileBytes: 2,
};

describe('the Add a model form', () => {
  it('says what each phase is doing, with MB / total, speed, time left and tensors while converting', () => {
    expect(convertProgressText({ ...base, phase: 'checking' }, null, 0)).toBe('Checking the checkpoints…');
    expect(convertProgressText({ ...base, phase: 'hashing', hashedBytes: 120e6 }, null, 0)).toBe(
      'Hashing the files: 120.0 MB / 1679 MB',
    );
    // A quarter of the pack in 30 s: 90 s left.
    expect(convertProgressText(base, 25.1e6, 30_000)).toBe(
      'Downloading and converting: 412.3 MB / 1679 MB fetched · 25.1 MB/s · 1 min 30 s left · tensors 120 / 525',
    );
    expect(convertProgressText({ ...base, resumedBytes: 30e6 }, null, 1000)).toContain(
      'resumed: 30.0 MB of the pack was already written',
    );
    expect(convertProgressText({ ...base, phase: 'writing' }, null, 0)).toBe('Writing the manifest…');
  });

  it('the Weights options map to the --quant variants', () => {
    expect(WEIGHT_OPTIONS.map((o) => `${o.label}=${o.quant}`)).toEqual([
      '4-bit=q4',
      '8-bit=q8',
      '16-bit=fp16',
      '32-bit=none',
    ]);
  });

  it('speed over the last seconds of progress', () => {
    const meter = new RateMeter(4000);
    expect(meter.add(0, 0)).toBeNull();
    expect(meter.add(1000, 10e6)).toBe(10e6);
    expect(meter.add(2000, 30e6)).toBe(15e6);
  });
});
