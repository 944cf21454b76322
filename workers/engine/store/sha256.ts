// sha256 for the store: an incremental hasher whose state can be saved with each chunk, and a one-shot digest.

import { createSHA256, type IHasher } from 'hash-wasm';

/**
 * hash-wasm, not @noble/hashes: sha256 of 232 MB in 1 MiB updates in a module worker of headless Chromium 156 on this
 * 2-core machine (`npx tsx src/cli/bench-store-browser.ts`, three runs, the last under load): hash-wasm 129–197 MB/s,
 * @noble/hashes 30–51 MB/s; saving and loading the state after every MiB costs hash-wasm nothing measurable (135–198).
 * WebCrypto's one-shot digest does 250–438 MB/s but cannot hash a download as it arrives; it verifies whole files
 * read back from the store (sha256Hex). hash-wasm's saved state lets a resumed download continue the hash without
 * reading back the chunks it already stored.
 */
export type Sha256Stream = IHasher;

/** A fresh hasher, or one continuing from a state saved by `save()`; undefined when that state cannot be loaded. */
export async function createSha256Stream(state?: Uint8Array): Promise<Sha256Stream | undefined> {
  const hasher = await createSHA256();
  hasher.init();
  if (!state) return hasher;
  try {
    hasher.load(state);
    return hasher;
  } catch {
    // A state written by another hash-wasm build: the caller re-hashes the stored chunks instead.
    return undefined;
  }
}

/** Lower-case hex sha256 of `bytes` in one call: WebCrypto where there is one (faster on a whole file), else wasm. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  if (globalThis.crypto?.subtle) {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
    return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  }
  const hasher = await createSHA256();
  return hasher.init().update(bytes).digest('hex');
}
