// One generation at a time owns the device, and the latest request wins: starting a run cancels the running one
// (it ends within one scale) and waits for it to stop before the new one starts.

import { VarError } from '../../src/shared/errors';

export interface Run {
  readonly id: number;
  /** Aborted when the run is cancelled: VarPipeline polls it between scales, downloads stop at once. */
  readonly signal: AbortSignal;
}

export class RunQueue {
  private current: { run: Run; abort: AbortController; done: Promise<unknown> } | undefined;
  private counter = 0;
  /** The id of the newest start() call: of requests waiting for the same run to stop, only it may run. */
  private latest = 0;

  /** Cancels the running run, if any, and resolves once it has stopped (whether it failed or not). */
  async cancel(): Promise<void> {
    const current = this.current;
    if (!current) return;
    current.abort.abort('cancelled');
    await current.done.catch(() => undefined);
  }

  /** Runs `work` as the only run, after cancelling the one before it. */
  async start<T>(work: (run: Run) => Promise<T>): Promise<T> {
    const id = ++this.counter;
    this.latest = id;
    await this.cancel();
    // A newer request arrived while the previous run was stopping: it wins, and this one never starts.
    if (this.latest !== id) throw new VarError('E_ABORTED', 'Generation was replaced by a newer request');
    const abort = new AbortController();
    const run: Run = { id, signal: abort.signal };
    const done = work(run);
    const entry = { run, abort, done };
    this.current = entry;
    try {
      return await done;
    } finally {
      if (this.current === entry) this.current = undefined;
    }
  }
}
