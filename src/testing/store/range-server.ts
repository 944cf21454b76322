// A local HTTP server for the store's tests (Node and browser): serves byte arrays with or without Range support, and
// on request cuts a body at a byte offset, holds a body at an offset until released, answers an error status or an
// HTML page first, and counts every body byte it sends. CORS and CORP headers let a cross-origin-isolated page's worker fetch from it.

import { readdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';

export interface PlannedFailure {
  readonly status: number;
  readonly retryAfter?: string;
}

export interface ServedRequest {
  readonly path: string;
  readonly range: string | undefined;
  readonly status: number;
}

export interface RangeServer {
  readonly url: string;
  /** path (without the leading slash) → bytes. */
  readonly files: Map<string, Uint8Array>;
  /** False: Range headers are ignored and every answer is a 200 with the whole file. */
  ranges: boolean;
  /** Absolute byte offsets at which the next bodies are cut (the connection is destroyed); each is used once. */
  readonly cuts: number[];
  /**
   * Absolute byte offsets at which the next bodies stop and hang (the connection stays open, as on a stalled network)
   * until `releaseStalls()` closes them; each is used once.
   */
  readonly stalls: number[];
  /** Statuses answered (once each, in order) before files are served again. */
  readonly failures: PlannedFailure[];
  /** The next this many requests get a 200 HTML page instead of the file (a proxy's or CDN's error page). */
  htmlPages: number;
  /** Headers added to every file answer (what a CDN sends: ETag, Cache-Control, …). */
  readonly extraHeaders: Record<string, string>;
  /** Milliseconds each answer waits before it starts (a slow network, so a test can act mid-way). */
  latencyMs: number;
  readonly requests: ServedRequest[];
  bytesSent: number;
  /** Body bytes sent per path. */
  readonly bytesByPath: Map<string, number>;
  /** Closes every stalled body mid-way. */
  releaseStalls(): void;
  close(): Promise<void>;
}

/** Adds every file under `dir` as `prefix` + its relative path (forward slashes). */
export async function serveFolder(server: RangeServer, dir: string, prefix: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    server.files.set(`${prefix}${relative(dir, path).split('\\').join('/')}`, new Uint8Array(await readFile(path)));
  }
}

/**
 * Cross-origin access for the browser: the app is cross-origin isolated (COEP require-corp), so its worker fetches
 * other origins in CORS mode and needs ACAO; Content-Range must be exposed for a resumed download to be read.
 */
const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'range',
  'access-control-expose-headers': 'content-range, accept-ranges, content-length, retry-after, etag',
  'cross-origin-resource-policy': 'cross-origin',
};

export async function startRangeServer(): Promise<RangeServer> {
  const stalled = new Set<ServerResponse>();
  const state: State = {
    files: new Map(),
    ranges: true,
    cuts: [],
    stalls: [],
    failures: [],
    htmlPages: 0,
    extraHeaders: {},
    latencyMs: 0,
    requests: [],
    bytesSent: 0,
    bytesByPath: new Map(),
    stalled,
    releaseStalls: () => {
      for (const res of stalled) res.socket?.destroy();
      stalled.clear();
    },
  };
  const server = createServer((req, res) => {
    if (state.latencyMs > 0) setTimeout(() => handle(state, req, res), state.latencyMs);
    else handle(state, req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const served = state as unknown as RangeServer;
  Object.assign(served, {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return served;
}

/** How long a cut body stays open after its last byte before the connection closes. */
const CUT_DELAY_MS = 150;

type State = Omit<RangeServer, 'url' | 'close'> & { readonly stalled: Set<ServerResponse> };

function handle(state: State, req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://x').pathname.slice(1);
  const range = req.headers.range;
  const log = (status: number) => state.requests.push({ path, range, status });
  for (const [name, value] of Object.entries(CORS_HEADERS)) res.setHeader(name, value);
  if (req.method === 'OPTIONS') {
    res.writeHead(204).end();
    return;
  }
  const failure = state.failures.shift();
  if (failure) {
    log(failure.status);
    res.writeHead(failure.status, failure.retryAfter ? { 'retry-after': failure.retryAfter } : {});
    res.end('try later');
    return;
  }
  if (state.htmlPages > 0) {
    state.htmlPages--;
    log(200);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>');
    return;
  }
  const bytes = state.files.get(path);
  if (!bytes) {
    log(404);
    res.writeHead(404).end('not found');
    return;
  }
  let start = 0;
  let last = bytes.byteLength; // one past the last byte of the answer
  const match = state.ranges && range ? /^bytes=(\d+)-(\d*)$/.exec(range) : null;
  const headers = { 'content-type': 'application/octet-stream', ...state.extraHeaders };
  if (match) {
    start = Number(match[1]);
    if (match[2]) last = Math.min(bytes.byteLength, Number(match[2]) + 1);
    if (start >= bytes.byteLength || start >= last) {
      log(416);
      res.writeHead(416, { 'content-range': `bytes */${bytes.byteLength}` }).end();
      return;
    }
    log(206);
    res.writeHead(206, {
      ...headers,
      'content-length': String(last - start),
      'content-range': `bytes ${start}-${last - 1}/${bytes.byteLength}`,
      'accept-ranges': 'bytes',
    });
  } else {
    log(200);
    res.writeHead(200, { ...headers, 'content-length': String(bytes.byteLength) });
  }
  const cutIndex = state.cuts.findIndex((offset) => offset > start && offset < last);
  const stallIndex = cutIndex >= 0 ? -1 : state.stalls.findIndex((o) => o > start && o < last);
  const end =
    cutIndex >= 0
      ? (state.cuts.splice(cutIndex, 1)[0] as number)
      : stallIndex >= 0
        ? (state.stalls.splice(stallIndex, 1)[0] as number)
        : last;
  const body = bytes.subarray(start, end);
  state.bytesSent += body.byteLength;
  state.bytesByPath.set(path, (state.bytesByPath.get(path) ?? 0) + body.byteLength);
  if (end === last) {
    res.end(body);
    return;
  }
  if (stallIndex >= 0) {
    res.write(body);
    state.stalled.add(res);
    return;
  }
  // Flush what comes before the cut, then close the connection mid-body, as a failing network would (a FIN, not a
  // reset, so every byte counted as sent arrives). The close waits a moment: Chromium fails a body that ends short of
  // its Content-Length at once, dropping what it has received but not yet handed to the reader (measured: a whole
  // 263 kB body when the FIN followed the data at once), whereas on a real network the drop comes after the data.
  res.write(body, () => setTimeout(() => res.socket?.end(), CUT_DELAY_MS));
}
