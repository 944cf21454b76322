// A ByteSource over HTTP Range requests (the .pth reader over a checkpoint URL): redirects followed once, small reads
// read ahead and kept, concurrent reads of one range coalesced, dropped connections and transient statuses retried.

import { type ByteSource, checkRange } from '../core/io/byte-source';
import { VarError } from '../shared/errors';
import {
  DEFAULT_RETRY,
  errorText,
  isTransientStatus,
  type RetryPolicy,
  retryAfterMs,
  retryDelayMs,
  sleep,
} from './http-retry';

export interface HttpByteSourceOptions {
  readonly fetch?: typeof fetch;
  readonly retry?: RetryPolicy;
  readonly signal?: AbortSignal;
  /**
   * The least a request asks for: a read shorter than this fetches this much from its offset, and what it did not
   * need is kept for the next reads (small tensors often lie beside the next one read). Default 64 KiB. Reads under
   * 1 KiB (the 30-byte local header of each storage record, read at open) read ahead 1 KiB only.
   */
  readonly readAheadBytes?: number;
  /** Bytes of fetched ranges kept for later reads (least recently used dropped first). Default 24 MiB. */
  readonly cacheBytes?: number;
  /** Requests in flight at once (browsers allow 6 per host on HTTP/1.1). Default 4. */
  readonly maxConcurrent?: number;
  /** Body bytes as they arrive (progress, read amplification). */
  readonly onBytes?: (bytes: number) => void;
}

interface Segment {
  readonly start: number;
  readonly bytes: Uint8Array;
  used: number;
}

interface InFlight {
  readonly start: number;
  readonly end: number;
  readonly done: Promise<Uint8Array>;
}

const DEFAULT_READ_AHEAD = 64 * 1024;
const DEFAULT_CACHE = 24 << 20;
const TINY_READ = 1024;
/** Only ranges up to this size are kept: a tensor read whole is used once; its read-ahead tail is kept. */
const MAX_CACHED_SEGMENT = 1 << 20;

/**
 * Opens with one Range request for the first `readAheadBytes` (a checkpoint's data.pkl is its first record), which
 * also follows the redirect (Hugging Face's resolve URL answers 302 to a CDN on another origin): later requests go
 * to the final URL directly, and back through the original one when that URL stops working (signed CDN URLs expire).
 */
export class HttpByteSource implements ByteSource {
  readonly name: string;
  /** Body bytes received so far (every request, retries included). */
  bytesFetched = 0;
  /** Requests made (the first included). */
  requests = 0;
  private resolvedUrl: string;
  private readonly cache: Segment[] = [];
  private cachedBytes = 0;
  private readonly inFlight: InFlight[] = [];
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private useCounter = 0;
  private etag: string | null = null;

  private constructor(
    readonly url: string,
    readonly size: number,
    private readonly options: HttpByteSourceOptions,
  ) {
    this.name = fileNameOf(url);
    this.resolvedUrl = url;
  }

  static async open(url: string, options: HttpByteSourceOptions = {}): Promise<HttpByteSource> {
    const readAhead = options.readAheadBytes ?? DEFAULT_READ_AHEAD;
    const probe = new HttpByteSource(url, Number.MAX_SAFE_INTEGER, options);
    const first = await probe.request(0, readAhead, true);
    const source = new HttpByteSource(url, first.total, options);
    source.resolvedUrl = first.finalUrl;
    source.etag = first.etag;
    source.bytesFetched = probe.bytesFetched;
    source.requests = probe.requests;
    if (first.bytes.byteLength > 0) source.keep(0, first.bytes);
    return source;
  }

  /** The URL the reads go to (after redirects). */
  get finalUrl(): string {
    return this.resolvedUrl;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    if (length === 0) return new Uint8Array(0);
    const end = offset + length;
    const cached = this.lookup(offset, end);
    if (cached) return cached;
    // The range as pieces: kept or in-flight bytes where there are some, one request per gap between them. Only the
    // last gap reads ahead, and never into bytes already kept: reads come in plan order, not file order.
    const pieces: Uint8Array[] = [];
    for (let position = offset; position < end; ) {
      const kept = this.cache.find((s) => s.start <= position && s.start + s.bytes.byteLength > position);
      const flight = kept ? undefined : this.inFlight.find((f) => f.start <= position && f.end > position);
      if (kept || flight) {
        const start = (kept ?? (flight as InFlight)).start;
        const bytes = kept ? kept.bytes : await (flight as InFlight).done;
        const piece = bytes.subarray(position - start, Math.min(bytes.byteLength, end - start));
        pieces.push(piece);
        position += piece.byteLength;
        continue;
      }
      const next = Math.min(
        this.size,
        ...this.cache.filter((s) => s.start > position).map((s) => s.start),
        ...this.inFlight.filter((f) => f.start > position).map((f) => f.start),
      );
      // A tiny read is a ZIP record header (30 bytes + name + padding): reading 64 KiB of tensor after each of a few
      // hundred would fetch bytes no reader asked for, fetched again after a reload (they are not in the read cache).
      const readAhead = length < TINY_READ ? TINY_READ : (this.options.readAheadBytes ?? DEFAULT_READ_AHEAD);
      const fetchEnd = next < end ? next : Math.min(next, Math.max(end, position + readAhead));
      const fetched = await this.fetchTracked(position, fetchEnd);
      const piece = fetched.subarray(0, Math.min(fetched.byteLength, end - position));
      if (fetched.byteLength <= MAX_CACHED_SEGMENT) this.keep(position, fetched);
      else if (fetchEnd > end) this.keep(end, fetched.subarray(end - position));
      pieces.push(piece);
      position += piece.byteLength;
    }
    if (pieces.length === 1) return pieces[0] as Uint8Array;
    const out = new Uint8Array(length);
    let at = 0;
    for (const piece of pieces) {
      out.set(piece, at);
      at += piece.byteLength;
    }
    return out;
  }

  /** Fetches [start, end), visible to concurrent reads as in flight until it arrives. */
  private async fetchTracked(start: number, end: number): Promise<Uint8Array> {
    const flight: InFlight = { start, end, done: this.fetchRange(start, end) };
    this.inFlight.push(flight);
    try {
      return await flight.done;
    } finally {
      this.inFlight.splice(this.inFlight.indexOf(flight), 1);
    }
  }

  private lookup(start: number, end: number): Uint8Array | undefined {
    for (const s of this.cache) {
      if (s.start <= start && s.start + s.bytes.byteLength >= end) {
        s.used = ++this.useCounter;
        return s.bytes.subarray(start - s.start, end - s.start);
      }
    }
    return undefined;
  }

  private keep(start: number, bytes: Uint8Array): void {
    const limit = this.options.cacheBytes ?? DEFAULT_CACHE;
    if (bytes.byteLength > limit) return;
    this.cache.push({ start, bytes, used: ++this.useCounter });
    this.cachedBytes += bytes.byteLength;
    while (this.cachedBytes > limit) {
      let oldest = 0;
      for (let i = 1; i < this.cache.length; i++) {
        if ((this.cache[i] as Segment).used < (this.cache[oldest] as Segment).used) oldest = i;
      }
      const [dropped] = this.cache.splice(oldest, 1);
      this.cachedBytes -= dropped?.bytes.byteLength ?? 0;
    }
  }

  /** Bytes [start, end), however many requests that takes (a dropped body continues where it stopped). */
  private async fetchRange(start: number, end: number): Promise<Uint8Array> {
    await this.slot();
    try {
      const out = new Uint8Array(end - start);
      let position = start;
      while (position < end) {
        const part = await this.request(position, end - position, false, out.subarray(position - start));
        position += part.bytes.byteLength;
      }
      return out;
    } finally {
      this.release();
    }
  }

  private async slot(): Promise<void> {
    const max = this.options.maxConcurrent ?? 4;
    while (this.active >= max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.();
  }

  /**
   * One Range request for [start, start + length), retried on transient statuses and failed connections; returns
   * what arrived before the body ended (maybe less than asked: the caller continues from there). With `into`, the
   * bytes are written there instead of a new buffer.
   */
  private async request(
    start: number,
    length: number,
    opening: boolean,
    into?: Uint8Array,
  ): Promise<{ bytes: Uint8Array; total: number; finalUrl: string; etag: string | null }> {
    const fetchImpl = this.options.fetch ?? globalThis.fetch.bind(globalThis);
    const retry = this.options.retry ?? DEFAULT_RETRY;
    const { signal } = this.options;
    let failures = 0;
    let reresolved = false;
    const backOff = async (problem: string, retryAfter?: number): Promise<void> => {
      failures++;
      if (failures > retry.maxRetries) {
        throw new VarError('E_NETWORK', `${this.url}: gave up after ${failures} failed attempts (${problem})`, {
          url: this.url,
          attempts: failures,
        });
      }
      try {
        await (retry.sleep ?? sleep)(retryDelayMs(retry, failures, retryAfter), signal);
      } catch (error) {
        this.throwIfAborted();
        throw error;
      }
    };
    for (;;) {
      this.throwIfAborted();
      const target = this.resolvedUrl;
      let response: Response;
      try {
        this.requests++;
        response = await fetchImpl(target, {
          // A single `bytes=a-b` range is CORS-safelisted: no preflight, so the redirect to the CDN is allowed.
          headers: { Range: `bytes=${start}-${start + length - 1}` },
          signal: signal ?? null,
          cache: 'no-store',
        });
      } catch (error) {
        this.throwIfAborted();
        await backOff(errorText(error));
        continue;
      }
      if (isTransientStatus(response.status)) {
        await response.body?.cancel().catch(() => undefined);
        await backOff(`HTTP ${response.status}`, retryAfterMs(response.headers.get('retry-after')));
        continue;
      }
      if ((response.status === 401 || response.status === 403 || response.status === 410) && !reresolved) {
        // An expired signed CDN URL: ask the original URL again, which redirects to a fresh one.
        await response.body?.cancel().catch(() => undefined);
        if (target !== this.url) {
          reresolved = true;
          this.resolvedUrl = this.url;
          continue;
        }
      }
      if (opening && response.status === 416) {
        // Range not satisfiable at offset 0: an empty file.
        const total = totalOf(response.headers.get('content-range'));
        if (total === 0) return { bytes: new Uint8Array(0), total: 0, finalUrl: response.url || target, etag: null };
      }
      if (response.status !== 206 && response.status !== 200) {
        await response.body?.cancel().catch(() => undefined);
        throw new VarError('E_NETWORK', `${this.url} answered HTTP ${response.status} ${response.statusText}`.trim(), {
          url: this.url,
          status: response.status,
        });
      }
      const contentType = response.headers.get('content-type') ?? '';
      if (/^text\/html/i.test(contentType)) {
        await response.body?.cancel().catch(() => undefined);
        throw new VarError(
          'E_NETWORK',
          `${this.url} answered with a web page (${contentType}), not the file: is the URL right, and is the file public?`,
          { url: this.url, status: response.status },
        );
      }
      const range = response.headers.get('content-range');
      let total: number;
      if (response.status === 200) {
        // The server ignored Range: acceptable only for a file that fits in what was asked (a small file).
        const whole = Number(response.headers.get('content-length') ?? Number.NaN);
        if (!(opening && Number.isFinite(whole) && whole <= length)) {
          await response.body?.cancel().catch(() => undefined);
          throw new VarError(
            'E_NETWORK',
            `${this.url} does not answer Range requests (HTTP 200 instead of 206), so a checkpoint cannot be read from it piece by piece`,
            { url: this.url },
          );
        }
        total = whole;
      } else {
        const parsed = parseContentRange(range);
        if (!parsed) {
          await response.body?.cancel().catch(() => undefined);
          throw new VarError(
            'E_NETWORK',
            `${this.url} answered a range without a readable Content-Range header (a cross-origin server must list it in Access-Control-Expose-Headers)`,
            { url: this.url },
          );
        }
        if (parsed.start !== start) {
          await response.body?.cancel().catch(() => undefined);
          throw new VarError('E_NETWORK', `${this.url} answered the range from ${parsed.start}, asked from ${start}`, {
            url: this.url,
          });
        }
        total = parsed.total;
        if (!opening && total !== this.size) {
          await response.body?.cancel().catch(() => undefined);
          throw changedError(this.url, `its size is now ${total} bytes, it was ${this.size}`);
        }
      }
      const etag = response.headers.get('etag');
      if (!opening && this.etag !== null && etag !== null && etag !== this.etag) {
        await response.body?.cancel().catch(() => undefined);
        throw changedError(this.url, `its ETag is now ${etag}, it was ${this.etag}`);
      }
      const wanted = Math.min(length, total - start);
      const out = into ?? new Uint8Array(Math.max(0, wanted));
      let received = 0;
      let problem = '';
      if (response.body) {
        const reader = response.body.getReader();
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            const n = Math.min(value.byteLength, wanted - received);
            out.set(value.subarray(0, n), received);
            received += n;
            this.bytesFetched += value.byteLength;
            this.options.onBytes?.(value.byteLength);
            if (received >= wanted) break;
          }
        } catch (error) {
          this.throwIfAborted();
          problem = errorText(error);
        } finally {
          if (received >= wanted) await reader.cancel().catch(() => undefined);
        }
      }
      const finalUrl = response.url || target;
      if (received > 0 || wanted === 0) {
        if (!opening) this.resolvedUrl = finalUrl;
        return { bytes: out.subarray(0, received), total, finalUrl, etag };
      }
      await backOff(problem || `connection closed before the first byte of ${start}–${start + length}`);
    }
  }

  private throwIfAborted(): void {
    if (this.options.signal?.aborted) {
      throw new VarError('E_ABORTED', `Reading ${this.url} was cancelled`, { url: this.url });
    }
  }
}

function parseContentRange(header: string | null): { start: number; total: number } | undefined {
  const match = header === null ? null : /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header.trim());
  return match ? { start: Number(match[1]), total: Number(match[3]) } : undefined;
}

function totalOf(header: string | null): number | undefined {
  const match = header === null ? null : /^bytes \*\/(\d+)$/.exec(header.trim());
  return match ? Number(match[1]) : undefined;
}

function changedError(url: string, what: string): VarError {
  return new VarError('E_NETWORK', `${url} changed on the server while it was being read: ${what}`, { url });
}

/** The last path segment of a URL, decoded ("var_d16.pth"), for messages and the manifest's source. */
export function fileNameOf(url: string): string {
  try {
    const path = new URL(url).pathname;
    return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1)) || url;
  } catch {
    return url;
  }
}
