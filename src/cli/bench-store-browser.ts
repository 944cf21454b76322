// `npx tsx src/cli/bench-store-browser.ts [--mb 232] [--chunks 4,16,64] [--kinds blob,arraybuffer] [--skip-store|hash]`: the figures
// behind the model store's defaults (workers/engine/store): IndexedDB write and read-back throughput and peak memory
// per chunk size and value kind (Blob or ArrayBuffer), and sha256 MB/s of hash-wasm, @noble/hashes and WebCrypto,
// all in Debian's headless chromium with an on-disk profile (an incognito context keeps IndexedDB in memory).

import { readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { parseArgs } from 'node:util';
import { type CDPSession, chromium, type Page } from '@playwright/test';
import { chromiumPssBytes } from '../testing/process-pss';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const MB = 1e6;
const MiB = 1 << 20;

// The page side, as source text: tsx compiles this file with esbuild's keepNames, whose __name helper would be
// missing inside the page ("ReferenceError: __name is not defined").
const PAGE_JS = `
import { createSHA256 } from '/vendor/hash-wasm.js';
const MiB = 1 << 20;
let pool = null;
function fillRandom(bytes) {
  const out = new Uint8Array(bytes);
  for (let o = 0; o < bytes; o += 65536) crypto.getRandomValues(out.subarray(o, Math.min(bytes, o + 65536)));
  return out;
}
// Random bytes (incompressible: Chromium compresses large IndexedDB values), a different rotation per chunk.
function piece(index, size) {
  pool ??= fillRandom(64 * MiB);
  const out = new Uint8Array(size);
  let src = (index * 7919 * 4096) % pool.length;
  for (let o = 0; o < size; ) {
    const n = Math.min(size - o, pool.length - src);
    out.set(pool.subarray(src, src + n), o);
    o += n;
    src = 0;
  }
  return out;
}
const request = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
const committed = (tx) => new Promise((res, rej) => { tx.oncomplete = () => res(); tx.onerror = tx.onabort = () => rej(tx.error); });
function openDb(name) {
  const r = indexedDB.open(name, 1);
  r.onupgradeneeded = () => r.result.createObjectStore('chunks');
  return request(r);
}
let db = null;
window.benchPrepare = async () => { piece(0, 1); };
window.benchWrite = async (name, totalBytes, chunkBytes, kind) => {
  db = await openDb(name);
  const t0 = performance.now();
  for (let i = 0, off = 0; off < totalBytes; i++, off += chunkBytes) {
    const data = piece(i, Math.min(chunkBytes, totalBytes - off));
    const value = kind === 'blob' ? new Blob([data]) : data.buffer;
    const tx = db.transaction('chunks', 'readwrite');
    tx.objectStore('chunks').put({ data: value, bytes: data.byteLength }, i);
    await committed(tx);
  }
  return performance.now() - t0;
};
let out = null;
window.benchRead = async (totalBytes, chunkBytes) => {
  const t0 = performance.now();
  out = new Uint8Array(totalBytes);
  for (let i = 0, off = 0; off < totalBytes; i++, off += chunkBytes) {
    const rec = await request(db.transaction('chunks', 'readonly').objectStore('chunks').get(i));
    const bytes = rec.data instanceof Blob ? new Uint8Array(await rec.data.arrayBuffer()) : new Uint8Array(rec.data);
    if (bytes.byteLength !== rec.bytes) throw new Error('chunk ' + i + ' has ' + bytes.byteLength + ' bytes');
    out.set(bytes, off);
  }
  const readMs = performance.now() - t0;
  const t1 = performance.now();
  const oneShot = new Uint8Array(await crypto.subtle.digest('SHA-256', out));
  const webcryptoMs = performance.now() - t1;
  out = null;
  globalThis.gc?.();
  // Pipelined: every get() in one transaction, up to 4 chunks being read at once, hash-wasm hashing in order while
  // the next chunks are still being read.
  const t2 = performance.now();
  out = new Uint8Array(totalBytes);
  const count = Math.ceil(totalBytes / chunkBytes);
  const store = db.transaction('chunks', 'readonly').objectStore('chunks');
  const recs = Array.from({ length: count }, (_, i) => request(store.get(i)));
  const hasher = await createSHA256();
  hasher.init();
  const load = async (i) => { const rec = await recs[i]; return rec.data instanceof Blob ? new Uint8Array(await rec.data.arrayBuffer()) : new Uint8Array(rec.data); };
  const inFlight = [];
  for (let i = 0; i < Math.min(4, count); i++) inFlight.push(load(i));
  for (let i = 0; i < count; i++) {
    const bytes = await inFlight[i];
    inFlight[i] = null;
    if (i + 4 < count) inFlight.push(load(i + 4));
    out.set(bytes, i * chunkBytes);
    hasher.update(bytes);
  }
  const pipelined = hasher.digest('binary');
  const pipelinedMs = performance.now() - t2;
  if (pipelined.some((b, i) => b !== oneShot[i])) throw new Error('pipelined digest differs');
  return { readMs, webcryptoMs, pipelinedMs };
};
window.benchCleanup = async (name) => {
  out = null;
  db?.close();
  db = null;
  await request(indexedDB.deleteDatabase(name));
  globalThis.gc?.();
};
window.benchHash = (totalBytes) => new Promise((res, rej) => {
  const w = new Worker('/hash-worker.js', { type: 'module' });
  w.onmessage = (e) => { w.terminate(); e.data.error ? rej(new Error(e.data.error)) : res(e.data); };
  w.onerror = (e) => { w.terminate(); rej(new Error(e.message)); };
  w.postMessage({ totalBytes });
});
`;

// Hashing runs in a worker, where the store will run it: 1 MiB updates (what a download delivers), then one-shot.
const HASH_WORKER_JS = `
import { createSHA256 } from '/vendor/hash-wasm.js';
import { sha256 } from '/noble/sha2.js';
const MiB = 1 << 20;
onmessage = async (e) => {
  try {
    const total = e.data.totalBytes;
    const buf = new Uint8Array(total);
    for (let o = 0; o < total; o += 65536) crypto.getRandomValues(buf.subarray(o, Math.min(total, o + 65536)));
    const time = async (f) => { const t = performance.now(); const hex = await f(); return { ms: performance.now() - t, hex }; };
    const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join('');
    const pieces = (step, f) => { for (let o = 0; o < total; o += step) f(buf.subarray(o, Math.min(total, o + step))); };
    const wasm = await createSHA256();
    const results = {};
    results['hash-wasm (1 MiB updates)'] = await time(() => { wasm.init(); pieces(MiB, (p) => wasm.update(p)); return wasm.digest('hex'); });
    results['hash-wasm (16 MiB updates)'] = await time(() => { wasm.init(); pieces(16 * MiB, (p) => wasm.update(p)); return wasm.digest('hex'); });
    results['hash-wasm save()+load() per 1 MiB'] = await time(() => { wasm.init(); pieces(MiB, (p) => { wasm.update(p); wasm.load(wasm.save()); }); return wasm.digest('hex'); });
    results['@noble/hashes (1 MiB updates)'] = await time(() => { const h = sha256.create(); pieces(MiB, (p) => h.update(p)); return hex(h.digest()); });
    results['WebCrypto one-shot'] = await time(async () => hex(new Uint8Array(await crypto.subtle.digest('SHA-256', buf))));
    const ref = results['WebCrypto one-shot'].hex;
    for (const [k, v] of Object.entries(results)) if (v.hex !== ref) throw new Error(k + ' digest differs');
    postMessage(Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.ms])));
  } catch (error) {
    postMessage({ error: String(error) });
  }
};
`;

function serve(): Promise<Server> {
  const root = process.cwd();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const js = (body: string | Buffer) => {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(body);
    };
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><meta charset="utf-8"><script type="module" src="/bench.js"></script>');
    } else if (url.pathname === '/bench.js') js(PAGE_JS);
    else if (url.pathname === '/hash-worker.js') js(HASH_WORKER_JS);
    else if (url.pathname === '/vendor/hash-wasm.js') {
      readFile(join(root, 'node_modules/hash-wasm/dist/index.esm.min.js')).then(js, () => res.writeHead(500).end());
    } else if (url.pathname.startsWith('/noble/')) {
      // @noble/hashes is ESM with relative imports: serve its folder as is.
      const rel = normalize(url.pathname.slice('/noble/'.length));
      if (rel.startsWith('..')) res.writeHead(403).end();
      else readFile(join(root, 'node_modules/@noble/hashes', rel)).then(js, () => res.writeHead(404).end());
    } else res.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function jsHeapBytes(cdp: CDPSession): Promise<number> {
  const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
  return metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
}

interface Peak {
  readonly heap: number;
  readonly pss: number;
}

/** Runs `work` while sampling memory every 100 ms; returns its result and the peaks above the level before it. */
async function withPeaks<T>(cdp: CDPSession, work: () => Promise<T>): Promise<{ result: T; peak: Peak }> {
  const heap0 = await jsHeapBytes(cdp);
  const pss0 = await chromiumPssBytes();
  let heap = heap0;
  let pss = pss0;
  let running = true;
  const sampler = (async () => {
    while (running) {
      heap = Math.max(heap, await jsHeapBytes(cdp));
      pss = Math.max(pss, await chromiumPssBytes());
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    const result = await work();
    return { result, peak: { heap: heap - heap0, pss: pss - pss0 } };
  } finally {
    running = false;
    await sampler;
  }
}

const fmt = (n: number, digits = 0) => n.toFixed(digits);

async function benchStore(
  page: Page,
  cdp: CDPSession,
  totalBytes: number,
  chunkMiBs: readonly number[],
  kinds: readonly string[],
) {
  await page.evaluate('window.benchPrepare()');
  console.log(
    `\nIndexedDB, ${fmt(totalBytes / MB, 1)} MB of random bytes, one transaction per chunk (on-disk profile)`,
  );
  console.log(
    '| chunk | value | write MB/s | write peak heap MB | write peak PSS MB | read MB/s | read peak heap MB | read peak PSS MB | read, then WebCrypto ms | pipelined read+hash-wasm ms |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const chunkMiB of chunkMiBs) {
    for (const kind of kinds) {
      const name = `bench-${chunkMiB}-${kind}`;
      const chunkBytes = chunkMiB * MiB;
      const w = await withPeaks(cdp, async () =>
        Number(
          await page.evaluate(`window.benchWrite(${JSON.stringify(name)}, ${totalBytes}, ${chunkBytes}, '${kind}')`),
        ),
      );
      const r = await withPeaks(
        cdp,
        async () =>
          (await page.evaluate(`window.benchRead(${totalBytes}, ${chunkBytes})`)) as {
            readMs: number;
            webcryptoMs: number;
            pipelinedMs: number;
          },
      );
      await page.evaluate(`window.benchCleanup(${JSON.stringify(name)})`);
      console.log(
        `| ${chunkMiB} MiB | ${kind} | ${fmt(totalBytes / MB / (w.result / 1000))} | ${fmt(w.peak.heap / MB)} | ${fmt(
          w.peak.pss / MB,
        )} | ${fmt(totalBytes / MB / (r.result.readMs / 1000))} | ${fmt(r.peak.heap / MB)} | ${fmt(r.peak.pss / MB)} | ${fmt(
          r.result.readMs + r.result.webcryptoMs,
        )} | ${fmt(r.result.pipelinedMs)} |`,
      );
    }
  }
  console.log(
    'JS heap: CDP Performance.getMetrics JSHeapUsedSize of the page, which leaves out ArrayBuffer backing stores and ' +
      'Blob data, so it stays near 0; PSS: /proc smaps_rollup of every Chromium process, sampled every 100 ms.',
  );
}

async function benchHash(page: Page, totalBytes: number) {
  const ms = (await page.evaluate(`window.benchHash(${totalBytes})`)) as Record<string, number>;
  console.log(`\nsha256 of ${fmt(totalBytes / MB, 1)} MB in a module worker (digests cross-checked)`);
  console.log('| implementation | ms | MB/s |');
  console.log('|---|---|---|');
  for (const [name, t] of Object.entries(ms))
    console.log(`| ${name} | ${fmt(t)} | ${fmt(totalBytes / MB / (t / 1000))} |`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      mb: { type: 'string', default: '232' },
      chunks: { type: 'string', default: '4,16,64' },
      kinds: { type: 'string', default: 'blob,arraybuffer' },
      'skip-store': { type: 'boolean', default: false },
      'skip-hash': { type: 'boolean', default: false },
    },
  });
  const totalBytes = Math.round(Number(values.mb) * MB);
  const chunkMiBs = (values.chunks ?? '').split(',').map(Number);
  const server = await serve();
  const profile = join(tmpdir(), `var-web-bench-store-${process.pid}`);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      // gc() between runs, so each run's memory baseline does not carry the previous run's garbage.
      '--js-flags=--expose-gc',
    ],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const { port } = server.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction('typeof window.benchWrite === "function"');
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    console.log(`chromium ${context.browser()?.version() ?? '(persistent context)'}, ${process.platform}`);
    if (!values['skip-hash']) await benchHash(page, totalBytes);
    if (!values['skip-store']) await benchStore(page, cdp, totalBytes, chunkMiBs, (values.kinds ?? '').split(','));
  } finally {
    await context.close();
    server.close();
    await rm(profile, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
