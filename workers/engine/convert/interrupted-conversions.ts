// Conversions that stopped before their pack was complete (a reload, a cancel, a closed tab): listed in the Storage
// panel with what they hold, so the space they use is visible, and deletable like a model. Converting the same
// inputs again resumes one instead.

import type { StoredModelInfo } from '../../../src/shared/engine-api';
import { VarError } from '../../../src/shared/errors';
import { type LockManagerLike, withFileLockIfFree } from '../store/file-lock';
import type { ConversionRecord, ModelStore } from '../store/model-store';
import { collectGarbage, storedFileBytes } from '../store/stored-models';
import { conversionLockName } from './convert-to-store';

/** Ids of interrupted conversions in the Storage panel's list (pack names cannot contain ':'). */
const PREFIX = 'conversion:';

export function isConversionId(id: string): boolean {
  return id.startsWith(PREFIX);
}

/** Every conversion record with the pack bytes it has written (its completed files and its chunks so far). */
export async function listInterruptedConversions(store: ModelStore): Promise<StoredModelInfo[]> {
  const out: StoredModelInfo[] = [];
  for (const record of await store.listConversions()) {
    let storedBytes = 0;
    let totalBytes = 0;
    for (const [i, file] of record.files.entries()) {
      const sha256 = file.sha256 ?? (record.tempKeys[i] as string);
      storedBytes += await storedFileBytes(store, { path: file.path, bytes: file.bytes, sha256 });
      totalBytes += file.bytes;
    }
    out.push({
      id: PREFIX + record.id,
      label: `${record.label} · conversion not finished`,
      download: { state: 'partial', storedBytes, totalBytes },
    });
  }
  return out.sort((a, b) => a.label.localeCompare(b.label));
}

/**
 * Deletes an interrupted conversion: the checkpoint bytes it kept (spool, read cache), its record, then the chunks
 * nothing references any more. E_BUSY while it runs (here or in another tab: it holds the conversion's lock), so a
 * deletion neither stops other work nor waits behind an hour-long conversion.
 */
export async function discardConversion(store: ModelStore, id: string, locks?: LockManagerLike): Promise<void> {
  const jobId = id.slice(PREFIX.length);
  const done = await withFileLockIfFree(
    conversionLockName(jobId),
    async () => {
      const record: ConversionRecord | undefined = await store.getConversion(jobId);
      if (!record) return true;
      await store.clearSpool(jobId);
      if (record.readCache) await store.deleteReadCache(record.readCache);
      await store.deleteConversion(jobId);
      return true;
    },
    locks,
  );
  if (!done) {
    throw new VarError('E_BUSY', 'This conversion is running: cancel it (in the tab converting it), then delete it', {
      id,
    });
  }
  await collectGarbage(store, locks);
}
