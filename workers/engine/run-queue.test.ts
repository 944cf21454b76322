import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../src/shared/errors';
import { type Run, RunQueue } from './run-queue';

/** A run that polls its signal every tick, as VarPipeline does between scales, and ends when told or cancelled. */
function pollingRun(log: string[], name: string, ticks = 1000) {
  return async (run: Run): Promise<string> => {
    for (let i = 0; i < ticks; i++) {
      if (run.signal.aborted) {
        log.push(`${name} aborted`);
        throw new Error(`${name} aborted`);
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    log.push(`${name} done`);
    return name;
  };
}

describe('RunQueue', () => {
  it('runs one request to completion with a fresh id each time', async () => {
    const queue = new RunQueue();
    const ids: number[] = [];
    await queue.start(async (run) => ids.push(run.id));
    await queue.start(async (run) => ids.push(run.id));
    expect(ids).toEqual([1, 2]);
  });

  it('cancels the running request when a new one starts, and starts the new one only after the old one stopped', async () => {
    const queue = new RunQueue();
    const log: string[] = [];
    const first = queue.start(pollingRun(log, 'a'));
    await new Promise((r) => setTimeout(r, 5));
    const second = queue.start(async (run) => {
      log.push(`b started (a stopped: ${log.includes('a aborted')})`);
      return pollingRun(log, 'b', 3)(run);
    });
    await expect(first).rejects.toThrow('a aborted');
    await expect(second).resolves.toBe('b');
    expect(log).toEqual(['a aborted', 'b started (a stopped: true)', 'b done']);
  });

  it('of several requests made while a run stops, only the latest runs; the others fail with E_ABORTED', async () => {
    const queue = new RunQueue();
    const log: string[] = [];
    const running = queue.start(pollingRun(log, 'a'));
    await new Promise((r) => setTimeout(r, 5));
    const storm = ['b', 'c', 'd'].map((name) => queue.start(pollingRun(log, name, 2)));
    const outcomes = await Promise.allSettled([running, ...storm]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected', 'fulfilled']);
    for (const o of outcomes.slice(1, 3))
      expect(hasErrorCode((o as PromiseRejectedResult).reason, 'E_ABORTED')).toBe(true);
    expect(log).toEqual(['a aborted', 'd done']);
  });

  it('cancel() resolves once the run has stopped, and is a no-op when nothing runs', async () => {
    const queue = new RunQueue();
    await queue.cancel();
    const log: string[] = [];
    const run = queue.start(pollingRun(log, 'a'));
    run.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 5));
    await queue.cancel();
    expect(log).toEqual(['a aborted']);
  });
});
