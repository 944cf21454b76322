// The models the store holds, without network: their status (downloaded / partly / not), deletion of a model (only
// the files no other stored manifest references), and removal of chunks that no manifest references any more.

import type { PackFile, PackManifest } from '../../../src/core/pack/manifest';
import type { DownloadStatus } from '../../../src/shared/engine-api';
import { type LockManagerLike, withFileLock } from './file-lock';
import type { ModelStore } from './model-store';

/** What the store holds of a pack (the engine API's DownloadStatus). */
export type ModelStatus = DownloadStatus;

export interface StoredModel {
  readonly name: string;
  readonly label: string;
  readonly packUrl: string;
  readonly manifest: PackManifest;
  readonly status: ModelStatus;
}

/**
 * Bytes of `file` the store holds: all of them when its "complete" record exists (it is verified again when read),
 * else the chunks stored contiguously from the first, which is what a download would not fetch again.
 */
export async function storedFileBytes(store: ModelStore, file: PackFile): Promise<number> {
  if ((await store.getFile(file.sha256))?.bytes === file.bytes) return file.bytes;
  const indices = await store.chunkIndices(file.sha256);
  let k = 0;
  while (indices[k] === k) k++;
  return Math.min(file.bytes, k * store.chunkBytes);
}

/** The status of any pack's files in the store (a listed model, or one from the network index). */
export async function modelStatus(store: ModelStore, manifest: PackManifest): Promise<ModelStatus> {
  let storedBytes = 0;
  let totalBytes = 0;
  let complete = true;
  for (const file of manifest.files) {
    const stored = await storedFileBytes(store, file);
    storedBytes += stored;
    totalBytes += file.bytes;
    if (stored < file.bytes) complete = false;
  }
  const state: ModelStatus['state'] = complete ? 'downloaded' : storedBytes > 0 ? 'partial' : 'not-downloaded';
  return { state, storedBytes, totalBytes };
}

/** Every stored manifest with its status, by name. */
export async function listStoredModels(store: ModelStore): Promise<StoredModel[]> {
  const models: StoredModel[] = [];
  for (const record of await store.listManifests()) {
    models.push({
      name: record.name,
      label: record.manifest.label,
      packUrl: record.packUrl,
      manifest: record.manifest,
      status: await modelStatus(store, record.manifest),
    });
  }
  return models.sort((a, b) => a.name.localeCompare(b.name));
}

export interface DeleteResult {
  /** sha256 of every file whose chunks were removed. */
  readonly deletedFiles: readonly string[];
  /** Bytes of the model's own files that were removed (files shared with another model stay and are not counted). */
  readonly freedBytes: number;
}

/** Removes a model: its manifest, then every file no remaining manifest references. */
export async function deleteStoredModel(
  store: ModelStore,
  name: string,
  locks?: LockManagerLike,
): Promise<DeleteResult> {
  const target = await store.getManifest(name);
  await store.deleteManifest(name);
  const deletedFiles = await collectGarbage(store, locks);
  const sizes = new Map(target?.manifest.files.map((f) => [f.sha256, f.bytes]) ?? []);
  const freedBytes = deletedFiles.reduce((sum, sha) => sum + (sizes.get(sha) ?? 0), 0);
  return { deletedFiles, freedBytes };
}

/**
 * Deletes the chunks and records of files no stored manifest references (left by a deletion, or by one interrupted
 * before it finished). Each under its file lock, re-checking the manifests there: another tab may have just stored
 * a manifest that needs the file.
 */
export async function collectGarbage(store: ModelStore, locks?: LockManagerLike): Promise<string[]> {
  const candidates = new Set([...(await store.chunkedFiles()), ...(await store.fileShas())]);
  const deleted: string[] = [];
  for (const sha256 of candidates) {
    const removed = await withFileLock(
      sha256,
      async () => {
        if ((await referencedFiles(store)).has(sha256)) return false;
        await store.deleteFile(sha256);
        await store.deleteChunks(sha256);
        return true;
      },
      locks,
    );
    if (removed) deleted.push(sha256);
  }
  return deleted;
}

/** Files a stored manifest lists, and those a conversion in progress has written (completed or under a temp key). */
async function referencedFiles(store: ModelStore): Promise<Set<string>> {
  const manifests = await store.listManifests();
  const conversions = await store.listConversions();
  return new Set([
    ...manifests.flatMap((m) => m.manifest.files.map((f) => f.sha256)),
    ...conversions.flatMap((c) => [...c.tempKeys, ...c.files.flatMap((f) => (f.sha256 ? [f.sha256] : []))]),
  ]);
}
