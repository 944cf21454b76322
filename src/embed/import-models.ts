// The widget's side of a storage-access import (issue 14): which of the other store's packs to hand the engine, one
// at a time, and what to tell the person afterwards. The engine checks and copies; this only chooses and counts.

import type { DownloadCallbacks, ModelInfo } from '../shared/engine-api';
import { hasErrorCode } from '../shared/errors';
import type { StoredPackRecord, StoredPackSource, StoreImportEngine } from '../shared/store-import';

export interface ImportSummary {
  /** Labels of the models now complete in the widget's store. */
  readonly imported: readonly string[];
  /** Models the other store holds only in part (or damaged): what verified was kept, the rest downloads later. */
  readonly incomplete: readonly string[];
  readonly copiedBytes: number;
  /** The first error that stopped an import (E_QUOTA stops them all), for the person. */
  readonly error: string | undefined;
}

/**
 * Imports every pack of the other store that the widget lists and does not already hold complete. A pack the engine
 * refuses (not a pack, another version of a listed model) is skipped; running out of space stops the rest.
 */
export async function importMissingModels(
  engine: StoreImportEngine,
  packs: readonly StoredPackRecord[],
  source: StoredPackSource,
  have: readonly ModelInfo[],
  callbacks: DownloadCallbacks = {},
): Promise<ImportSummary> {
  const complete = new Set(have.filter((m) => m.download.state === 'downloaded').map((m) => m.id));
  const imported: string[] = [];
  const incomplete: string[] = [];
  let copiedBytes = 0;
  let error: string | undefined;
  const listed = new Set(have.map((m) => m.id));
  for (const pack of packs) {
    // Only the models this widget lists (the engine refuses others too), and not those it holds already.
    if (!listed.has(pack.name) || complete.has(pack.name)) continue;
    try {
      const result = await engine.importStoredModel(pack, source, callbacks);
      copiedBytes += result.copiedBytes;
      const label = result.model?.label ?? pack.name;
      if (result.outcome === 'imported') imported.push(label);
      else if (result.outcome === 'incomplete') incomplete.push(label);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      // Running out of space is what the person must hear about; it stops the rest.
      if (hasErrorCode(e, 'E_QUOTA')) {
        error = message;
        break;
      }
      error ??= message;
    }
  }
  return { imported, incomplete, copiedBytes, error };
}
