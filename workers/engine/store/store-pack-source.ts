// A PackSource backed by the model store: each file is read from IndexedDB and verified, or downloaded into it
// (resuming) and then read and verified.

import type { PackFile, PackManifest } from '../../../src/core/pack/manifest';
import type { PackSource } from '../../../src/core/pack/pack-source';
import { hasErrorCode, VarError } from '../../../src/shared/errors';
import { downloadFile, type StoreContext } from './download-file';
import { withFileLock } from './file-lock';
import {
  assertRoomFor,
  browserEstimator,
  type DeletableModel,
  isQuotaExceeded,
  quotaError,
  refusedWriteError,
} from './quota';
import { readVerifiedFile } from './read-verified';
import { listStoredModels, storedFileBytes } from './stored-models';

export interface PackLoadOptions {
  readonly signal?: AbortSignal;
  /** Bytes of one file done / its size: reported from the store (at once) and while downloading. */
  readonly onFileProgress?: (path: string, doneBytes: number, totalBytes: number) => void;
}

/**
 * A PackSource whose files come from the store, downloaded from `packUrl` when missing. Stores the manifest first
 * (so the model is listed offline later), after checking that the missing bytes fit the quota (E_QUOTA otherwise,
 * naming the cached models that could be deleted).
 */
export async function storePackSource(
  ctx: StoreContext,
  packUrl: string,
  manifest: PackManifest,
  options: PackLoadOptions = {},
): Promise<PackSource> {
  await prepareStoredPack(ctx, packUrl, manifest);
  return {
    manifest,
    async file(path) {
      const entry = manifest.files.find((f) => f.path === path);
      if (!entry) throw new VarError('E_PACK_CORRUPT', `${path} is not listed in the manifest of ${packUrl}`, { path });
      return loadStoredFile(ctx, entry, new URL(path, packUrl).href, {
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: (done, total) => options.onFileProgress?.(path, done, total),
      }).catch((error: unknown) => rethrowForPack(ctx, manifest, error));
    },
  };
}

/** Downloads every missing file of a pack into the store without reading any back (download without generating). */
export async function downloadPack(
  ctx: StoreContext,
  packUrl: string,
  manifest: PackManifest,
  options: PackLoadOptions = {},
): Promise<void> {
  await prepareStoredPack(ctx, packUrl, manifest);
  for (const file of manifest.files) {
    await downloadFile(ctx, file, new URL(file.path, packUrl).href, {
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (done, total) => options.onFileProgress?.(file.path, done, total),
    }).catch((error: unknown) => rethrowForPack(ctx, manifest, error));
  }
}

/** Verified bytes of one file: from the store when intact, else downloaded (resumed) into it first. */
export async function loadStoredFile(
  ctx: StoreContext,
  file: PackFile,
  url: string,
  options: { readonly signal?: AbortSignal; readonly onProgress?: (done: number, total: number) => void } = {},
): Promise<Uint8Array> {
  // Two rounds: a damaged store is repaired once; damage again right after a verified download is not the store's
  // doing to retry forever.
  for (let attempt = 0; attempt < 2; attempt++) {
    const bytes = await withFileLock(file.sha256, () => readVerifiedFile(ctx.store, file), ctx.locks, options.signal);
    if (bytes) {
      options.onProgress?.(file.bytes, file.bytes);
      return bytes;
    }
    // The browser knows it has no network: say so now rather than after a minute of retries.
    if (typeof navigator !== 'undefined' && navigator.onLine === false) {
      throw new VarError(
        'E_NETWORK',
        `${file.path} is not in this browser's storage and the device is offline: the model is not available offline until it has been downloaded once`,
        { path: file.path, url, offline: true },
      );
    }
    await downloadFile(ctx, file, url, options);
  }
  throw new VarError('E_PACK_CORRUPT', `${file.path} does not read back intact from the browser's storage`, {
    path: file.path,
    url,
  });
}

/**
 * Before a pack's files are written (downloaded, or imported from another store): checks that the missing bytes fit
 * (E_QUOTA naming the models that could be deleted) and stores the manifest, so a partial pack is listed and resumed.
 */
export async function prepareStoredPack(ctx: StoreContext, packUrl: string, manifest: PackManifest): Promise<void> {
  let missing = 0;
  for (const file of uniqueFiles(manifest)) missing += file.bytes - (await storedFileBytes(ctx.store, file));
  await assertRoomFor(manifest.label, missing, ctx.estimate ?? browserEstimator, () =>
    deletableModels(ctx, manifest.name),
  );
  try {
    await ctx.store.putManifest(packUrl, manifest);
  } catch (error) {
    if (!isQuotaExceeded(error)) throw error;
    throw quotaError(manifest.label, missing, 0, await deletableModels(ctx, manifest.name), error);
  }
}

/** A refused write names the model (not the file) and the cached models that could be deleted to make room. */
async function rethrowForPack(ctx: StoreContext, manifest: PackManifest, error: unknown): Promise<never> {
  if (hasErrorCode(error, 'E_NETWORK') && (error as VarError).details?.offline === true) {
    throw new VarError('E_NETWORK', `${manifest.label} is not available offline: download it once while online`, {
      ...(error as VarError).details,
    });
  }
  if (!hasErrorCode(error, 'E_QUOTA')) throw error;
  const details = (error as VarError).details ?? {};
  throw refusedWriteError(
    manifest.label,
    Number(details.neededBytes ?? 0),
    Number(details.availableBytes ?? 0),
    await deletableModels(ctx, manifest.name),
    error,
  );
}

/** A file listed twice in one pack (same sha256) is stored and counted once. */
function uniqueFiles(manifest: PackManifest): PackFile[] {
  return [...new Map(manifest.files.map((f) => [f.sha256, f])).values()];
}

async function deletableModels(ctx: StoreContext, except: string): Promise<DeletableModel[]> {
  const models = await listStoredModels(ctx.store);
  return models
    .filter((m) => m.name !== except && m.status.storedBytes > 0)
    .map((m) => ({ name: m.name, label: m.label, bytes: m.status.storedBytes }));
}
