// Copying models from another copy of the model store into the engine's (issue 14): the embed widget, framed by
// another site, has its storage partitioned by that site; where the browser grants storage access it can read the
// app's own (unpartitioned) store in the document, and hands the engine what it finds there. The engine re-hashes
// every byte against the manifest before it lists a file as stored.

import type { DownloadCallbacks, ModelInfo, WorkerEngine } from './engine-api';

/** A stored pack as the other store keeps it (its manifest record, unchecked: the engine validates it). */
export interface StoredPackRecord {
  readonly name: string;
  readonly packUrl: string;
  readonly manifest: unknown;
}

/** What the other store holds of one complete file: its size and the chunk size it was written with. */
export interface StoredFileInfo {
  readonly bytes: number;
  readonly chunkBytes: number;
}

/**
 * The other store, read chunk by chunk on request (the engine pulls one chunk at a time, so at most one chunk is in
 * flight). Crossing the worker boundary as a comlink proxy, hence every method is async.
 */
export interface StoredPackSource {
  /** The file's "complete" record there; undefined when it is not complete there. */
  fileInfo(sha256: string): Promise<StoredFileInfo | undefined>;
  /** Chunk `index` of the file (transferred); undefined when missing or unreadable. */
  chunk(sha256: string, index: number): Promise<ArrayBuffer | undefined>;
}

/**
 * 'imported': every file is now complete in the engine's store (copied, or there already). 'incomplete': the other
 * store lacks (or holds a damaged copy of) at least one file; the ones that verified are kept. 'other-version': the
 * models index lists this model with other files, so the copy would not be the model the widget loads. 'not-listed':
 * the widget's models index does not list it (a model the person converted or added on var-web's page): not copied,
 * so what they added there is neither stored for nor announced to the site embedding the widget.
 */
export type StoreImportOutcome = 'imported' | 'incomplete' | 'other-version' | 'not-listed';

export interface StoreImportResult {
  readonly outcome: StoreImportOutcome;
  /** Bytes copied into the engine's store (files that were there already not counted). */
  readonly copiedBytes: number;
  /** The model as the engine lists it now; undefined for 'other-version' and 'not-listed'. */
  readonly model: ModelInfo | undefined;
}

export interface StoreImportEngine {
  /**
   * Copies a stored pack's files from `source` into the engine's store, verifying each file's sha256 against the
   * manifest before writing its "complete" record, then stores the manifest. Files already complete are skipped.
   * E_PACK_FORMAT for a record that is not a pack manifest, E_QUOTA when the copy does not fit.
   */
  importStoredModel(
    pack: StoredPackRecord,
    source: StoredPackSource,
    callbacks?: DownloadCallbacks,
  ): Promise<StoreImportResult>;
}

/** The worker's engine as the embed widget reaches it: the usual engine plus the import. */
export interface ImportingWorkerEngine extends WorkerEngine, StoreImportEngine {}
