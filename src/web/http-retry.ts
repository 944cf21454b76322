// Retrying HTTP requests in the browser (and Node): which failures are worth another try, how long to wait.

export interface RetryPolicy {
  /** Failures in a row (no byte received in between) before giving up. */
  readonly maxRetries: number;
  readonly baseDelayMs: number;
  /** Cap on one wait, Retry-After included. */
  readonly maxDelayMs: number;
  /** Injectable so tests do not wait; must reject when `signal` aborts. */
  readonly sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 6, baseDelayMs: 500, maxDelayMs: 30_000 };

/** 408 Request Timeout, 429 Too Many Requests and every 5xx are worth another try; other statuses are not. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Retry-After in seconds or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The wait before attempt `failures` + 1: exponential from `baseDelayMs`, or what Retry-After asked, capped. */
export function retryDelayMs(policy: RetryPolicy, failures: number, retryAfter?: number): number {
  return Math.min(policy.maxDelayMs, retryAfter ?? policy.baseDelayMs * 2 ** (failures - 1));
}

export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A fetch failure's message with its cause (Node's undici puts the reason there). */
export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}
