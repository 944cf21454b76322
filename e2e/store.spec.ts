// The model store in real Chromium (real IndexedDB, real Web Locks, real quota): packs are downloaded once, resumed
// after interruptions, verified before use, repaired when damaged, refused with E_QUOTA when they cannot fit, shared
// by two pages, and used with the network off. The engine runs on the lab page (test build), its models served by a
// local server that counts, cuts and stalls responses (src/testing/store/range-server.ts).

import { fileURLToPath } from 'node:url';
import { type BrowserContext, type CDPSession, expect, type Page, test } from '@playwright/test';
import type { GenerateParams, ModelInfo, StorageUsage } from '../src/shared/engine-api';
import type { LabEngine } from '../src/testing/lab/lab-api';
import { engineParams, openLab } from '../src/testing/lab/lab-client';
import { type RangeServer, serveFolder, startRangeServer } from '../src/testing/store/range-server';

const MODELS_DIR = fileURLToPath(new URL(`../${process.env.E2E_DIST ?? 'dist-e2e'}/models/`, import.meta.url));
/** Small chunks, so the micro pack's 2 MB transformer weights span 8 of them and resuming inside a file is tested. */
const CHUNK = 256 * 1024;
const MODEL = 'micro';
const PARAMS = engineParams(MODEL, { backend: 'wasm', classId: 207, seed: 3 });

let server: RangeServer;
let packBytes = 0;
let packFiles: { path: string; bytes: number }[] = [];

test.beforeEach(async () => {
  server = await startRangeServer();
  await serveFolder(server, MODELS_DIR, 'models/');
  const manifest = JSON.parse(new TextDecoder().decode(server.files.get(`models/${MODEL}/manifest.json`))) as {
    files: { path: string; bytes: number }[];
  };
  packFiles = manifest.files;
  packBytes = packFiles.reduce((n, f) => n + f.bytes, 0);
});

test.afterEach(async () => {
  await server.close();
});

const modelsUrl = () => `${server.url}models/`;
const open = (page: Page) => openLab(page, { modelsUrl: modelsUrl(), chunkBytes: CHUNK });

/** Requests for the pack's files (not its manifest or the index). */
function packRequests(): number {
  return server.requests.filter((r) => r.path.startsWith(`models/${MODEL}/`) && !r.path.endsWith('manifest.json'))
    .length;
}

/** Body bytes the server sent for the pack's files (not the index or manifests). */
function packBytesSent(): number {
  let n = 0;
  for (const [path, bytes] of server.bytesByPath)
    if (path.startsWith(`models/${MODEL}/`) && !path.endsWith('.json')) n += bytes;
  return n;
}

interface Outcome {
  readonly ok: boolean;
  readonly code?: string;
  readonly message?: string;
  /** A hash of every pixel of every image. */
  readonly pixels?: number;
}

/** One generation through the lab's engine, its pixels hashed; a rejection comes back as its code and message. */
function generate(page: Page, params: GenerateParams = PARAMS): Promise<Outcome> {
  return page.evaluate(async (p) => {
    const engine = (window as unknown as { varEngine: LabEngine }).varEngine;
    try {
      const result = await engine.generate(p);
      let h = 7;
      for (const image of result.images) for (const v of image.rgba.data) h = (Math.imul(h, 31) + v) >>> 0;
      return { ok: true, pixels: h };
    } catch (e) {
      return { ok: false, code: (e as { code?: string }).code ?? 'no code', message: (e as Error).message };
    }
  }, params);
}

function listModels(page: Page): Promise<ModelInfo[]> {
  return page.evaluate(() => (window as unknown as { varEngine: LabEngine }).varEngine.listModels());
}

function storage(page: Page): Promise<StorageUsage> {
  return page.evaluate(() => (window as unknown as { varEngine: LabEngine }).varEngine.storageUsage());
}

async function modelState(page: Page, id = MODEL): Promise<ModelInfo['download'] | undefined> {
  return (await listModels(page)).find((m) => m.id === id)?.download;
}

/**
 * Overrides the origin's quota (Chromium DevTools protocol); `undefined` restores the real one. The override lasts
 * as long as the DevTools session, so the session stays open for the page's lifetime.
 */
const cdpSessions = new WeakMap<Page, CDPSession>();
async function setQuota(context: BrowserContext, page: Page, quotaSize: number | undefined): Promise<void> {
  let cdp = cdpSessions.get(page);
  if (!cdp) {
    cdp = await context.newCDPSession(page);
    cdpSessions.set(page, cdp);
  }
  const origin = new URL(page.url()).origin;
  await cdp.send('Storage.overrideQuotaForOrigin', quotaSize === undefined ? { origin } : { origin, quotaSize });
}

test('a second load makes no request for the pack files and makes the same pixels', async ({ page }) => {
  await open(page);
  expect(await modelState(page)).toMatchObject({ state: 'not-downloaded', storedBytes: 0 });
  const first = await generate(page);
  expect(first.ok).toBe(true);
  expect(packRequests()).toBe(packFiles.length);
  expect(packBytesSent()).toBeGreaterThanOrEqual(packBytes);
  expect(await modelState(page)).toEqual({ state: 'downloaded', storedBytes: packBytes, totalBytes: packBytes });

  await page.reload();
  await open(page);
  const before = packRequests();
  const second = await generate(page);
  expect(second).toEqual(first);
  expect(packRequests() - before).toBe(0);
});

test('a connection closed mid-body at several offsets: the load completes, re-fetching at most a chunk each', async ({
  page,
}) => {
  // Three cuts inside the transformer weights (one just past a chunk boundary) and one in the decoder's.
  const transformer = packFiles.find((f) => f.path === 'transformer.data');
  expect(transformer && transformer.bytes > 6 * CHUNK).toBe(true);
  server.cuts.push(CHUNK + 1000, 3 * CHUNK + 5, 5 * CHUNK + 77_777);
  const decoder = packFiles.find((f) => f.path === 'decoder.data');
  server.cuts.push(Math.floor((decoder?.bytes ?? 0) / 2));
  await open(page);
  const outcome = await generate(page);
  expect(outcome.ok).toBe(true);
  expect(server.cuts).toEqual([]); // every cut happened
  const interruptions = 4;
  expect(packBytesSent()).toBeLessThanOrEqual(packBytes + interruptions * CHUNK);
  expect(server.requests.filter((r) => r.status === 206).length).toBeGreaterThanOrEqual(interruptions);
  expect(await modelState(page)).toMatchObject({ state: 'downloaded', storedBytes: packBytes });
  // Every file verified: a fresh engine reads it all back from the store, and the pixels match a clean download's.
  const clean = await cleanRun(page);
  expect(outcome.pixels).toBe(clean);
});

/** The pixels of the same request from a fresh context with an uninterrupted download. */
async function cleanRun(page: Page): Promise<number | undefined> {
  const context = await page.context().browser()?.newContext();
  if (!context) throw new Error('no browser');
  try {
    const other = await context.newPage();
    await other.goto(page.url().replace(/\?.*$/, ''));
    await openLab(other, { modelsUrl: modelsUrl(), chunkBytes: CHUNK });
    return (await generate(other)).pixels;
  } finally {
    await context.close();
  }
}

test('a reload in the middle of a download resumes from the first missing chunk', async ({ page }) => {
  const stallAt = 5 * CHUNK + 1234;
  server.stalls.push(stallAt);
  await open(page);
  // Started inside the page and not awaited: the run dies with the page.
  await page.evaluate(
    (p) => void (window as unknown as { varEngine: LabEngine }).varEngine.generate(p).catch(() => undefined),
    PARAMS,
  );
  await expect
    .poll(() => server.requests.some((r) => r.path.endsWith('transformer.data')), { timeout: 30_000 })
    .toBe(true);
  await expect.poll(() => packBytesSent(), { timeout: 30_000 }).toBeGreaterThanOrEqual(stallAt);
  // The stalled body has delivered 5 whole chunks (committed) and a part of the 6th (lost with the page).
  await expect.poll(async () => (await modelState(page))?.state).toBe('partial');
  const partial = await modelState(page);
  expect(partial?.storedBytes).toBeGreaterThanOrEqual(5 * CHUNK);
  await page.reload();
  server.releaseStalls();
  await open(page);
  const outcome = await generate(page);
  expect(outcome).toMatchObject({ ok: true });
  const resumed = server.requests.filter((r) => r.path.endsWith('transformer.data') && r.range);
  expect(resumed.map((r) => r.range)).toContain(`bytes=${5 * CHUNK}-`);
  expect(packBytesSent()).toBeLessThanOrEqual(packBytes + CHUNK);
  expect(await modelState(page)).toMatchObject({ state: 'downloaded' });
});

test('a chunk damaged inside IndexedDB is found before any session is made, downloaded again, and the run succeeds', async ({
  page,
}) => {
  await open(page);
  const first = await generate(page);
  expect(first.ok).toBe(true);
  const damaged = await page.evaluate(async () => {
    // The store's database (workers/engine/store/model-store.ts): chunks keyed [sha256, index].
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('var-web-store-v1-chunks');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const store = db.transaction('chunks').objectStore('chunks');
    const keys = await new Promise<IDBValidKey[]>((resolve) => {
      const r = store.getAllKeys();
      r.onsuccess = () => resolve(r.result);
    });
    // Chunk 5 exists only in the transformer weights (the other files are under 5 chunks).
    const key = keys.find((k) => Array.isArray(k) && k[1] === 5) as [string, number];
    const record = await new Promise<{ data: Blob; bytes: number; hashState: Uint8Array }>((resolve) => {
      const r = store.get(key);
      r.onsuccess = () => resolve(r.result);
    });
    const bytes = new Uint8Array(await record.data.arrayBuffer());
    bytes[1000] = (bytes[1000] ?? 0) ^ 0xff; // one flipped byte, same size
    const tx = db.transaction('chunks', 'readwrite');
    tx.objectStore('chunks').put({ ...record, data: new Blob([bytes]) }, key);
    await new Promise((resolve) => (tx.oncomplete = resolve));
    db.close();
    return key[0];
  });
  expect(damaged).toMatch(/^[0-9a-f]{64}$/);
  await page.reload();
  await open(page);
  const before = packRequests();
  const second = await generate(page);
  expect(second).toEqual(first);
  // Only the damaged file came again, from its damaged chunk on.
  const again = server.requests.slice(-(packRequests() - before));
  expect(again.length).toBeGreaterThanOrEqual(1);
  expect(new Set(again.map((r) => r.path))).toEqual(new Set([`models/${MODEL}/transformer.data`]));
  expect(again[0]?.range).toBe(`bytes=${5 * CHUNK}-`);
});

test('with too small a quota the download fails with E_QUOTA, lists nothing as downloaded, and resumes with room', async ({
  context,
  page,
}) => {
  await open(page);
  await setQuota(context, page, 1_000_000);
  const refused = await generate(page);
  expect(refused).toMatchObject({ ok: false, code: 'E_QUOTA' });
  // Before the download (the estimate says it cannot fit) or at the first refused write (the worker's estimate does
  // not see a DevTools quota override): either way E_QUOTA saying so, with the figures.
  expect(refused.message).toMatch(
    /Not enough storage for .*: (it needs [\d.]+ MB more, the browser allows [\d.]+ MB|the browser refused to store more \([\d.]+ MB still to come)/,
  );
  expect((await modelState(page))?.state).not.toBe('downloaded');

  await setQuota(context, page, undefined);
  const outcome = await generate(page);
  expect(outcome.ok).toBe(true);
  expect(await modelState(page)).toMatchObject({ state: 'downloaded' });
});

test('delete frees the space: estimate().usage drops by the pack size ± 5 %', async ({ page }) => {
  await open(page);
  expect((await generate(page)).ok).toBe(true);
  const full = await storage(page);
  expect(full.models.map((m) => [m.id, m.download.state])).toEqual([[MODEL, 'downloaded']]);
  const emptied = await page.evaluate(
    (id) => (window as unknown as { varEngine: LabEngine }).varEngine.deleteModel(id),
    MODEL,
  );
  expect(emptied.models).toEqual([]);
  const dropped = (full.usedBytes ?? 0) - (emptied.usedBytes ?? 0);
  expect(dropped).toBeGreaterThanOrEqual(packBytes * 0.95);
  expect(dropped).toBeLessThanOrEqual(packBytes * 1.05);
  expect(await modelState(page)).toMatchObject({ state: 'not-downloaded', storedBytes: 0 });
});

test('two pages loading the same model at once download it once, and both generate', async ({ context, page }) => {
  const other = await context.newPage();
  await Promise.all([open(page), open(other)]);
  const [a, b] = await Promise.all([generate(page), generate(other)]);
  expect(a.ok && b.ok).toBe(true);
  expect(a.pixels).toBe(b.pixels);
  expect(packRequests()).toBe(packFiles.length);
  expect(packBytesSent()).toBe(packBytes);
});

test('with the network off, the cached model is listed and generates; an uncached one is "not available offline"', async ({
  context,
  page,
}) => {
  await open(page);
  const online = await generate(page);
  expect(online.ok).toBe(true);
  // A fresh engine in the same worker (nothing in memory, ORT already loaded), then no network at all.
  await page.evaluate(
    (url) => (window as unknown as { varEngine: LabEngine }).varEngine.configureForTesting({ modelsUrl: url }),
    modelsUrl(),
  );
  await context.setOffline(true);
  try {
    const requests = server.requests.length;
    const models = await listModels(page);
    expect(models.map((m) => [m.id, m.offline, m.download.state])).toEqual([[MODEL, true, 'downloaded']]);
    const offline = await generate(page);
    expect(offline).toEqual(online);
    const missing = await generate(page, { ...PARAMS, modelId: 'tiny' });
    expect(missing).toMatchObject({ ok: false, code: 'E_NETWORK' });
    expect(missing.message).toMatch(/tiny is not available offline/);
    expect(server.requests.length).toBe(requests); // nothing reached the server
  } finally {
    await context.setOffline(false);
  }
});
