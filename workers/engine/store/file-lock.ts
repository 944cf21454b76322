// One writer per stored file across tabs and workers: Web Locks where the browser has them, an in-process queue
// otherwise (Node tests, old browsers), so a second load waits and then finds the file complete.

import { VarError } from '../../../src/shared/errors';

/** The part of `navigator.locks` the store uses (injectable for tests). */
export interface LockManagerLike {
  /**
   * Runs `callback` holding the lock. With `ifAvailable`, runs it at once, given `held: false` when another holder
   * has the lock (Web Locks' `ifAvailable`, whose callback then receives null).
   */
  request<T>(
    name: string,
    options: { signal?: AbortSignal; ifAvailable?: boolean },
    callback: (held: boolean) => Promise<T>,
  ): Promise<T>;
}

export function browserLocks(): LockManagerLike | undefined {
  if (typeof navigator === 'undefined' || !navigator.locks) return undefined;
  const locks = navigator.locks;
  return {
    request: <T>(
      name: string,
      options: { signal?: AbortSignal; ifAvailable?: boolean },
      callback: (held: boolean) => Promise<T>,
    ) => locks.request(name, options, (lock) => callback(lock !== null)) as Promise<T>,
  };
}

const queues = new Map<string, Promise<unknown>>();

/** The in-process stand-in: callbacks with the same name run one after another. */
export const inProcessLocks: LockManagerLike = {
  request<T>(
    name: string,
    options: { signal?: AbortSignal; ifAvailable?: boolean },
    callback: (held: boolean) => Promise<T>,
  ): Promise<T> {
    if (options.ifAvailable && queues.has(name)) return callback(false);
    const previous = queues.get(name) ?? Promise.resolve();
    const run = previous.then(
      () => {
        options.signal?.throwIfAborted();
        return callback(true);
      },
      () => {
        options.signal?.throwIfAborted();
        return callback(true);
      },
    );
    const tail = run.catch(() => undefined);
    queues.set(name, tail);
    void tail.then(() => {
      if (queues.get(name) === tail) queues.delete(name);
    });
    return run;
  },
};

export function fileLockName(sha256: string): string {
  return `var-web-file-${sha256}`;
}

/**
 * Runs `work` holding the lock of the file `sha256` if no one holds it now; else returns undefined without waiting
 * (for what must not wait behind a long writer: deleting a conversion another tab is running).
 */
export function withFileLockIfFree<T>(
  sha256: string,
  work: () => Promise<T>,
  locks: LockManagerLike | undefined,
): Promise<T | undefined> {
  const manager = locks ?? browserLocks() ?? inProcessLocks;
  return manager.request(fileLockName(sha256), { ifAvailable: true }, (held) =>
    held ? work() : Promise.resolve(undefined),
  );
}

/** Runs `work` holding the lock of the file `sha256`; an abort while waiting for it is E_ABORTED. */
export async function withFileLock<T>(
  sha256: string,
  work: () => Promise<T>,
  locks: LockManagerLike | undefined,
  signal?: AbortSignal,
): Promise<T> {
  const manager = locks ?? browserLocks() ?? inProcessLocks;
  try {
    return await manager.request(fileLockName(sha256), signal ? { signal } : {}, work);
  } catch (error) {
    if (signal?.aborted && !(error instanceof VarError)) {
      throw new VarError('E_ABORTED', 'Download cancelled', { sha256 }, { cause: error });
    }
    throw error;
  }
}
