import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../../src/shared/errors';
import { type RangeServer, startRangeServer } from '../../../src/testing/store/range-server';
import {
  freshStore,
  instantRetry,
  sameBytes,
  testFile,
  testManifest,
  unlimitedQuota,
} from '../../../src/testing/store/store-fixtures';
import type { StoreContext } from './download-file';
import { chunkData, type ModelStore } from './model-store';
import { storageUsage } from './quota';
import { downloadPack, storePackSource } from './store-pack-source';
import { deleteStoredModel, listStoredModels, modelStatus } from './stored-models';

const CHUNK = 64 * 1024;
const decoder = testFile('decoder.bin', 3 * CHUNK + 99);
const transformerA = testFile('transformer.bin', 5 * CHUNK + 1);
const transformerB = testFile('transformer.bin', 4 * CHUNK + 7);
// Two packs sharing the decoder file (same sha256), each in its own folder on the server.
const packA = testManifest('model-a', [transformerA.entry, decoder.entry]);
const packB = testManifest('model-b', [transformerB.entry, decoder.entry]);

describe('storePackSource', () => {
  let server: RangeServer;
  let store: ModelStore;
  let ctx: StoreContext;
  const urlA = () => `${server.url}a/`;
  const urlB = () => `${server.url}b/`;
  const requestsFor = (prefix: string) => server.requests.filter((r) => r.path.startsWith(prefix)).length;

  beforeEach(async () => {
    server = await startRangeServer();
    server.files.set('a/transformer.bin', transformerA.bytes);
    server.files.set('a/decoder.bin', decoder.bytes);
    server.files.set('b/transformer.bin', transformerB.bytes);
    server.files.set('b/decoder.bin', decoder.bytes);
    store = freshStore();
    ctx = { store, retry: instantRetry().retry, estimate: unlimitedQuota };
  });
  afterEach(() => server.close());

  it('downloads and verifies on first load, then serves from the store with no request', async () => {
    const progress: string[] = [];
    const first = await storePackSource(ctx, urlA(), packA, {
      onFileProgress: (path, done, total) => progress.push(`${path} ${done}/${total}`),
    });
    expect(sameBytes(await first.file('transformer.bin'), transformerA.bytes)).toBe(true);
    expect(sameBytes(await first.file('decoder.bin'), decoder.bytes)).toBe(true);
    expect(progress).toContain(`decoder.bin ${decoder.entry.bytes}/${decoder.entry.bytes}`);
    const requests = server.requests.length;
    const second = await storePackSource(ctx, urlA(), packA);
    expect(sameBytes(await second.file('transformer.bin'), transformerA.bytes)).toBe(true);
    expect(server.requests.length).toBe(requests);
    await expect(second.file('other.bin')).rejects.toMatchObject({ code: 'E_PACK_CORRUPT' });
  });

  it('detects a chunk damaged inside IndexedDB, deletes it and downloads from there again', async () => {
    await downloadPack(ctx, urlA(), packA);
    const sha = transformerA.entry.sha256;
    const chunk = await store.getChunk(sha, 2);
    if (!chunk) throw new Error('chunk 2 missing');
    const damaged = await chunkData(chunk);
    damaged[100] = (damaged[100] ?? 0) ^ 0xff;
    await store.putChunk(sha, 2, damaged, chunk.hashState);
    const sent = server.bytesSent;
    const source = await storePackSource(ctx, urlA(), packA);
    expect(sameBytes(await source.file('transformer.bin'), transformerA.bytes)).toBe(true);
    // Chunks 0 and 1 were intact and kept: only chunk 2 onwards came again.
    expect(server.requests.at(-1)?.range).toBe(`bytes=${2 * CHUNK}-`);
    expect(server.bytesSent - sent).toBe(transformerA.entry.bytes - 2 * CHUNK);
  });

  it('treats a missing or short chunk as not downloaded and resumes, never failing', async () => {
    await downloadPack(ctx, urlA(), packA);
    const sha = transformerA.entry.sha256;
    await store.deleteChunks(sha, 4);
    const chunk = await store.getChunk(sha, 1);
    if (!chunk) throw new Error('chunk 1 missing');
    const short = (await chunkData(chunk)).subarray(0, 1000);
    await store.putChunk(sha, 1, short, chunk.hashState);
    expect((await modelStatus(store, packA)).state).toBe('downloaded');
    const source = await storePackSource(ctx, urlA(), packA);
    expect(sameBytes(await source.file('transformer.bin'), transformerA.bytes)).toBe(true);
    expect(server.requests.at(-1)?.range).toBe(`bytes=${1 * CHUNK}-`);
  });

  it('refuses with E_QUOTA when the estimate is too small, lists nothing as downloaded, resumes with room', async () => {
    const needed = transformerA.entry.bytes + decoder.entry.bytes;
    const small = { ...ctx, estimate: async () => ({ usage: 400_000, quota: 500_000 }) };
    const error = await storePackSource(small, urlA(), packA).catch((e: unknown) => e);
    expect(hasErrorCode(error, 'E_QUOTA')).toBe(true);
    expect((error as Error).message).toMatch(/Model model-a: it needs 0\.5 MB more, the browser allows 0\.1 MB/);
    expect((error as { details: unknown }).details).toMatchObject({ neededBytes: needed, availableBytes: 100_000 });
    expect(server.requests).toHaveLength(0);
    expect((await listStoredModels(store)).filter((m) => m.status.state === 'downloaded')).toEqual([]);
    expect((await modelStatus(store, packA)).state).toBe('not-downloaded');
    const source = await storePackSource(ctx, urlA(), packA);
    expect(sameBytes(await source.file('decoder.bin'), decoder.bytes)).toBe(true);
  });

  it('names the cached models that could be deleted when a pack does not fit', async () => {
    await downloadPack(ctx, urlB(), packB);
    const error = await storePackSource({ ...ctx, estimate: async () => ({ usage: 0, quota: 1000 }) }, urlA(), packA)
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(hasErrorCode(error, 'E_QUOTA')).toBe(true);
    // The decoder is already stored (shared with model-b), so only transformer A is needed.
    expect((error as { details: unknown }).details).toMatchObject({
      neededBytes: transformerA.entry.bytes,
      deletableModels: [{ name: 'model-b', label: 'Model model-b' }],
    });
    expect((error as Error).message).toContain('Model model-b (');
  });

  it('stores a file shared by two packs once; deleting one model keeps it for the other', async () => {
    await downloadPack(ctx, urlA(), packA);
    const decoderRequests = requestsFor('a/decoder.bin');
    await downloadPack(ctx, urlB(), packB);
    expect(requestsFor('b/decoder.bin')).toBe(0);
    expect(decoderRequests).toBe(1);
    expect(await store.chunkedFiles()).toEqual(
      new Set([transformerA.entry.sha256, transformerB.entry.sha256, decoder.entry.sha256]),
    );

    const models = await listStoredModels(store);
    expect(models.map((m) => [m.name, m.status.state, m.packUrl])).toEqual([
      ['model-a', 'downloaded', urlA()],
      ['model-b', 'downloaded', urlB()],
    ]);

    const removed = await deleteStoredModel(store, 'model-a');
    expect(removed).toEqual({ deletedFiles: [transformerA.entry.sha256], freedBytes: transformerA.entry.bytes });
    expect(await store.chunkIndices(decoder.entry.sha256)).toHaveLength(4);
    const before = server.requests.length;
    const source = await storePackSource(ctx, urlB(), packB);
    expect(sameBytes(await source.file('decoder.bin'), decoder.bytes)).toBe(true);
    expect(server.requests.length).toBe(before);

    await deleteStoredModel(store, 'model-b');
    expect(await store.chunkedFiles()).toEqual(new Set());
    expect(await store.fileShas()).toEqual(new Set());
    expect(await listStoredModels(store)).toEqual([]);
  });

  it('reports a partly downloaded model with the bytes it holds', async () => {
    server.cuts.push(3 * CHUNK + 30_000);
    const error = await downloadPack({ ...ctx, retry: instantRetry(0).retry }, urlA(), packA).catch((e: unknown) => e);
    expect(hasErrorCode(error, 'E_NETWORK')).toBe(true);
    const [model] = await listStoredModels(store);
    expect(model?.status.state).toBe('partial');
    expect(model?.status.storedBytes).toBe((await store.chunkIndices(transformerA.entry.sha256)).length * CHUNK);
    expect(model?.status.storedBytes).toBeGreaterThan(0);
    expect(model?.status.totalBytes).toBe(transformerA.entry.bytes + decoder.entry.bytes);
  });

  it('two loads of one model at once download each file once and both get verified bytes', async () => {
    const [one, two] = await Promise.all([storePackSource(ctx, urlA(), packA), storePackSource(ctx, urlA(), packA)]);
    const [x, y] = await Promise.all([one.file('transformer.bin'), two.file('transformer.bin')]);
    expect(sameBytes(x, transformerA.bytes) && sameBytes(y, transformerA.bytes)).toBe(true);
    expect(server.bytesSent).toBe(transformerA.entry.bytes);
  });

  it('reads storage use from the estimate', async () => {
    expect(await storageUsage(async () => ({ usage: 12, quota: 34 }))).toEqual({
      usedBytes: 12,
      quotaBytes: 34,
      persisted: false,
    });
  });
});
