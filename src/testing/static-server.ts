// A plain static file server for tests, like a host that cannot set headers (GitHub Pages): serves a folder under a
// path prefix with content types and nothing else — no COOP/COEP, no CORS. The folder can be switched (a redeploy),
// and the server stopped (the network gone).

import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.onnx': 'application/octet-stream',
  '.data': 'application/octet-stream',
  '.f32': 'application/octet-stream',
};

export interface StaticServer {
  /** e.g. http://127.0.0.1:41234/var-web/ */
  readonly url: string;
  /** The folder served (switch it to "deploy" another build). */
  root: string;
  /** Paths requested (after the prefix), in order. */
  readonly requests: string[];
  /** True: every connection is dropped at once, as when the network is gone. */
  down: boolean;
  close(): Promise<void>;
}

/** `headers`: sent with every file (e.g. COOP/COEP for a cross-origin-isolated host page); none by default. */
export async function startStaticServer(
  root: string,
  prefix = '/',
  headers: Readonly<Record<string, string>> = {},
): Promise<StaticServer> {
  const state = { root, requests: [] as string[], down: false };
  const server = createServer(async (req, res) => {
    if (state.down) return void req.socket.destroy();
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (!path.startsWith(prefix)) return void res.writeHead(404).end('not found');
    const rel = path.slice(prefix.length) || 'index.html';
    state.requests.push(rel);
    const file = normalize(join(state.root, rel.endsWith('/') ? `${rel}index.html` : rel));
    if (!file.startsWith(normalize(state.root))) return void res.writeHead(403).end('forbidden');
    try {
      if (!(await stat(file)).isFile()) throw new Error('not a file');
      const body = await readFile(file);
      res.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const served = state as unknown as StaticServer;
  Object.assign(served, {
    url: `http://127.0.0.1:${port}${prefix}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return served;
}
