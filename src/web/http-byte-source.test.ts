import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryByteSource } from '../core/io/byte-source';
import { openCheckpoint } from '../core/pth/checkpoint';
import { readFixtureBytes } from '../testing/fixtures';
import { type HubServer, startHubServer } from '../testing/store/hub-server';
import { instantRetry } from '../testing/store/store-fixtures';
import { HttpByteSource } from './http-byte-source';

const SIZE = 600_000;
const data = new Uint8Array(randomBytes(SIZE));
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('HttpByteSource', () => {
  let hub: HubServer;
  beforeEach(async () => {
    hub = await startHubServer();
    hub.add('blob.bin', data);
  });
  afterEach(() => hub.close());

  const open = (options: Parameters<typeof HttpByteSource.open>[1] = {}) =>
    HttpByteSource.open(hub.resolveUrl('blob.bin'), { retry: instantRetry().retry, ...options });

  it('follows the redirect once, knows the size, and reads any range exactly', async () => {
    const source = await open();
    expect(source.size).toBe(SIZE);
    expect(source.name).toBe('blob.bin');
    expect(source.finalUrl.startsWith(hub.cdn.url)).toBe(true);
    for (const [offset, length] of [
      [0, 10],
      [123_456, 70_000],
      [SIZE - 5, 5],
      [300_000, 250_000],
    ] as const) {
      expect(same(await source.read(offset, length), data.subarray(offset, offset + length))).toBe(true);
    }
    // The Hub was asked once (the redirect); every later range went straight to the CDN.
    expect(hub.requests.map((r) => r.status)).toEqual([302]);
    await expect(source.read(SIZE - 1, 2)).rejects.toMatchObject({ code: 'E_IO' });
  });

  it('reads ahead: small reads close together (concurrent ones too) cost one request, and a cached prefix is not fetched again', async () => {
    // A ZIP header read (under 1 KiB) reads ahead 1 KiB only.
    const tiny = await open({ readAheadBytes: 64 * 1024 });
    const fetched = tiny.bytesFetched;
    expect(same(await tiny.read(300_000, 30), data.subarray(300_000, 300_030))).toBe(true);
    expect(tiny.bytesFetched - fetched).toBe(1024);
    const source = await open({ readAheadBytes: 64 * 1024 });
    const after = hub.cdn.requests.length; // the opening request fetched [0, 64K)
    const offsets = [100_000, 102_000, 100_500, 140_000];
    const reads = await Promise.all(offsets.map((o) => source.read(o, 2000)));
    reads.forEach((r, i) => {
      const o = offsets[i] as number;
      expect(same(r, data.subarray(o, o + 2000))).toBe(true);
    });
    expect(hub.cdn.requests.length - after).toBe(1);
    // A tensor starting where a small read's read-ahead began: only the part past the cached bytes is fetched.
    const fetchedBefore = source.bytesFetched;
    expect(same(await source.read(100_000, 300_000), data.subarray(100_000, 400_000))).toBe(true);
    expect(source.bytesFetched - fetchedBefore).toBe(300_000 - 64 * 1024);
  });

  it('retries 429 (waiting as Retry-After says), 503 and a dropped connection, and returns the exact bytes', async () => {
    const { retry, delays } = instantRetry(4);
    const source = await open({ retry, readAheadBytes: 1024 });
    hub.cdn.failures.push({ status: 429, retryAfter: '7' }, { status: 503 });
    hub.cdn.cuts.push(250_000);
    expect(same(await source.read(200_000, 200_000), data.subarray(200_000, 400_000))).toBe(true);
    expect(delays[0]).toBe(7000);
    expect(delays.length).toBe(2); // the cut continued from where it stopped without a failure
    expect(hub.cdn.requests.filter((r) => r.status === 206).length).toBeGreaterThanOrEqual(3);
    // Bytes past the cut were not fetched twice.
    expect(source.bytesFetched).toBeLessThanOrEqual(1024 + 200_000);
  });

  it('an HTML page instead of the file, a missing file and a server without ranges are E_NETWORK saying so', async () => {
    hub.cdn.htmlPages = 1;
    await expect(open()).rejects.toMatchObject({ code: 'E_NETWORK', message: expect.stringContaining('web page') });
    await expect(
      HttpByteSource.open(hub.resolveUrl('missing.pth'), { retry: instantRetry().retry }),
    ).rejects.toMatchObject({ code: 'E_NETWORK', message: expect.stringContaining('404') });
    hub.cdn.ranges = false;
    await expect(open()).rejects.toMatchObject({ code: 'E_NETWORK', message: expect.stringContaining('Range') });
  });

  it('gives up after the retries with E_NETWORK, and an abort is E_ABORTED', async () => {
    const source = await open({ retry: instantRetry(2).retry, readAheadBytes: 1024 });
    hub.cdn.failures.push({ status: 503 }, { status: 503 }, { status: 503 });
    await expect(source.read(300_000, 10)).rejects.toMatchObject({ code: 'E_NETWORK' });
    const abort = new AbortController();
    const aborted = await open({ signal: abort.signal, readAheadBytes: 1024 });
    abort.abort();
    await expect(aborted.read(300_000, 10)).rejects.toMatchObject({ code: 'E_ABORTED' });
  });

  it('an expired CDN URL (403) is resolved again through the original URL', async () => {
    const source = await open({ readAheadBytes: 1024 });
    hub.cdn.failures.push({ status: 403 });
    expect(same(await source.read(500_000, 1000), data.subarray(500_000, 501_000))).toBe(true);
    expect(hub.requests.filter((r) => r.status === 302).length).toBe(2);
  });

  it('a file that changes size on the server while read is E_NETWORK', async () => {
    const source = await open({ readAheadBytes: 1024 });
    const sha = source.finalUrl.split('/repos/')[1]?.split('/')[0] as string;
    hub.cdn.files.set(`repos/${sha}/blob.bin`, data.subarray(0, SIZE - 100));
    await expect(source.read(10_000, 10)).rejects.toMatchObject({ code: 'E_NETWORK', message: /changed/ });
  });

  it('the .pth reader over HTTP reads the fixture checkpoint as it reads the file in memory', async () => {
    const bytes = await readFixtureBytes('tiny_var.pth');
    hub.add('tiny_var.pth', bytes);
    const source = await HttpByteSource.open(hub.resolveUrl('tiny_var.pth'), { retry: instantRetry().retry });
    const overHttp = await openCheckpoint(source);
    const inMemory = await openCheckpoint(new MemoryByteSource(bytes, 'tiny_var.pth'));
    expect([...overHttp.tensors.keys()]).toEqual([...inMemory.tensors.keys()]);
    let read = 0;
    for (const [name, ref] of inMemory.tensors) {
      const a = await ref.readBytes();
      const b = await overHttp.tensors.get(name)?.readBytes();
      expect(same(b as Uint8Array, a), name).toBe(true);
      read += a.byteLength;
    }
    // Read amplification of reading every tensor once, in state-dict order: bytes fetched / bytes needed.
    expect(source.bytesFetched / read).toBeLessThan(1.1);
  });
});
