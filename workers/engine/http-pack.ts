// A PackSource over HTTP: the manifest from `<url>manifest.json`, each file fetched and verified (size, sha256).
// The cache layer (IndexedDB) will sit between this and the fetch layer; for now every load downloads.

import type { PackManifest } from '../../src/core/pack/manifest';
import { MANIFEST_FILE } from '../../src/core/pack/manifest';
import { parsePackManifest } from '../../src/core/pack/pack-manifest-check';
import type { PackSource } from '../../src/core/pack/pack-source';
import { VarError } from '../../src/shared/errors';
import { type ByteProgress, fetchBytes, sha256Hex } from './fetch-file';

export async function fetchPackManifest(packUrl: string): Promise<PackManifest> {
  const url = new URL(MANIFEST_FILE, packUrl).href;
  const bytes = await fetchBytes(url, undefined);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new VarError('E_PACK_FORMAT', `${url} is not JSON: is this a var-web model pack?`, { url });
  }
  return parsePackManifest(json, url);
}

export function httpPackSource(
  packUrl: string,
  manifest: PackManifest,
  onFileProgress?: (file: string, loaded: number, total: number) => void,
): PackSource {
  return {
    manifest,
    async file(path) {
      const entry = manifest.files.find((f) => f.path === path);
      if (!entry) throw new VarError('E_PACK_CORRUPT', `${path} is not listed in the manifest of ${packUrl}`);
      const progress: ByteProgress = (loaded, total) => onFileProgress?.(path, loaded, total);
      const bytes = await fetchBytes(new URL(path, packUrl).href, entry.bytes, progress);
      if (bytes.byteLength !== entry.bytes) {
        throw new VarError(
          'E_PACK_CORRUPT',
          `${path} of ${manifest.label} has ${bytes.byteLength} bytes, the manifest says ${entry.bytes} (interrupted download?)`,
          { path },
        );
      }
      if ((await sha256Hex(bytes)) !== entry.sha256) {
        throw new VarError(
          'E_PACK_CORRUPT',
          `${path} of ${manifest.label} does not match its sha256: the file is damaged`,
          {
            path,
          },
        );
      }
      return bytes;
    },
  };
}
