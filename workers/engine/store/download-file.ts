// Downloads one pack file into the store: resumes from the first missing chunk, commits each chunk as it fills (with
// the hasher state after it), and writes the file's "complete" record last, only once its sha256 matches.

import type { PackFile } from '../../../src/core/pack/manifest';
import { VarError } from '../../../src/shared/errors';
import { ChunkWriter } from './chunk-writer';
import { fetchResumable, type RetryPolicy } from './fetch-resumable';
import { type LockManagerLike, withFileLock } from './file-lock';
import { chunkData, chunkDataBytes, chunkSize, type ModelStore } from './model-store';
import {
  assertRoomFor,
  availableBytes,
  browserEstimator,
  isQuotaExceeded,
  refusedWriteError,
  type StorageEstimator,
} from './quota';
import { createSha256Stream, type Sha256Stream } from './sha256';

/** What the store's operations run against; everything but `store` defaults to the browser's own. */
export interface StoreContext {
  readonly store: ModelStore;
  readonly fetch?: typeof fetch;
  readonly retry?: RetryPolicy;
  readonly estimate?: StorageEstimator;
  readonly locks?: LockManagerLike;
}

export type ByteProgress = (doneBytes: number, totalBytes: number) => void;

export interface DownloadOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: ByteProgress;
}

/**
 * Makes `file` complete and verified in the store, downloading what is missing from `url`. Holds the file's lock, so
 * a second tab (or a second pack sharing the file) waits and then finds it complete. Chunks committed before an
 * error or an abort are kept for the next call. Throws VarError E_NETWORK, E_PACK_CORRUPT (sha256 mismatch: the
 * file's chunks are deleted), E_QUOTA or E_ABORTED.
 */
export function downloadFile(
  ctx: StoreContext,
  file: PackFile,
  url: string,
  options: DownloadOptions = {},
): Promise<void> {
  return withFileLock(file.sha256, () => downloadLocked(ctx, file, url, options), ctx.locks, options.signal);
}

async function downloadLocked(ctx: StoreContext, file: PackFile, url: string, options: DownloadOptions): Promise<void> {
  const { store } = ctx;
  const { sha256, bytes: total } = file;
  const complete = await store.getFile(sha256);
  if (complete?.bytes === total) {
    options.onProgress?.(total, total);
    return;
  }
  const write = await startFileWrite(
    ctx,
    file,
    // fetchResumable refuses bytes past the manifest's size before they get here.
    () => new VarError('E_PACK_CORRUPT', `${url} has more than the ${total} bytes its manifest lists`, { url }),
  );
  let position = write.start;
  options.onProgress?.(position, total);
  const pieces = fetchResumable(url, position, total, {
    ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
    ...(ctx.retry ? { retry: ctx.retry } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  for await (const piece of pieces) {
    await write.writer.write(piece);
    position += piece.byteLength;
    options.onProgress?.(position, total);
  }
  if (!(await write.finish())) {
    throw new VarError(
      'E_PACK_CORRUPT',
      `${file.path} from ${url} does not match the sha256 its manifest lists: the download was discarded`,
      { path: file.path, url },
    );
  }
}

/** A file being written into the store from where its stored chunks end (startFileWrite). */
export interface FileWrite {
  /** Takes the file's bytes from `start` on; commits each full chunk with the hasher state after it. */
  readonly writer: ChunkWriter;
  /** The byte the writer expects next (the chunks before it are stored and hashed). */
  readonly start: number;
  /**
   * After the last byte: writes the "complete" record when the sha256 matches the manifest and returns true; else
   * deletes the file's chunks and returns false.
   */
  finish(): Promise<boolean>;
}

/**
 * The write of one file shared by downloads and imports (import-file.ts): resume point, room check before the first
 * byte, store writes whose QuotaExceededError becomes E_QUOTA with the bytes still to come, and the "complete" record
 * only after the sha256 matched. `overflow` is the error for bytes past the manifest's size. Call under the file lock.
 */
export async function startFileWrite(ctx: StoreContext, file: PackFile, overflow: () => Error): Promise<FileWrite> {
  const { store } = ctx;
  const { sha256, bytes: total } = file;
  const chunkBytes = store.chunkBytes;
  const { index, hasher } = await resumePoint(store, file);
  const start = Math.min(total, index * chunkBytes);
  const estimate = ctx.estimate ?? browserEstimator;
  await assertRoomFor(file.path, total - start, estimate);

  /** Runs a store write; a QuotaExceededError becomes E_QUOTA with the bytes still to come from chunk `at` on. */
  const commit = async (write: () => Promise<void>, at: number) => {
    try {
      await write();
    } catch (error) {
      if (!isQuotaExceeded(error)) throw error;
      throw refusedWriteError(file.path, total - at * chunkBytes, (await availableBytes(estimate)) ?? 0, [], error);
    }
  };
  const writer = new ChunkWriter(
    total,
    chunkBytes,
    index,
    hasher,
    (at, bytes, state) => commit(() => store.putChunk(sha256, at, bytes, state), at),
    overflow,
  );
  return {
    writer,
    start,
    async finish() {
      if (hasher.digest('hex') !== sha256) {
        await store.deleteChunks(sha256);
        return false;
      }
      await commit(
        () => store.putFile({ sha256, bytes: total, chunkBytes, completedAt: Date.now() }),
        Math.ceil(total / chunkBytes),
      );
      return true;
    },
  };
}

export interface ResumePoint {
  /** The first chunk to download. */
  readonly index: number;
  /** The hash of chunks 0 … index−1. */
  readonly hasher: Sha256Stream;
}

/**
 * Where a download continues: after the chunks stored contiguously from 0. Chunks after a gap cannot join the running
 * hash in order and are dropped; a last chunk of the wrong size (written with another chunk size) drops them all.
 */
export async function resumePoint(store: ModelStore, file: PackFile): Promise<ResumePoint> {
  const { sha256, bytes: total } = file;
  const chunkBytes = store.chunkBytes;
  const count = Math.ceil(total / chunkBytes);
  const indices = await store.chunkIndices(sha256);
  let k = 0;
  while (k < count && indices[k] === k) k++;
  if (indices.length > k) await store.deleteChunks(sha256, k);
  if (k > 0) {
    const last = await store.getChunk(sha256, k - 1);
    const expected = chunkSize(total, chunkBytes, k - 1);
    if (last && last.bytes === expected && chunkDataBytes(last) === expected) {
      const hasher = await createSha256Stream(last.hashState);
      if (hasher) return { index: k, hasher };
      return rehashStoredChunks(store, file, k);
    }
    await store.deleteChunks(sha256, 0);
  }
  return { index: 0, hasher: await freshHasher() };
}

/** The fallback when a saved hasher state cannot be loaded: hash chunks 0 … k−1 again from the store. */
async function rehashStoredChunks(store: ModelStore, file: PackFile, k: number): Promise<ResumePoint> {
  const hasher = await freshHasher();
  for (let i = 0; i < k; i++) {
    const chunk = await store.getChunk(file.sha256, i);
    const data = chunk ? await chunkData(chunk).catch(() => undefined) : undefined;
    if (!data || data.byteLength !== chunkSize(file.bytes, store.chunkBytes, i)) {
      await store.deleteChunks(file.sha256, i);
      return { index: i, hasher };
    }
    hasher.update(data);
  }
  return { index: k, hasher };
}

async function freshHasher(): Promise<Sha256Stream> {
  const hasher = await createSha256Stream();
  if (!hasher) throw new VarError('E_INTERNAL', 'sha256 hasher could not start');
  return hasher;
}
