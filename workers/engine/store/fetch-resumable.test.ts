import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../../src/shared/errors';
import { type RangeServer, startRangeServer } from '../../../src/testing/store/range-server';
import { instantRetry, sameBytes, testFile } from '../../../src/testing/store/store-fixtures';
import { fetchResumable, retryAfterMs } from './fetch-resumable';

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return new Uint8Array(Buffer.concat(parts));
}

describe('fetchResumable', () => {
  let server: RangeServer;
  const file = testFile('w.bin', 300_001);
  beforeEach(async () => {
    server = await startRangeServer();
    server.files.set('w.bin', file.bytes);
  });
  afterEach(() => server.close());

  it('continues a cut body with Range from the exact byte, sending nothing twice', async () => {
    server.cuts.push(1000, 120_000, 299_999);
    const { retry } = instantRetry();
    const bytes = await collect(fetchResumable(`${server.url}w.bin`, 0, file.entry.bytes, { retry }));
    expect(sameBytes(bytes, file.bytes)).toBe(true);
    expect(server.bytesSent).toBe(file.entry.bytes);
    expect(server.requests.map((r) => r.range)).toEqual([undefined, 'bytes=1000-', 'bytes=120000-', 'bytes=299999-']);
  });

  it('skips the bytes before the offset when the server ignores Range (200)', async () => {
    server.ranges = false;
    server.cuts.push(50_000);
    const { retry } = instantRetry();
    const bytes = await collect(fetchResumable(`${server.url}w.bin`, 10_000, file.entry.bytes, { retry }));
    expect(sameBytes(bytes, file.bytes.subarray(10_000))).toBe(true);
    expect(server.requests.map((r) => r.status)).toEqual([200, 200]);
  });

  it('fails a 404 at once with E_NETWORK naming the URL', async () => {
    const { retry, delays } = instantRetry();
    const error = await collect(fetchResumable(`${server.url}missing.bin`, 0, 10, { retry })).catch((e: unknown) => e);
    expect(hasErrorCode(error, 'E_NETWORK')).toBe(true);
    expect((error as Error).message).toContain(`${server.url}missing.bin`);
    expect((error as Error).message).toContain('404');
    expect(server.requests).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('retries 503 after the Retry-After delay, then succeeds', async () => {
    server.failures.push({ status: 503, retryAfter: '2' }, { status: 429, retryAfter: '1' }, { status: 500 });
    const { retry, delays } = instantRetry();
    const bytes = await collect(fetchResumable(`${server.url}w.bin`, 0, file.entry.bytes, { retry }));
    expect(sameBytes(bytes, file.bytes)).toBe(true);
    // Retry-After where given, the exponential backoff (100 ms × 2^2) where not.
    expect(delays).toEqual([2000, 1000, 400]);
  });

  it('gives up after the bounded number of failures in a row', async () => {
    for (let i = 0; i < 5; i++) server.failures.push({ status: 503 });
    const { retry, delays } = instantRetry(3);
    const error = await collect(fetchResumable(`${server.url}w.bin`, 0, file.entry.bytes, { retry })).catch(
      (e: unknown) => e,
    );
    expect(hasErrorCode(error, 'E_NETWORK')).toBe(true);
    expect((error as Error).message).toMatch(/gave up after 4 failed attempts \(HTTP 503\)/);
    expect(delays).toEqual([100, 200, 400]);
  });

  it('retries when the server cannot be reached at all', async () => {
    const { retry, delays } = instantRetry(2);
    await server.close();
    const error = await collect(fetchResumable(`${server.url}w.bin`, 0, 10, { retry })).catch((e: unknown) => e);
    expect(hasErrorCode(error, 'E_NETWORK')).toBe(true);
    expect(delays).toHaveLength(2);
  });

  it('refuses a file larger than the manifest says (E_PACK_CORRUPT)', async () => {
    server.ranges = false;
    const error = await collect(fetchResumable(`${server.url}w.bin`, 0, 1000)).catch((e: unknown) => e);
    expect(hasErrorCode(error, 'E_PACK_CORRUPT')).toBe(true);
  });

  it('reads Retry-After in seconds and as a date', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
});
