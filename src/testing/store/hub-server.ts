// A stand-in for the Hugging Face Hub (tests have no network): `/<repo>/resolve/main/<file>` answers 302 to a CDN on a
// second origin (a RangeServer: 206 ranges, CORS, CDN headers, faults on demand), and `/api/models/<repo>/tree/main`
// lists each file's lfs.oid (sha256) and size, as huggingface.co does.

import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RangeServer, startRangeServer } from './range-server';

export const HUB_REPO = 'FoundationVision/var';

export interface HubServer {
  /** The Hub's origin, e.g. http://127.0.0.1:40001/ */
  readonly url: string;
  /** The CDN the resolve URLs redirect to (count its bytes, cut or fail its answers). */
  readonly cdn: RangeServer;
  /** file name → bytes served under the repo. */
  readonly files: Map<string, Uint8Array>;
  /** Requests to the Hub itself (resolve redirects and tree listings): path and status. */
  readonly requests: { readonly path: string; readonly status: number }[];
  /** `https://huggingface.co/FoundationVision/var/resolve/main/<name>`, on this server. */
  resolveUrl(name: string): string;
  /** Adds (or replaces) a file; it is served by the CDN under its sha256. */
  add(name: string, bytes: Uint8Array): void;
  close(): Promise<void>;
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'range',
  'access-control-expose-headers': 'content-range, accept-ranges, content-length, etag, x-linked-etag, x-linked-size',
  'cross-origin-resource-policy': 'cross-origin',
};

export async function startHubServer(): Promise<HubServer> {
  const cdn = await startRangeServer();
  // What the Hub's CDN sends besides the range headers (the ETag is quoted, and is not a sha256 one can rely on).
  Object.assign(cdn.extraHeaders, {
    'cache-control': 'public, max-age=604800, immutable',
    'x-cache': 'Hit from cloudfront',
    via: '1.1 cloudfront.net (CloudFront)',
  });
  const files = new Map<string, Uint8Array>();
  const shas = new Map<string, string>();
  const requests: HubServer['requests'] = [];
  const server = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/`;

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    for (const [name, value] of Object.entries(CORS)) res.setHeader(name, value);
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    const answer = (status: number, headers: Record<string, string>, body?: string) => {
      requests.push({ path, status });
      res.writeHead(status, headers).end(body);
    };
    if (path === `/api/models/${HUB_REPO}/tree/main`) {
      const listing = [...files].map(([name, bytes]) => ({
        type: 'file',
        oid: createHash('sha1').update(bytes).digest('hex'),
        size: bytes.byteLength,
        path: name,
        lfs: { oid: shas.get(name), size: bytes.byteLength, pointerSize: 135 },
      }));
      answer(200, { 'content-type': 'application/json' }, JSON.stringify(listing));
      return;
    }
    const prefix = `/${HUB_REPO}/resolve/main/`;
    const name = path.startsWith(prefix) ? path.slice(prefix.length) : undefined;
    const bytes = name === undefined ? undefined : files.get(name);
    if (name === undefined || bytes === undefined) {
      answer(404, { 'content-type': 'text/plain', 'x-error-code': 'EntryNotFound' }, 'Entry not found');
      return;
    }
    const sha = shas.get(name) as string;
    answer(302, {
      location: `${cdn.url}repos/${sha}/${name}?Expires=${Math.floor(Date.now() / 1000) + 3600}&Signature=test`,
      'x-linked-etag': `"${sha}"`,
      'x-linked-size': String(bytes.byteLength),
    });
  }

  return {
    url,
    cdn,
    files,
    requests,
    resolveUrl: (name) => `${url}${HUB_REPO}/resolve/main/${encodeURIComponent(name)}`,
    add(name, bytes) {
      const sha = createHash('sha256').update(bytes).digest('hex');
      files.set(name, bytes);
      shas.set(name, sha);
      cdn.files.set(`repos/${sha}/${name}`, bytes);
      cdn.extraHeaders.etag = `"${sha.slice(0, 32)}"`;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await cdn.close();
    },
  };
}
