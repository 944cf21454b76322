// bench:gpu on a machine without a GPU (this one, and CI): a clear refusal with status 2, never a crash or a
// software adapter's figures. (Where a GPU is lent, the same command prints the measurements.)
import { describe, expect, it } from 'vitest';
import { findHardwareAdapter, runBenchGpu } from './bench-gpu';

function io() {
  let stdout = '';
  let stderr = '';
  return {
    io: { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } },
    out: () => stdout,
    err: () => stderr,
  };
}

describe('bench:gpu without a GPU', () => {
  it('finds no hardware adapter here, and says why', async () => {
    const found = await findHardwareAdapter();
    expect('reason' in found).toBe(true);
  });

  it('exits with 2 and "no WebGPU adapter", having measured nothing', async () => {
    const run = io();
    expect(await runBenchGpu(['--runs', '1'], run.io)).toBe(2);
    expect(run.err()).toMatch(/^bench:gpu: no WebGPU adapter to measure: /);
    expect(run.out()).toBe('');
  });

  it('refuses bad arguments with 2 before looking for an adapter', async () => {
    const run = io();
    expect(await runBenchGpu(['--runs', '0'], run.io)).toBe(2);
    expect(run.err()).toMatch(/--runs must be an integer ≥ 1/);
  });
});
