// The two checkpoints of a conversion as byte sources with their identity for the manifest (name, size, sha256):
// URLs through HTTP Range requests with the sha256 the Hugging Face Hub lists, local files hashed here.

import type { ByteSource } from '../../../src/core/io/byte-source';
import type { PackFile } from '../../../src/core/pack/manifest';
import type { CheckpointSource } from '../../../src/shared/engine-api';
import { VarError } from '../../../src/shared/errors';
import { BlobByteSource } from '../../../src/web/blob-byte-source';
import { HttpByteSource, type HttpByteSourceOptions } from '../../../src/web/http-byte-source';
import { fetchBytes } from '../fetch-file';
import { createSha256Stream } from '../store/sha256';

export interface CheckpointInput {
  readonly source: ByteSource;
  /** Read over the network (its identity is known without reading it all: describe() is cheap). */
  readonly remote: boolean;
  /** Bytes received over the network so far (0 for a local file). */
  fetchedBytes(): number;
  /**
   * Name, size and sha256 of the whole file, for the manifest's `source` and the conversion's identity: from the
   * Hub's listing for a URL (nothing more is downloaded), hashed for a local file (`onHashed` reports bytes).
   */
  describe(onHashed?: (bytes: number) => void): Promise<PackFile>;
}

export interface InputOptions {
  readonly signal?: AbortSignal;
  readonly fetch?: typeof fetch;
  readonly http?: Omit<HttpByteSourceOptions, 'signal' | 'fetch'>;
}

export async function openCheckpointInput(
  source: CheckpointSource,
  options: InputOptions = {},
): Promise<CheckpointInput> {
  if ('url' in source) return openUrl(source.url, options);
  // A FileLike that crossed the worker boundary is a Blob or File (structured clone).
  const file = source.file as Blob;
  const blob = new BlobByteSource(file, source.name);
  return {
    source: blob,
    remote: false,
    fetchedBytes: () => 0,
    describe: (onHashed) => hashBlob(file, blob.name, options.signal, onHashed),
  };
}

async function openUrl(url: string, options: InputOptions): Promise<CheckpointInput> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new VarError('E_NETWORK', `"${url}" is not a URL`, { url });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new VarError('E_NETWORK', `${url} is not an http(s) URL`, { url });
  }
  const http = await HttpByteSource.open(url, {
    ...options.http,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return {
    source: http,
    remote: true,
    fetchedBytes: () => http.bytesFetched,
    describe: async () => {
      const listed = await hubListing(url);
      if (listed.bytes !== http.size) {
        throw new VarError(
          'E_NETWORK',
          `${url} has ${http.size} bytes, but the Hub lists ${listed.bytes} for it: the file changed, or the listing is not of this file`,
          { url },
        );
      }
      return { path: http.name, bytes: listed.bytes, sha256: listed.sha256 };
    },
  };
}

/** Where a Hub file URL's listing is: `<host>/<owner>/<repo>/resolve/<rev>/<path>` → the tree API of its folder. */
export function hubTreeUrl(url: string): { readonly treeUrl: string; readonly path: string } | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const match = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(u.pathname);
  if (!match) return undefined;
  const [, repo, rev, rawPath] = match as unknown as [string, string, string, string];
  const path = decodeURIComponent(rawPath);
  const slash = path.lastIndexOf('/');
  const folder = slash >= 0 ? `/${path.slice(0, slash)}` : '';
  return { treeUrl: `${u.origin}/api/models/${repo}/tree/${rev}${folder}`, path };
}

interface TreeEntry {
  readonly path?: unknown;
  readonly size?: unknown;
  readonly lfs?: { readonly oid?: unknown; readonly size?: unknown };
}

/**
 * The sha256 and size the Hub lists for a file (`lfs.oid`, `lfs.size` of its tree API): the X-Linked-Etag header
 * that carries it on the redirect cannot be read from a page, and an ETag is not a sha256.
 */
export async function hubListing(url: string): Promise<{ sha256: string; bytes: number }> {
  const where = hubTreeUrl(url);
  if (!where) {
    throw new VarError(
      'E_NETWORK',
      `${url} is not a Hugging Face file URL (…/<owner>/<repo>/resolve/<revision>/<file>), so its sha256 cannot be looked up without downloading all of it; download the file and choose it as a local file instead`,
      { url },
    );
  }
  let entries: unknown;
  try {
    entries = JSON.parse(new TextDecoder().decode(await fetchBytes(where.treeUrl, undefined)));
  } catch (error) {
    if (error instanceof VarError) throw error;
    throw new VarError('E_NETWORK', `${where.treeUrl} is not the Hub's JSON file listing`, { url: where.treeUrl });
  }
  const entry = Array.isArray(entries)
    ? (entries as TreeEntry[]).find((e) => typeof e === 'object' && e !== null && e.path === where.path)
    : undefined;
  const oid = entry?.lfs?.oid;
  const size = entry?.lfs?.size ?? entry?.size;
  if (typeof oid !== 'string' || !/^[0-9a-f]{64}$/.test(oid) || typeof size !== 'number') {
    throw new VarError(
      'E_NETWORK',
      `${where.treeUrl} lists no sha256 (lfs.oid) for ${where.path}: is it a large (LFS) file of that repository?`,
      { url: where.treeUrl, path: where.path },
    );
  }
  return { sha256: oid, bytes: size };
}

const HASH_SLICE = 8 << 20;

async function hashBlob(
  blob: Blob,
  name: string,
  signal: AbortSignal | undefined,
  onHashed?: (bytes: number) => void,
): Promise<PackFile> {
  const hasher = await createSha256Stream();
  if (!hasher) throw new VarError('E_INTERNAL', 'sha256 hasher could not start');
  for (let offset = 0; offset < blob.size; offset += HASH_SLICE) {
    if (signal?.aborted) throw new VarError('E_ABORTED', `Hashing ${name} was cancelled`);
    const part = new Uint8Array(await blob.slice(offset, Math.min(blob.size, offset + HASH_SLICE)).arrayBuffer());
    hasher.update(part);
    onHashed?.(offset + part.byteLength);
  }
  return { path: name, bytes: blob.size, sha256: hasher.digest('hex') };
}
