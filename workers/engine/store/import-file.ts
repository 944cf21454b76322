// Copies one pack file into the store from another copy of the store (the app's unpartitioned store, read by the embed
// widget through a StorageAccessHandle): the same resumable, hashed chunk writing as a download (ChunkWriter), with
// chunks pulled one at a time from the source instead of fetched. The "complete" record is written only once the
// file's sha256 matches the manifest, so a damaged or foreign copy is never listed as stored.

import type { PackFile } from '../../../src/core/pack/manifest';
import { VarError } from '../../../src/shared/errors';
import type { StoredPackSource } from '../../../src/shared/store-import';
import { type StoreContext, startFileWrite } from './download-file';
import { withFileLock } from './file-lock';
import { chunkSize } from './model-store';

/**
 * 'complete': the file is complete and verified in the store (copied now, or there already). 'missing': the source
 * does not hold all of it (what was copied is kept, as after an interrupted download). 'corrupt': the source's bytes
 * do not match the manifest's sha256 (nothing of it is kept).
 */
export type ImportFileOutcome = 'complete' | 'missing' | 'corrupt';

export interface ImportFileResult {
  readonly outcome: ImportFileOutcome;
  /** Bytes written to the store by this call. */
  readonly copiedBytes: number;
}

/** Under the file's lock, like a download: a download of the same file in another tab waits, then finds it. */
export function importFile(
  ctx: StoreContext,
  file: PackFile,
  source: StoredPackSource,
  onProgress?: (doneBytes: number, totalBytes: number) => void,
): Promise<ImportFileResult> {
  return withFileLock(file.sha256, () => importLocked(ctx, file, source, onProgress), ctx.locks);
}

async function importLocked(
  ctx: StoreContext,
  file: PackFile,
  source: StoredPackSource,
  onProgress: ((doneBytes: number, totalBytes: number) => void) | undefined,
): Promise<ImportFileResult> {
  const { store } = ctx;
  const { sha256, bytes: total } = file;
  if ((await store.getFile(sha256))?.bytes === total) {
    onProgress?.(total, total);
    return { outcome: 'complete', copiedBytes: 0 };
  }
  const info = await source.fileInfo(sha256);
  // Another size, or a chunk size the store could never have written (chunks end on sha256 blocks): not this file.
  if (!info || info.bytes !== total || !(info.chunkBytes > 0) || info.chunkBytes % 64 !== 0) {
    return { outcome: 'missing', copiedBytes: 0 };
  }
  // Chunks this store already holds (an interrupted download or import) are kept and not copied again.
  const write = await startFileWrite(
    ctx,
    file,
    // Chunk sizes are checked before each write, so this is never reached; ChunkWriter needs an answer anyway.
    () => new VarError('E_PACK_CORRUPT', `the stored copy of ${file.path} is longer than its manifest says`),
  );
  const { start } = write;
  let position = start;
  onProgress?.(position, total);

  // The source's chunks may have another size than this store's: read those that cover [start, total).
  const count = Math.ceil(total / info.chunkBytes);
  for (let i = Math.floor(start / info.chunkBytes); i < count; i++) {
    const data = await source.chunk(sha256, i);
    const expected = chunkSize(total, info.chunkBytes, i);
    if (!data || data.byteLength !== expected) return { outcome: 'missing', copiedBytes: position - start };
    const skip = Math.max(0, position - i * info.chunkBytes);
    await write.writer.write(new Uint8Array(data, skip));
    position += expected - skip;
    onProgress?.(position, total);
  }

  if (!(await write.finish())) return { outcome: 'corrupt', copiedBytes: 0 };
  return { outcome: 'complete', copiedBytes: total - start };
}
