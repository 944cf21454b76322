// Download speed: only bytes that arrive count (not files the store holds, not where a resumed file starts), smoothed.
import { describe, expect, it } from 'vitest';
import type { LoadProgress } from '../shared/engine-api';
import { type RateState, trackRate } from './download-rate';

const report = (file: string, fileLoadedBytes: number, phase: LoadProgress['phase'] = 'download'): LoadProgress => ({
  modelId: 'tiny',
  phase,
  file,
  fileLoadedBytes,
  fileBytes: 10_000_000,
  loadedBytes: 0,
  totalBytes: 20_000_000,
});

/** Feeds [time ms, report] pairs through trackRate. */
function track(steps: readonly [number, LoadProgress][]): RateState {
  let state: RateState | null = null;
  for (const [t, p] of steps) state = trackRate(state, p, t);
  if (!state) throw new Error('no steps');
  return state;
}

describe('download rate', () => {
  it('is unknown at first, then the bytes of the first full interval per second', () => {
    expect(track([[0, report('a', 0)]]).bytesPerSecond).toBeNull();
    // 100 ms is shorter than the 250 ms interval: not measured yet.
    expect(
      track([
        [0, report('a', 0)],
        [100, report('a', 100_000)],
      ]).bytesPerSecond,
    ).toBeNull();
    const s = track([
      [0, report('a', 0)],
      [100, report('a', 100_000)],
      [500, report('a', 1_000_000)],
    ]);
    expect(s.bytesPerSecond).toBeCloseTo(2_000_000);
    expect(s.arrivedBytes).toBe(1_000_000);
  });

  it('does not count bytes a file had before it was reported (stored files, resumed files)', () => {
    const s = track([
      [0, report('a', 0)],
      // b comes complete from the store, c resumes at 6 MB: neither arrived over the network.
      [10, report('b', 10_000_000)],
      [20, report('c', 6_000_000)],
      [1020, report('c', 7_000_000)],
    ]);
    expect(s.arrivedBytes).toBe(1_000_000);
    // The interval runs from the first report: 1 MB in 1.02 s.
    expect(s.bytesPerSecond).toBeCloseTo(1_000_000 / 1.02);
  });

  it('waits for the first bytes before it measures (a slow start is not a slow download)', () => {
    const s = track([
      [0, report('a', 0)],
      [2000, report('a', 0)],
      [2500, report('a', 1_000_000)],
    ]);
    expect(s.bytesPerSecond).toBeCloseTo(2_000_000);
  });

  it('smooths: a sudden change moves the speed part of the way, a steady one converges', () => {
    let state = track([
      [0, report('a', 0)],
      [1000, report('a', 1_000_000)],
    ]);
    expect(state.bytesPerSecond).toBeCloseTo(1_000_000);
    // Then 5 MB/s for one second: the average moves by 1 - e^(-1/3) of the gap.
    state = trackRate(state, report('a', 6_000_000), 2000);
    const expected = 1_000_000 + (1 - Math.exp(-1 / 3)) * 4_000_000;
    expect(state.bytesPerSecond).toBeCloseTo(expected);
    let bytes = 6_000_000;
    for (let t = 3000; t <= 30_000; t += 1000) {
      bytes += 5_000_000;
      state = trackRate(state, report('a', bytes), t);
    }
    expect(state.bytesPerSecond).toBeGreaterThan(4_950_000);
    expect(state.bytesPerSecond).toBeLessThanOrEqual(5_000_000);
  });

  it('a stall lowers the speed; session reports change nothing', () => {
    const running = track([
      [0, report('a', 0)],
      [1000, report('a', 2_000_000)],
    ]);
    const stalled = trackRate(running, report('a', 2_000_000), 4000);
    expect(stalled.bytesPerSecond).toBeLessThan(1_000_000);
    expect(trackRate(running, report('', 0, 'session'), 9000)).toBe(running);
  });
});
