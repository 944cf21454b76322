// Errors a run can end with that say the worker itself cannot go on.

import { VarError } from '../../src/shared/errors';

/**
 * An allocation failure (WASM memory could not grow, an ArrayBuffer could not be allocated, ORT aborted on a failed
 * malloc) as E_OUT_OF_MEMORY: the worker's heap cannot be trusted after it, so the client replaces the worker.
 */
export function outOfMemory(error: unknown): VarError | undefined {
  if (error instanceof VarError) return undefined;
  const message = error instanceof Error ? error.message : String(error);
  const oom =
    /out of memory|could not allocate memory|Array buffer allocation failed|failed to allocate|bad_alloc/i.test(
      message,
    );
  if (!oom) return undefined;
  return new VarError(
    'E_OUT_OF_MEMORY',
    `The engine ran out of memory (${message}). It has been restarted: try fewer images or a smaller model.`,
    { message },
  );
}
