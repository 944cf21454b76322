// Download speed from the engine's load progress (pure): only bytes that arrive count, smoothed over a few seconds.
//
// A load reports each file's bytes: a file that the store already holds jumps to its size at once, and a resumed file
// starts at the bytes it had. Neither arrived over the network, so a file's first report is never counted: only what
// a file gains between two of its own reports. The speed is an exponential moving average of rates measured over
// intervals of at least `minIntervalMs` (progress can be reported many times a millisecond).

import type { LoadProgress } from '../shared/engine-api';

export interface RateState {
  /** The file of the last report and its bytes then. */
  readonly file: string;
  readonly fileLoadedBytes: number;
  /** When the current measuring interval began, and the bytes that arrived since. */
  readonly intervalStartMs: number;
  readonly intervalBytes: number;
  /** Bytes that arrived over the network since tracking began. */
  readonly arrivedBytes: number;
  /** Smoothed bytes per second; null until the first interval closed with bytes in it. */
  readonly bytesPerSecond: number | null;
}

export interface RateOptions {
  readonly minIntervalMs?: number;
  /** Time constant of the moving average: a new speed is trusted by 63 % after this long. */
  readonly smoothingMs?: number;
}

/** The state after report `p` at time `nowMs`; `prev` null starts tracking (the first report counts nothing). */
export function trackRate(
  prev: RateState | null,
  p: LoadProgress,
  nowMs: number,
  { minIntervalMs = 250, smoothingMs = 3000 }: RateOptions = {},
): RateState {
  if (!prev) {
    return {
      file: p.file,
      fileLoadedBytes: p.fileLoadedBytes,
      intervalStartMs: nowMs,
      intervalBytes: 0,
      arrivedBytes: 0,
      bytesPerSecond: null,
    };
  }
  if (p.phase !== 'download') return prev;
  const gained = p.file === prev.file ? Math.max(0, p.fileLoadedBytes - prev.fileLoadedBytes) : 0;
  const next = {
    ...prev,
    file: p.file,
    fileLoadedBytes: p.fileLoadedBytes,
    intervalBytes: prev.intervalBytes + gained,
    arrivedBytes: prev.arrivedBytes + gained,
  };
  const dt = nowMs - prev.intervalStartMs;
  if (dt < minIntervalMs) return next;
  // An interval without bytes (a pause between files, a retry's backoff) still lowers the speed.
  const rate = (next.intervalBytes * 1000) / dt;
  const smoothed =
    prev.bytesPerSecond === null
      ? next.intervalBytes > 0
        ? rate
        : null
      : prev.bytesPerSecond + (1 - Math.exp(-dt / smoothingMs)) * (rate - prev.bytesPerSecond);
  return { ...next, intervalStartMs: nowMs, intervalBytes: 0, bytesPerSecond: smoothed };
}
