// Persistent storage for the model store. `navigator.storage.persist()` exists in windows only (not in the engine's
// worker), and Firefox asks the person: call it from the click that starts a download.

/** Asks the browser not to evict this site's storage; true when granted (now or before), false when refused or absent. */
export async function requestPersistentStorage(): Promise<boolean> {
  const storage = typeof navigator !== 'undefined' ? navigator.storage : undefined;
  if (!storage || typeof storage.persist !== 'function') return false;
  try {
    // Called at once (not after awaiting persisted()), so the click's user activation still holds.
    return await storage.persist();
  } catch {
    return false;
  }
}
