// One generation at a time owns the device, and the latest request wins: starting a run cancels the running one
// (it ends within one scale) and waits for it to stop before the new one starts.

import { VarError } from '../../src/shared/errors';

/** The abort flag VarPipeline polls between scales. */
export interface RunSignal {
  aborted: boolean;
  reason?: unknown;
}

export interface Run {
  readonly id: number;
  readonly signal: RunSignal;
}

export class RunQueue {
  private current: { run: Run; done: Promise<unknown> } | undefined;
  private counter = 0;
  /** The id of the newest start() call: of requests waiting for the same run to stop, only it may run. */
  private latest = 0;

  /** Cancels the running run, if any, and resolves once it has stopped (whether it failed or not). */
  async cancel(): Promise<void> {
    const current = this.current;
    if (!current) return;
    current.run.signal.aborted = true;
    current.run.signal.reason = 'cancelled';
    await current.done.catch(() => undefined);
  }

  /** Runs `work` as the only run, after cancelling the one before it. */
  async start<T>(work: (run: Run) => Promise<T>): Promise<T> {
    const id = ++this.counter;
    this.latest = id;
    await this.cancel();
    // A newer request arrived while the previous run was stopping: it wins, and this one never starts.
    if (this.latest !== id) throw new VarError('E_ABORTED', 'Generation was replaced by a newer request');
    const run: Run = { id, signal: { aborted: false } };
    const done = work(run);
    const entry = { run, done };
    this.current = entry;
    try {
      return await done;
    } finally {
      if (this.current === entry) this.current = undefined;
    }
  }
}
