// Where a loaded pack's files come from: a folder (Node), HTTP + cache (browser), or memory (tests).

import type { PackManifest } from './manifest';

export interface PackSource {
  /** The validated manifest (format and version checked). */
  readonly manifest: PackManifest;
  /** Bytes of a file listed in the manifest (size and sha256 verified by the source before they are returned). */
  file(path: string): Promise<Uint8Array>;
}
