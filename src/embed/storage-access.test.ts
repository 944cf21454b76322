import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { canOfferStorageAccess, requestUnpartitionedIndexedDB, type StorageAccessEnv } from './storage-access';

const request = async () => ({ indexedDB });
const env = (edit: Partial<StorageAccessEnv> = {}): StorageAccessEnv => ({
  document: { requestStorageAccess: request, hasUnpartitionedCookieAccess: async () => false },
  framed: true,
  topOrigin: 'https://blog.example',
  origin: 'https://var.example',
  ...edit,
});

describe('canOfferStorageAccess', () => {
  it('offers in a frame of another host where the browser has the StorageAccessHandle form of the API', () => {
    expect(canOfferStorageAccess(env())).toBe(true);
    expect(canOfferStorageAccess(env({ topOrigin: undefined }))).toBe(true);
  });

  it('not at the top level, not in a frame of the same host (its storage is the app’s), not without the API', () => {
    expect(canOfferStorageAccess(env({ framed: false }))).toBe(false);
    expect(canOfferStorageAccess(env({ topOrigin: 'https://var.example:8443' }))).toBe(false);
    expect(canOfferStorageAccess(env({ document: {} }))).toBe(false);
    // Firefox and Safari: requestStorageAccess takes no types (cookies only), and the rest of that API is missing.
    expect(canOfferStorageAccess(env({ document: { requestStorageAccess: request } }))).toBe(false);
  });
});

describe('requestUnpartitionedIndexedDB', () => {
  it('returns the handle’s IDBFactory', async () => {
    expect(await requestUnpartitionedIndexedDB({ requestStorageAccess: request })).toEqual({
      granted: true,
      indexedDB,
    });
  });

  it('a refusal (rejection, or a handle without IndexedDB access) is "denied", never an error', async () => {
    const rejects = async () => {
      throw new DOMException('requestStorageAccess not allowed', 'NotAllowedError');
    };
    expect(await requestUnpartitionedIndexedDB({ requestStorageAccess: rejects })).toEqual({
      granted: false,
      reason: 'denied',
    });
    const throwingGetter = async () => ({
      get indexedDB(): IDBFactory {
        throw new DOMException('not granted', 'SecurityError');
      },
    });
    expect(await requestUnpartitionedIndexedDB({ requestStorageAccess: throwingGetter })).toEqual({
      granted: false,
      reason: 'denied',
    });
  });

  it('a browser that grants cookies only (no handle), or has no API: "unsupported"', async () => {
    expect(await requestUnpartitionedIndexedDB({ requestStorageAccess: async () => undefined })).toEqual({
      granted: false,
      reason: 'unsupported',
    });
    expect(await requestUnpartitionedIndexedDB({})).toEqual({ granted: false, reason: 'unsupported' });
  });
});
