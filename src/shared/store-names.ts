// The model store's IndexedDB names, shared by the worker that owns the store (workers/engine/store/model-store.ts)
// and the embed widget, which reads the app's unpartitioned copy through a StorageAccessHandle (src/embed/): one
// spelling, so the widget opens exactly the databases the engine writes.

/** The default database name prefix of the browser's model store. */
export const STORE_NAMESPACE = 'var-web-store-v1';

/**
 * One database per object store (idb-keyval's createStore cannot add a second store to a database): the database is
 * `<namespace>-<kind>`, its one object store is named `<kind>`.
 */
export type StoreKind = 'chunks' | 'files' | 'manifests' | 'conversions' | 'read-caches';

export interface StoreDatabase {
  readonly database: string;
  readonly objectStore: string;
}

export function storeDatabase(kind: StoreKind, namespace: string = STORE_NAMESPACE): StoreDatabase {
  return { database: `${namespace}-${kind}`, objectStore: kind };
}
