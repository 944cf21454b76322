// Reads another copy of the model store (the app's own, unpartitioned, through a StorageAccessHandle's IDBFactory)
// with the names the engine's store uses (src/shared/store-names.ts). Read-only, and it never creates a database:
// a database made here would be an empty one the app's store would later open and find without its object store.

import type { StoredFileInfo, StoredPackRecord, StoredPackSource } from '../shared/store-import';
import { STORE_NAMESPACE, type StoreKind, storeDatabase } from '../shared/store-names';

export interface OtherStore extends StoredPackSource {
  /** Every stored manifest record (complete packs or not: the engine copies what is complete). */
  packs(): Promise<StoredPackRecord[]>;
  close(): void;
}

/** The other store, or undefined when it has no model store (nothing was ever downloaded there). */
export async function openOtherStore(
  factory: IDBFactory,
  namespace: string = STORE_NAMESPACE,
): Promise<OtherStore | undefined> {
  const open = (kind: StoreKind) => openExisting(factory, storeDatabase(kind, namespace));
  const [manifests, files, chunks] = await Promise.all([open('manifests'), open('files'), open('chunks')]);
  const close = () => {
    for (const db of [manifests, files, chunks]) db?.db.close();
  };
  if (!manifests || !files || !chunks) {
    close();
    return undefined;
  }
  return {
    async packs() {
      const records = await read<unknown[]>(manifests, (s) => s.getAll());
      return records.flatMap((r) => {
        const record = r as Partial<Record<'name' | 'packUrl' | 'manifest', unknown>> | null;
        if (typeof record?.name !== 'string' || typeof record.packUrl !== 'string') return [];
        return [{ name: record.name, packUrl: record.packUrl, manifest: record.manifest }];
      });
    },
    async fileInfo(sha256): Promise<StoredFileInfo | undefined> {
      const record = (await read<unknown>(files, (s) => s.get(sha256)).catch(() => undefined)) as
        | Partial<StoredFileInfo>
        | undefined;
      if (typeof record?.bytes !== 'number' || typeof record.chunkBytes !== 'number') return undefined;
      return { bytes: record.bytes, chunkBytes: record.chunkBytes };
    },
    async chunk(sha256, index) {
      const record = (await read<unknown>(chunks, (s) => s.get([sha256, index])).catch(() => undefined)) as
        | { data?: unknown }
        | undefined;
      const data = record?.data;
      try {
        if (data instanceof Blob) return await data.arrayBuffer();
        if (data instanceof ArrayBuffer) return data;
      } catch {
        // A Blob whose backing file is gone: the same as a missing chunk.
      }
      return undefined;
    },
    close,
  };
}

interface OpenStore {
  readonly db: IDBDatabase;
  readonly objectStore: string;
}

/** Opens a database only if it exists and holds its object store; undefined otherwise (nothing is created). */
function openExisting(
  factory: IDBFactory,
  names: { readonly database: string; readonly objectStore: string },
): Promise<OpenStore | undefined> {
  return new Promise((resolve) => {
    let request: IDBOpenDBRequest;
    try {
      request = factory.open(names.database);
    } catch {
      return resolve(undefined);
    }
    // Only a database that does not exist yet gets an upgrade when opened without a version: abort it, so the open
    // fails and no database is left behind.
    request.onupgradeneeded = () => request.transaction?.abort();
    request.onerror = (event) => {
      event.preventDefault();
      resolve(undefined);
    };
    request.onblocked = () => resolve(undefined);
    request.onsuccess = () => {
      const db = request.result;
      if (db.objectStoreNames.contains(names.objectStore)) return resolve({ db, objectStore: names.objectStore });
      db.close();
      resolve(undefined);
    };
  });
}

function read<T>(store: OpenStore, query: (s: IDBObjectStore) => IDBRequest): Promise<T> {
  return new Promise((resolve, reject) => {
    const request = query(store.db.transaction(store.objectStore, 'readonly').objectStore(store.objectStore));
    request.onsuccess = () => resolve(request.result as T);
    request.onerror = () => reject(request.error);
  });
}
