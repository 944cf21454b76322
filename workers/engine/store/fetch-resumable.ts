// The fetch layer of the store: the bytes of one URL from a given offset, reconnecting with Range requests after a
// transient failure, so the caller sees one gap-free stream however often the connection drops.

import { VarError } from '../../../src/shared/errors';
import {
  DEFAULT_RETRY,
  errorText,
  isTransientStatus,
  type RetryPolicy,
  retryAfterMs,
  retryDelayMs,
  sleep,
} from '../../../src/web/http-retry';

export { DEFAULT_RETRY, isTransientStatus, type RetryPolicy, retryAfterMs };

export interface ResumableFetchOptions {
  readonly fetch?: typeof fetch;
  readonly retry?: RetryPolicy;
  readonly signal?: AbortSignal;
}

/**
 * Yields the bytes of `url` from `start` to `total` (exclusive) in order. A 206 answer continues where the last one
 * stopped; a 200 (the server ignores Range) is read from its start and the bytes before the current offset are
 * skipped. Throws VarError E_NETWORK (non-transient status, or retries exhausted), E_PACK_CORRUPT (the server has
 * more or other bytes than the manifest says) or E_ABORTED.
 */
export async function* fetchResumable(
  url: string,
  start: number,
  total: number,
  options: ResumableFetchOptions = {},
): AsyncGenerator<Uint8Array<ArrayBuffer>, void, undefined> {
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const retry = options.retry ?? DEFAULT_RETRY;
  const { signal } = options;
  let position = start;
  let failures = 0;
  let lastProblem = '';

  const backOff = async (problem: string, retryAfterMs?: number): Promise<void> => {
    lastProblem = problem;
    failures++;
    if (failures > retry.maxRetries) {
      throw new VarError('E_NETWORK', `${url}: gave up after ${failures} failed attempts (${problem})`, {
        url,
        attempts: failures,
      });
    }
    try {
      await (retry.sleep ?? sleep)(retryDelayMs(retry, failures, retryAfterMs), signal);
    } catch (error) {
      throwIfAborted(signal, url);
      throw error;
    }
  };

  while (position < total) {
    throwIfAborted(signal, url);
    let response: Response;
    try {
      response = await fetchImpl(url, {
        // No Range for a first request: some servers answer `bytes=0-` with 206, others refuse it.
        headers: position > 0 ? { Range: `bytes=${position}-` } : {},
        signal: signal ?? null,
        cache: 'no-store',
      });
    } catch (error) {
      throwIfAborted(signal, url);
      await backOff(errorText(error));
      continue;
    }
    if (isTransientStatus(response.status)) {
      await response.body?.cancel().catch(() => undefined);
      await backOff(`HTTP ${response.status}`, retryAfterMs(response.headers.get('retry-after')));
      continue;
    }
    let skip: number;
    if (response.status === 206) {
      checkContentRange(response.headers.get('content-range'), position, total, url);
      skip = 0;
    } else if (response.status === 200) {
      skip = position;
    } else {
      await response.body?.cancel().catch(() => undefined);
      throw new VarError('E_NETWORK', `${url} answered HTTP ${response.status} ${response.statusText}`.trim(), {
        url,
        status: response.status,
      });
    }
    if (!response.body) throw new VarError('E_NETWORK', `${url} answered without a body`, { url });
    const reader = response.body.getReader();
    let finished = false;
    try {
      for (;;) {
        let value: Uint8Array<ArrayBuffer>;
        try {
          const read = await reader.read();
          if (read.done) break;
          value = read.value;
        } catch (error) {
          throwIfAborted(signal, url);
          lastProblem = errorText(error);
          break;
        }
        if (skip >= value.byteLength) {
          skip -= value.byteLength;
          continue;
        }
        const piece = skip > 0 ? value.subarray(skip) : value;
        skip = 0;
        if (position + piece.byteLength > total) {
          throw new VarError('E_PACK_CORRUPT', `${url} has more than the ${total} bytes its manifest lists`, { url });
        }
        position += piece.byteLength;
        failures = 0;
        yield piece;
      }
      finished = true;
    } finally {
      // Also reached when the consumer stops early (an error while storing): free the connection.
      if (!finished) await reader.cancel().catch(() => undefined);
    }
    if (position < total) {
      // The body ended early: a dropped connection (or a clean close short of the size). Continue from here.
      await backOff(lastProblem || `connection closed at byte ${position} of ${total}`);
    }
  }
}

function checkContentRange(header: string | null, position: number, total: number, url: string): void {
  // Cross-origin servers may not expose Content-Range; then the length check on the bytes read is what remains.
  if (header === null) return;
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header.trim());
  if (!match) return;
  if (Number(match[1]) !== position) {
    throw new VarError('E_NETWORK', `${url} answered the range from ${match[1]}, asked from ${position}`, { url });
  }
  if (match[3] !== '*' && Number(match[3]) !== total) {
    throw new VarError('E_PACK_CORRUPT', `${url} has ${match[3]} bytes, its manifest lists ${total}`, { url });
  }
}

function throwIfAborted(signal: AbortSignal | undefined, url: string): void {
  if (signal?.aborted) throw new VarError('E_ABORTED', `Download of ${url} cancelled`, { url });
}
