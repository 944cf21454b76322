// An idb-keyval store that reopens its database when the cached connection has gone away.

import { createStore, type UseStore } from 'idb-keyval';

/**
 * idb-keyval caches one connection per store and never reopens it after a close it was not told about (iOS
 * background, DevTools "Clear site data", a `db.close()`): every later call fails with "InvalidStateError: Failed to
 * execute 'transaction' on 'IDBDatabase': The database connection is closing." (idb-keyval#165). Re-creating the
 * store opens a fresh connection; the failed call is retried once on it. Engines word that error differently, so any
 * InvalidStateError is retried: it is thrown by `transaction()` before the callback runs, and the store's callbacks
 * are single puts, gets and deletes, which are safe to run again.
 */
export function reconnectingStore(dbName: string, storeName: string): UseStore {
  let use = createStore(dbName, storeName);
  return async <T>(mode: IDBTransactionMode, callback: (store: IDBObjectStore) => T | PromiseLike<T>): Promise<T> => {
    try {
      return await use(mode, callback);
    } catch (error) {
      if (!isConnectionClosing(error)) throw error;
      use = createStore(dbName, storeName);
      return use(mode, callback);
    }
  };
}

function isConnectionClosing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'InvalidStateError';
}

/** Resolves when `transaction` commits, rejects with its error (QuotaExceededError among them) when it aborts. */
export function committed(transaction: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = transaction.onabort = () =>
      reject(transaction.error ?? new DOMException('transaction aborted', 'AbortError'));
  });
}

export function requestResult<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}
