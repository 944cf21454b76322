// Reads a complete file back from the store and re-hashes it: the bytes are returned only when their sha256 is the
// manifest's. Anything missing, short or damaged is deleted (from the first bad chunk on) and reported as absent, so
// the caller downloads it again instead of failing.

import type { PackFile } from '../../../src/core/pack/manifest';
import { chunkData, chunkSize, type ModelStore } from './model-store';
import { createSha256Stream, type Sha256Stream, sha256Hex } from './sha256';

/**
 * The verified bytes of `file`, or undefined when the store does not hold all of them intact. Not locked: the caller
 * holds the file's lock, since a repair deletes chunks.
 *
 * The whole file is assembled, then hashed in one WebCrypto call: on 232 MB in Chromium that was faster than hashing
 * chunk by chunk with hash-wasm while the next chunks were read (CHUNK_BENCHMARK in model-store.ts).
 */
export async function readVerifiedFile(store: ModelStore, file: PackFile): Promise<Uint8Array | undefined> {
  const { sha256, bytes: total } = file;
  const record = await store.getFile(sha256);
  if (!record) return undefined;
  const { chunkBytes } = record;
  if (record.bytes !== total || chunkBytes <= 0) {
    await forget(store, sha256, 0);
    return undefined;
  }
  const out = new Uint8Array(total);
  const states: Uint8Array[] = [];
  const count = Math.ceil(total / chunkBytes);
  for (let i = 0; i < count; i++) {
    const chunk = await store.getChunk(sha256, i);
    // A Blob whose backing file is gone fails to read (NotReadableError): the same as a missing chunk.
    const data = chunk ? await chunkData(chunk).catch(() => undefined) : undefined;
    if (!chunk || !data || data.byteLength !== chunkSize(total, chunkBytes, i)) {
      await forget(store, sha256, i);
      return undefined;
    }
    out.set(data, i * chunkBytes);
    states.push(chunk.hashState);
  }
  if ((await sha256Hex(out)) === sha256) return out;
  await forget(store, sha256, await firstDamagedChunk(out, chunkBytes, states));
  return undefined;
}

/**
 * The first chunk whose bytes differ from those written: the running hash of what was read is compared, chunk by
 * chunk, with the hasher state saved when each chunk was committed. Everything before it can stay, and the download
 * resumes there. 0 when the states cannot tell (they are damaged too).
 *
 * States are compared through the digest they finish to, not byte for byte: hash-wasm's saved state carries its
 * 64-byte block buffer with stale bytes from earlier updates, so two states of the same prefix hashed in different
 * pieces differ in bytes that do not count.
 */
async function firstDamagedChunk(
  bytes: Uint8Array,
  chunkBytes: number,
  states: readonly Uint8Array[],
): Promise<number> {
  const running = await createSha256Stream();
  const saved = await createSha256Stream();
  if (!running || !saved) return 0;
  for (let i = 0; i < states.length; i++) {
    running.update(bytes.subarray(i * chunkBytes, (i + 1) * chunkBytes));
    const here = running.save();
    const readDigest = running.digest('hex');
    running.load(here);
    const state = states[i];
    if (!state || prefixDigest(saved, state) !== readDigest) return i;
  }
  return 0;
}

/** The sha256 of the bytes a saved state had hashed; undefined when it cannot be loaded. */
function prefixDigest(hasher: Sha256Stream, state: Uint8Array): string | undefined {
  try {
    return hasher.init().load(state).digest('hex');
  } catch {
    return undefined;
  }
}

/** The "complete" record goes first, so an interrupted repair never leaves a complete file with missing chunks. */
async function forget(store: ModelStore, sha256: string, fromChunk: number): Promise<void> {
  await store.deleteFile(sha256);
  await store.deleteChunks(sha256, fromChunk);
}
