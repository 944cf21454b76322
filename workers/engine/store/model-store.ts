// The IndexedDB records of the model store: file chunks keyed by [sha256, index], one "complete" record per file, and
// the manifests of the packs they belong to. No network, no hashing: the layers above decide what a record means.

import type { UseStore } from 'idb-keyval';
import type { PackManifest } from '../../../src/core/pack/manifest';
import { STORE_NAMESPACE, type StoreKind, storeDatabase } from '../../../src/shared/store-names';
import { committed, reconnectingStore, requestResult } from './reconnecting-store';

/**
 * CHUNK_BENCHMARK: `npx tsx src/cli/bench-store-browser.ts`, Debian's headless Chromium 156, on-disk profile, this
 * 2-core machine, 232 MB of random bytes, one transaction per chunk. Three runs (the third with another build
 * loading the machine, load average 7); MB/s write / read, peak PSS of all Chromium processes in MB write / read,
 * and ms to read the file back and verify it with one WebCrypto digest:
 *
 *   chunk, value      write MB/s    read MB/s      write PSS    read PSS     read+verify ms
 *   4 MiB Blob        132  73  62   368 114 162     94  20 109  314   3 284   1466  212 2785
 *   4 MiB ArrayBuf    122 146  71   221 333 101     75  27  51  343  18 507   1934   88 3367
 *   16 MiB Blob       160 128  87   315 477 454    169 168 162  155 259 255   1524 1140 1090
 *   16 MiB ArrayBuf   108 124  57   198 313 206     94 104 104  374 535 596   1713 1219 1662
 *   32 MiB Blob         – 185  84     – 518 440      – 201 212    – 312 323      –  777 1127
 *   32 MiB ArrayBuf     – 144  90     – 305 223      – 152 160    – 556 526      – 1091 1617
 *   64 MiB Blob       187 201 124   509 539 181    321 269 269  285 403 434   1015  776 1790
 *   64 MiB ArrayBuf   111 181 104   232 229 203    226 219 266  536 566 635   1939 1607 1543
 *   (run 2's 4 MiB row is a 20 MB smoke run; 32 MiB was not in run 1)
 *
 * Blob values read back faster and with less memory than ArrayBuffer ones in every run at ≥ 16 MiB (Chromium keeps
 * them as files beside the database). 4 MiB chunks read slowly (per-transaction cost); 16, 32 and 64 MiB read alike
 * within the noise, while bigger chunks cost more memory while writing, more bytes again per interruption, and come
 * nearer Chromium's ~127 MiB limit on one value. Writing (≥ 60 MB/s) is faster than the network in every case.
 * 16 MiB: an interruption costs at most 7 % of a d16 q4 pack (232.5 MB).
 */
export const DEFAULT_CHUNK_BYTES = 16 << 20;
/** Blob values: faster and lighter to read back than ArrayBuffer values (CHUNK_BENCHMARK). */
export const DEFAULT_VALUE_KIND: ChunkValueKind = 'blob';

export type ChunkValueKind = 'blob' | 'arraybuffer';

export interface ChunkRecord {
  readonly data: Blob | ArrayBuffer;
  readonly bytes: number;
  /** The sha256 hasher state after this chunk and every one before it (hash-wasm `save()`), to resume hashing. */
  readonly hashState: Uint8Array;
}

/** Written after every chunk of the file and only once its sha256 matched the manifest. */
export interface FileRecord {
  readonly sha256: string;
  readonly bytes: number;
  /** The chunk size the file was written with (a later default does not make it unreadable). */
  readonly chunkBytes: number;
  readonly completedAt: number;
}

export interface StoredManifest {
  /** The pack name: the key the model is listed and deleted by. */
  readonly name: string;
  /** Where the pack was downloaded from (its folder URL), to resume or repair it. */
  readonly packUrl: string;
  readonly manifest: PackManifest;
  readonly storedAt: number;
}

/**
 * A conversion in progress (workers/engine/convert/): the pack files written so far, so that a reload, a network drop
 * or a cancel resumes where it stopped. Its files are referenced like a manifest's until it completes or is discarded.
 */
export interface ConversionRecord {
  /** Derived from the inputs (checkpoint sha256s, options, planned files): the same inputs resume the same job. */
  readonly id: string;
  readonly name: string;
  readonly label: string;
  /** The planned files, in order, with the sha256 of each one completed (undefined while not). */
  readonly files: readonly { readonly path: string; readonly bytes: number; readonly sha256?: string }[];
  /** The chunk key each file is written under until it is complete (then its chunks move to its sha256). */
  readonly tempKeys: readonly string[];
  /** Checkpoint tensors read so far (progress across resumes). */
  readonly tensorsDone: number;
  readonly updatedAt: number;
  /** The read cache of its inputs (from URLs), discarded with it. */
  readonly readCache?: string;
}

/**
 * Checkpoint bytes a conversion from URLs read before its first pack byte (ZIP directories, pickles, record headers,
 * the tensors the .onnx files hold inline): kept until the pack is complete, so a resumed conversion fetches none
 * of them again. Keyed by the checkpoints' identity (URL, size, sha256).
 */
export interface ReadCacheRecord {
  readonly id: string;
  /** Per checkpoint ('var', 'vae'): byte ranges and their bytes. */
  readonly ranges: Readonly<Record<string, readonly { readonly start: number; readonly data: Blob }[]>>;
  readonly bytes: number;
}

/**
 * A piece of checkpoint bytes a conversion fetched while writing its pack, kept until the pack chunk that needs it
 * is committed (convert/read-spool.ts): a resumed conversion fetches at most the piece it was fetching. Lives beside
 * the read caches, keyed `spool:<job>:<checkpoint>:<start>`.
 */
export interface SpoolRecord {
  readonly id: string;
  /** The conversion (ConversionRecord id). */
  readonly job: string;
  /** 'var' or 'vae'. */
  readonly source: string;
  readonly start: number;
  readonly data: Blob;
  /** Where the pack was when the piece was read: file index and byte position in that file. */
  readonly file: number;
  readonly position: number;
}

export interface ModelStoreOptions {
  /** Database name prefix; tests use their own so they do not share state. */
  readonly namespace?: string;
  readonly chunkBytes?: number;
  readonly valueKind?: ChunkValueKind;
}

type ChunkKey = [string, number];

/**
 * One database per object store: idb-keyval's createStore cannot add a second store to an existing database
 * (its custom-stores docs), so chunks, file records and manifests are three databases.
 */
export class ModelStore {
  readonly chunkBytes: number;
  readonly valueKind: ChunkValueKind;
  private readonly chunks: UseStore;
  private readonly files: UseStore;
  private readonly manifests: UseStore;
  private readonly conversions: UseStore;
  private readonly readCaches: UseStore;

  constructor(options: ModelStoreOptions = {}) {
    const ns = options.namespace ?? STORE_NAMESPACE;
    this.chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    // Chunk boundaries must fall on sha256 block boundaries, so a saved hasher state carries no buffered bytes.
    if (this.chunkBytes <= 0 || this.chunkBytes % 64 !== 0) throw new RangeError('chunkBytes must be a multiple of 64');
    this.valueKind = options.valueKind ?? DEFAULT_VALUE_KIND;
    // The names come from src/shared/store-names.ts: the embed widget opens the same databases (storage access).
    const open = (kind: StoreKind) => {
      const { database, objectStore } = storeDatabase(kind, ns);
      return reconnectingStore(database, objectStore);
    };
    this.chunks = open('chunks');
    this.files = open('files');
    this.manifests = open('manifests');
    this.conversions = open('conversions');
    this.readCaches = open('read-caches');
  }

  // --- chunks ---

  async putChunk(sha256: string, index: number, bytes: Uint8Array, hashState: Uint8Array): Promise<void> {
    // Both kinds copy `bytes` now (Blob construction, structured clone), so the caller may reuse its buffer.
    const data: Blob | ArrayBuffer =
      this.valueKind === 'blob' ? new Blob([bytes as Uint8Array<ArrayBuffer>]) : bytes.slice().buffer;
    const record: ChunkRecord = { data, bytes: bytes.byteLength, hashState: hashState.slice() };
    await this.chunks('readwrite', (store) => {
      store.put(record, [sha256, index] satisfies ChunkKey);
      return committed(store.transaction);
    });
  }

  getChunk(sha256: string, index: number): Promise<ChunkRecord | undefined> {
    return this.chunks('readonly', (store) => requestResult<ChunkRecord | undefined>(store.get([sha256, index])));
  }

  /** The chunk indices stored for a file, ascending (keys only: no chunk data is read). */
  async chunkIndices(sha256: string): Promise<number[]> {
    const keys = await this.chunks('readonly', (store) => requestResult(store.getAllKeys(chunkRange(sha256, 0))));
    return keys.map((key) => (key as ChunkKey)[1]);
  }

  /** Every file that has at least one chunk (to find chunks no manifest references any more). */
  async chunkedFiles(): Promise<Set<string>> {
    const keys = await this.chunks('readonly', (store) => requestResult(store.getAllKeys()));
    return new Set(keys.map((key) => (key as ChunkKey)[0]));
  }

  /**
   * Re-keys every chunk of `from` to `to` (a converted file, written under a temporary key, once its sha256 is
   * known), one chunk per transaction: put under the new key and delete the old in the same commit.
   */
  async moveChunks(from: string, to: string): Promise<void> {
    for (const index of await this.chunkIndices(from)) {
      await this.chunks('readwrite', (store) => {
        const request = store.get([from, index] satisfies ChunkKey);
        request.onsuccess = () => {
          if (request.result === undefined) return;
          store.put(request.result, [to, index] satisfies ChunkKey);
          store.delete([from, index] satisfies ChunkKey);
        };
        return committed(store.transaction);
      });
    }
  }

  deleteChunks(sha256: string, fromIndex = 0): Promise<void> {
    return this.chunks('readwrite', (store) => {
      store.delete(chunkRange(sha256, fromIndex));
      return committed(store.transaction);
    });
  }

  // --- complete-file records ---

  getFile(sha256: string): Promise<FileRecord | undefined> {
    return this.files('readonly', (store) => requestResult<FileRecord | undefined>(store.get(sha256)));
  }

  putFile(record: FileRecord): Promise<void> {
    return this.files('readwrite', (store) => {
      store.put(record, record.sha256);
      return committed(store.transaction);
    });
  }

  deleteFile(sha256: string): Promise<void> {
    return this.files('readwrite', (store) => {
      store.delete(sha256);
      return committed(store.transaction);
    });
  }

  async fileShas(): Promise<Set<string>> {
    const keys = await this.files('readonly', (store) => requestResult(store.getAllKeys()));
    return new Set(keys.map(String));
  }

  // --- manifests ---

  putManifest(packUrl: string, manifest: PackManifest): Promise<void> {
    const record: StoredManifest = { name: manifest.name, packUrl, manifest, storedAt: Date.now() };
    return this.manifests('readwrite', (store) => {
      store.put(record, record.name);
      return committed(store.transaction);
    });
  }

  getManifest(name: string): Promise<StoredManifest | undefined> {
    return this.manifests('readonly', (store) => requestResult<StoredManifest | undefined>(store.get(name)));
  }

  listManifests(): Promise<StoredManifest[]> {
    return this.manifests('readonly', (store) => requestResult<StoredManifest[]>(store.getAll()));
  }

  deleteManifest(name: string): Promise<void> {
    return this.manifests('readwrite', (store) => {
      store.delete(name);
      return committed(store.transaction);
    });
  }

  // --- conversions in progress ---

  putConversion(record: ConversionRecord): Promise<void> {
    return this.conversions('readwrite', (store) => {
      store.put(record, record.id);
      return committed(store.transaction);
    });
  }

  getConversion(id: string): Promise<ConversionRecord | undefined> {
    return this.conversions('readonly', (store) => requestResult<ConversionRecord | undefined>(store.get(id)));
  }

  listConversions(): Promise<ConversionRecord[]> {
    return this.conversions('readonly', (store) => requestResult<ConversionRecord[]>(store.getAll()));
  }

  deleteConversion(id: string): Promise<void> {
    return this.conversions('readwrite', (store) => {
      store.delete(id);
      return committed(store.transaction);
    });
  }

  putReadCache(record: ReadCacheRecord): Promise<void> {
    return this.readCaches('readwrite', (store) => {
      store.put(record, record.id);
      return committed(store.transaction);
    });
  }

  getReadCache(id: string): Promise<ReadCacheRecord | undefined> {
    return this.readCaches('readonly', (store) => requestResult<ReadCacheRecord | undefined>(store.get(id)));
  }

  deleteReadCache(id: string): Promise<void> {
    return this.readCaches('readwrite', (store) => {
      store.delete(id);
      return committed(store.transaction);
    });
  }

  // --- read spools (beside the read caches: one more database would need one more connection) ---

  putSpool(record: SpoolRecord): Promise<void> {
    return this.readCaches('readwrite', (store) => {
      store.put(record, record.id);
      return committed(store.transaction);
    });
  }

  listSpool(job: string): Promise<SpoolRecord[]> {
    return this.readCaches('readonly', (store) => requestResult<SpoolRecord[]>(store.getAll(spoolRange(job))));
  }

  deleteSpool(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return Promise.resolve();
    return this.readCaches('readwrite', (store) => {
      for (const id of ids) store.delete(id);
      return committed(store.transaction);
    });
  }

  /** Every spooled piece of a conversion, at once (its pack is complete, or the conversion is discarded). */
  clearSpool(job: string): Promise<void> {
    return this.readCaches('readwrite', (store) => {
      store.delete(spoolRange(job));
      return committed(store.transaction);
    });
  }
}

export function spoolId(job: string, source: string, start: number): string {
  return `spool:${job}:${source}:${start}`;
}

/** The keys of one job's spooled pieces (':' sorts before ';'). */
function spoolRange(job: string): IDBKeyRange {
  return IDBKeyRange.bound(`spool:${job}:`, `spool:${job};`, false, true);
}

/** Size of chunk `index` of a file of `fileBytes` bytes written in chunks of `chunkBytes` (0 past its end). */
export function chunkSize(fileBytes: number, chunkBytes: number, index: number): number {
  return Math.max(0, Math.min(chunkBytes, fileBytes - index * chunkBytes));
}

function chunkRange(sha256: string, fromIndex: number): IDBKeyRange {
  return IDBKeyRange.bound([sha256, fromIndex], [sha256, Number.POSITIVE_INFINITY]);
}

/** The bytes of a chunk record, whichever kind of value it holds. */
export async function chunkData(record: ChunkRecord): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(record.data instanceof Blob ? await record.data.arrayBuffer() : record.data);
}

/** Its size without reading a Blob's bytes. */
export function chunkDataBytes(record: ChunkRecord): number {
  return record.data instanceof Blob ? record.data.size : record.data.byteLength;
}
