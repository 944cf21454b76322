import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { planPack } from '../../src/core/pack/build-pack';
import { ModelsIndex } from './models-index';

/** A models folder over HTTP: path → body (404 otherwise), counting requests per path. */
async function serve(
  files: Record<string, string>,
): Promise<{ url: string; hits: Map<string, number>; server: Server }> {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = req.url ?? '';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const body = files[path];
    res.writeHead(body === undefined ? 404 : 200).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/models/`, hits, server };
}

/** A valid manifest (the micro architecture, planned only) named `name`, with made-up hashes. */
async function manifest(name: string): Promise<string> {
  const plan = await planPack({ kind: 'synthetic', architecture: 'micro' });
  const files = plan.files.map((f) => ({ path: f.path, bytes: f.byteLength, sha256: 'a'.repeat(64) }));
  return JSON.stringify({ ...plan.manifest, name, label: `Pack ${name}`, files });
}

function packBytes(json: string): number {
  return (JSON.parse(json) as { files: { bytes: number }[] }).files.reduce((n, f) => n + f.bytes, 0);
}

let server: Server | undefined;
afterEach(() => server?.close());

describe('ModelsIndex', () => {
  it('lists the packs of index.json in order, reading each manifest once', async () => {
    const a = await manifest('a');
    const served = await serve({
      '/models/index.json': JSON.stringify({ packs: ['b', 'a'] }),
      '/models/a/manifest.json': a,
      '/models/b/manifest.json': await manifest('b'),
    });
    server = served.server;
    const index = new ModelsIndex(served.url);
    const models = await index.list();
    expect(models.map((m) => [m.id, m.manifest.label, m.packUrl])).toEqual([
      ['b', 'Pack b', `${served.url}b/`],
      ['a', 'Pack a', `${served.url}a/`],
    ]);
    expect(packBytes(a)).toBeGreaterThan(0);
    await index.list();
    expect(served.hits.get('/models/a/manifest.json')).toBe(1);
    expect(served.hits.get('/models/index.json')).toBe(1);
  });

  it('retries a failed index read on the next call instead of remembering the failure', async () => {
    const files: Record<string, string> = {};
    const served = await serve(files);
    server = served.server;
    const index = new ModelsIndex(served.url);
    await expect(index.list()).rejects.toMatchObject({ code: 'E_NETWORK' });
    files['/models/index.json'] = JSON.stringify({ packs: [] });
    await expect(index.list()).resolves.toEqual([]);
  });

  it('a broken index is E_PACK_FORMAT naming its URL', async () => {
    const served = await serve({ '/models/index.json': '<html>' });
    server = served.server;
    await expect(new ModelsIndex(served.url).list()).rejects.toMatchObject({
      code: 'E_PACK_FORMAT',
      message: expect.stringContaining('index.json is not JSON'),
    });
  });

  it('refuses an index that names packs elsewhere (another origin, a parent folder), fetching none of them', async () => {
    for (const bad of ['https://evil.example/x', '//evil.example/x', '../x', 'a/b', '.hidden', '']) {
      const served = await serve({ '/models/index.json': JSON.stringify({ packs: ['tiny', bad] }) });
      server = served.server;
      await expect(new ModelsIndex(served.url).list()).rejects.toMatchObject({
        code: 'E_PACK_FORMAT',
        message: expect.stringContaining('is not a pack folder name'),
      });
      expect([...served.hits.keys()]).toEqual(['/models/index.json']);
      server.close();
      server = undefined;
    }
  });
});
