import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../../src/shared/errors';
import { type RangeServer, startRangeServer } from '../../../src/testing/store/range-server';
import {
  freshStore,
  instantRetry,
  sameBytes,
  testFile,
  unlimitedQuota,
} from '../../../src/testing/store/store-fixtures';
import { downloadFile, type StoreContext } from './download-file';
import { type ChunkValueKind, chunkData, type ModelStore } from './model-store';
import { readVerifiedFile } from './read-verified';

const CHUNK = 64 * 1024;
// 10 full chunks and a short one.
const file = testFile('weights.bin', 10 * CHUNK + 12_345);

describe('downloadFile', () => {
  let server: RangeServer;
  let store: ModelStore;
  let url: string;
  const context = (maxRetries = 3): StoreContext => ({
    store,
    retry: instantRetry(maxRetries).retry,
    estimate: unlimitedQuota,
  });
  beforeEach(async () => {
    server = await startRangeServer();
    server.files.set('weights.bin', file.bytes);
    url = `${server.url}weights.bin`;
    store = freshStore();
  });
  afterEach(() => server.close());

  for (const valueKind of ['blob', 'arraybuffer'] satisfies ChunkValueKind[]) {
    it(`stores a file in verified chunks (${valueKind} values) with its complete record last`, async () => {
      store = freshStore({ valueKind });
      const progress: number[] = [];
      await downloadFile(context(), file.entry, url, { onProgress: (done) => progress.push(done) });
      expect(await store.chunkIndices(file.entry.sha256)).toEqual([...Array(11).keys()]);
      const record = await store.getFile(file.entry.sha256);
      expect(record).toMatchObject({ bytes: file.entry.bytes, chunkBytes: CHUNK });
      const first = await store.getChunk(file.entry.sha256, 0);
      expect(first?.data).toBeInstanceOf(valueKind === 'blob' ? Blob : ArrayBuffer);
      expect(sameBytes(await readVerifiedFile(store, file.entry), file.bytes)).toBe(true);
      expect(progress.at(-1)).toBe(file.entry.bytes);
      expect(server.bytesSent).toBe(file.entry.bytes);
    });
  }

  it('a second call finds the file complete and sends no request', async () => {
    await downloadFile(context(), file.entry, url);
    const requests = server.requests.length;
    await downloadFile(context(), file.entry, url);
    expect(server.requests.length).toBe(requests);
  });

  it('resumes after interruptions at several offsets: ≤ size + one chunk per interruption', async () => {
    // Each cut fails the call (no retries), as a reload or a lost connection would; the next call resumes.
    const offsets = [1, CHUNK - 1, CHUNK + 7, 5 * CHUNK + 100, 10 * CHUNK + 12_000];
    server.cuts.push(...offsets);
    let interruptions = 0;
    for (;;) {
      try {
        await downloadFile(context(0), file.entry, url);
        break;
      } catch (error) {
        expect(hasErrorCode(error, 'E_NETWORK')).toBe(true);
        interruptions++;
      }
    }
    expect(interruptions).toBe(offsets.length);
    expect(server.bytesSent).toBeLessThanOrEqual(file.entry.bytes + interruptions * CHUNK);
    // Every resumed request starts on a chunk boundary: nothing committed is fetched again.
    for (const { range } of server.requests.slice(1)) {
      const from = Number(/^bytes=(\d+)-$/.exec(range ?? 'bytes=0-')?.[1]);
      expect(from % CHUNK).toBe(0);
    }
    expect(sameBytes(await readVerifiedFile(store, file.entry), file.bytes)).toBe(true);
  });

  it('resumes from a server that ignores Range (200), skipping the stored bytes', async () => {
    server.ranges = false;
    // A margin past the chunk: the client may not hand over the last bytes before a close.
    server.cuts.push(6 * CHUNK + 30_000);
    await expect(downloadFile(context(0), file.entry, url)).rejects.toMatchObject({ code: 'E_NETWORK' });
    const kept = await store.chunkIndices(file.entry.sha256);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept).toEqual([...Array(kept.length).keys()]);
    const before = await store.getChunk(file.entry.sha256, 0);
    await downloadFile(context(0), file.entry, url);
    expect(server.requests.map((r) => r.status)).toEqual([200, 200]);
    // The stored chunks were kept, not rewritten.
    expect(await store.getChunk(file.entry.sha256, 0)).toEqual(before);
    expect(sameBytes(await readVerifiedFile(store, file.entry), file.bytes)).toBe(true);
  });

  it('continues within one call after cuts when retries are allowed, fetching nothing twice', async () => {
    server.cuts.push(3 * CHUNK + 5, 7 * CHUNK + 9);
    await downloadFile(context(3), file.entry, url);
    expect(server.requests).toHaveLength(3);
    // What the client's HTTP stack had not handed over when the connection closed is asked for again, no more.
    expect(server.bytesSent).toBeLessThan(file.entry.bytes + CHUNK);
    expect(sameBytes(await readVerifiedFile(store, file.entry), file.bytes)).toBe(true);
  });

  it('deletes the chunks and fails with E_PACK_CORRUPT when the sha256 does not match', async () => {
    const other = testFile('weights.bin', file.entry.bytes);
    server.files.set('weights.bin', other.bytes);
    await expect(downloadFile(context(), file.entry, url)).rejects.toMatchObject({ code: 'E_PACK_CORRUPT' });
    expect(await store.chunkIndices(file.entry.sha256)).toEqual([]);
    expect(await store.getFile(file.entry.sha256)).toBeUndefined();
  });

  it('keeps committed chunks when aborted, then resumes', async () => {
    const controller = new AbortController();
    const error = await downloadFile(context(), file.entry, url, {
      signal: controller.signal,
      onProgress: (done) => {
        if (done >= 4 * CHUNK) controller.abort();
      },
    }).catch((e: unknown) => e);
    expect(hasErrorCode(error, 'E_ABORTED')).toBe(true);
    const kept = await store.chunkIndices(file.entry.sha256);
    expect(kept.length).toBeGreaterThanOrEqual(3);
    expect(await store.getFile(file.entry.sha256)).toBeUndefined();
    const sentBefore = server.bytesSent;
    await downloadFile(context(), file.entry, url);
    expect(server.requests.at(-1)?.range).toBe(`bytes=${kept.length * CHUNK}-`);
    expect(server.bytesSent - sentBefore).toBe(file.entry.bytes - kept.length * CHUNK);
    expect(sameBytes(await readVerifiedFile(store, file.entry), file.bytes)).toBe(true);
  });

  it('turns a QuotaExceededError mid-download into E_QUOTA, keeps earlier chunks, and resumes later', async () => {
    const put = store.putChunk.bind(store);
    store.putChunk = async (sha, index, bytes, state) => {
      if (index === 3) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put(sha, index, bytes, state);
    };
    // Room enough before the download (the first estimate), full when asked again after the failed write.
    let estimates = 0;
    const estimate = async () => (estimates++ === 0 ? { usage: 0, quota: 10_000_000 } : { usage: 900, quota: 1000 });
    const error = await downloadFile({ ...context(), estimate }, file.entry, url).catch((e: unknown) => e);
    expect(hasErrorCode(error, 'E_QUOTA')).toBe(true);
    expect((error as { details: unknown }).details).toMatchObject({
      neededBytes: file.entry.bytes - 3 * CHUNK,
      availableBytes: 100,
    });
    expect(await store.chunkIndices(file.entry.sha256)).toEqual([0, 1, 2]);
    store.putChunk = put;
    await downloadFile(context(), file.entry, url);
    expect(server.requests.at(-1)?.range).toBe(`bytes=${3 * CHUNK}-`);
    expect(sameBytes(await readVerifiedFile(store, file.entry), file.bytes)).toBe(true);
  });

  it('refuses to start when the estimate leaves too little room (E_QUOTA with both numbers)', async () => {
    const error = await downloadFile(
      { ...context(), estimate: async () => ({ usage: 1_000_000, quota: 1_300_000 }) },
      file.entry,
      url,
    ).catch((e: unknown) => e);
    expect(hasErrorCode(error, 'E_QUOTA')).toBe(true);
    expect((error as Error).message).toMatch(/needs 0\.7 MB more, the browser allows 0\.3 MB/);
    expect((error as { details: unknown }).details).toMatchObject({
      neededBytes: file.entry.bytes,
      availableBytes: 300_000,
    });
    expect(server.requests).toHaveLength(0);
  });

  it('re-hashes the stored chunks when a saved hasher state cannot be loaded', async () => {
    server.cuts.push(5 * CHUNK + 3);
    await expect(downloadFile(context(0), file.entry, url)).rejects.toMatchObject({ code: 'E_NETWORK' });
    const last = await store.getChunk(file.entry.sha256, 4);
    if (!last) throw new Error('chunk 4 missing');
    await store.putChunk(file.entry.sha256, 4, await chunkData(last), new Uint8Array([1, 2, 3]));
    await downloadFile(context(0), file.entry, url);
    expect(server.requests.at(-1)?.range).toBe(`bytes=${5 * CHUNK}-`);
    expect(sameBytes(await readVerifiedFile(store, file.entry), file.bytes)).toBe(true);
  });

  it('downloads once when two loads of the same file run at once', async () => {
    await Promise.all([downloadFile(context(), file.entry, url), downloadFile(context(), file.entry, url)]);
    expect(server.bytesSent).toBe(file.entry.bytes);
    expect(server.requests).toHaveLength(1);
  });
});
