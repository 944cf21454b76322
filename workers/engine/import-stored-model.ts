// Imports a model from another copy of the model store (the embed widget's storage access, issue 14): validates the
// stored manifest, refuses a copy that is not the model the catalog lists under that name, then copies each file
// with the store's verified chunk writing (store/import-file.ts).

import type { PackManifest } from '../../src/core/pack/manifest';
import { parsePackManifest } from '../../src/core/pack/pack-manifest-check';
import type { LoadProgress } from '../../src/shared/engine-api';
import type { StoredPackRecord, StoredPackSource, StoreImportResult } from '../../src/shared/store-import';
import { type ModelCatalog, modelInfo } from './model-catalog';
import { packProgress } from './sessions';
import type { StoreContext } from './store/download-file';
import { importFile } from './store/import-file';
import { prepareStoredPack } from './store/store-pack-source';
import { modelStatus } from './store/stored-models';

export async function importStoredModel(
  ctx: StoreContext,
  catalog: ModelCatalog,
  pack: StoredPackRecord,
  source: StoredPackSource,
  onProgress?: (progress: LoadProgress) => void,
): Promise<StoreImportResult> {
  const stored = parsePackManifest(pack.manifest, `the stored manifest of ${String(pack.name)}`);
  const { entries } = await catalog.entries();
  const listed = entries.find((e) => e.id === stored.name);
  // The widget loads what its catalog lists: another version's files would take space and never be read.
  // Only what the widget's own index lists: models the person converted or added on var-web's page stay there.
  if (!listed) return { outcome: 'not-listed', copiedBytes: 0, model: undefined };
  if (!sameFiles(listed.manifest, stored)) return { outcome: 'other-version', copiedBytes: 0, model: undefined };
  const entry = listed;
  const { manifest } = entry;

  await prepareStoredPack(ctx, entry.packUrl, manifest);
  const progress = packProgress(manifest.name, manifest, onProgress);
  let copiedBytes = 0;
  let complete = true;
  for (const file of new Map(manifest.files.map((f) => [f.sha256, f])).values()) {
    const result = await importFile(ctx, file, source, (done, total) => progress(file.path, done, total));
    copiedBytes += result.copiedBytes;
    if (result.outcome !== 'complete') complete = false;
  }
  return {
    outcome: complete ? 'imported' : 'incomplete',
    copiedBytes,
    model: modelInfo(entry, await modelStatus(ctx.store, manifest)),
  };
}

/** The same files (by sha256 and size), in any order. */
function sameFiles(a: PackManifest, b: PackManifest): boolean {
  const key = (m: PackManifest) =>
    m.files
      .map((f) => `${f.sha256}:${f.bytes}`)
      .sort()
      .join(',');
  return key(a) === key(b);
}
