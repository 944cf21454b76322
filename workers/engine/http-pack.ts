// A pack's manifest over HTTP (`<url>manifest.json`), parsed and validated. The pack's files come through the model
// store (store/store-pack-source.ts), which downloads, verifies and keeps them.

import type { PackManifest } from '../../src/core/pack/manifest';
import { MANIFEST_FILE } from '../../src/core/pack/manifest';
import { parsePackManifest } from '../../src/core/pack/pack-manifest-check';
import { VarError } from '../../src/shared/errors';
import { fetchBytes } from './fetch-file';

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
