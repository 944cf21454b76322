// The Storage Access API's unpartitioned IndexedDB (issue 14): a widget framed by another site has its storage keyed
// by that site, so the models downloaded on var-web's own page are out of its reach. Chromium (125+) lets a framed
// document ask for them: `document.requestStorageAccess({ indexedDB: true })` resolves to a StorageAccessHandle whose
// `indexedDB` is the unpartitioned IDBFactory, usable in this document only (not in the engine's worker). Browsers
// whose requestStorageAccess takes no types (Firefox, Safari) unpartition cookies only: the offer is not made there.
// StorageAccessHandle has no interface object to test for (Chromium 156 exposes none), so the detection looks for
// `document.hasUnpartitionedCookieAccess`, defined by the same specification ("Extending Storage Access API (SAA) to
// non-cookie storage"), and the handle's `indexedDB` is checked again after the call.

/** The part of a StorageAccessHandle the widget uses (TypeScript's DOM library does not declare it yet). */
interface StorageAccessHandleLike {
  readonly indexedDB: IDBFactory;
}

type RequestStorageAccess = (types: { readonly indexedDB: boolean }) => Promise<StorageAccessHandleLike | undefined>;

/** The browser environment the detection reads (injectable for tests). */
export interface StorageAccessEnv {
  readonly document: { requestStorageAccess?: unknown; hasUnpartitionedCookieAccess?: unknown };
  /** True when this document is framed by another window. */
  readonly framed: boolean;
  /** The top-level page's origin when the browser says (Chromium's `location.ancestorOrigins`). */
  readonly topOrigin: string | undefined;
  readonly origin: string;
}

export function browserStorageAccessEnv(): StorageAccessEnv {
  const ancestors = (location as Location & { ancestorOrigins?: DOMStringList }).ancestorOrigins;
  return {
    document,
    framed: window.parent !== window,
    topOrigin: ancestors && ancestors.length > 0 ? (ancestors[ancestors.length - 1] ?? undefined) : undefined,
    origin: location.origin,
  };
}

/**
 * Whether to offer the unpartitioned store: framed, inside a page of another host (same-host frames already share
 * the app's storage), and the browser has the `types` form of requestStorageAccess (see above). The host
 * test is by host name: a page of another subdomain of the same site gets the offer too, which then finds the
 * models already there.
 */
export function canOfferStorageAccess(env: StorageAccessEnv): boolean {
  if (!env.framed || typeof env.document.requestStorageAccess !== 'function') return false;
  if (typeof env.document.hasUnpartitionedCookieAccess !== 'function') return false;
  if (env.topOrigin === undefined) return true;
  try {
    return new URL(env.topOrigin).hostname !== new URL(env.origin).hostname;
  } catch {
    return true;
  }
}

export type StorageAccessResult =
  | { readonly granted: true; readonly indexedDB: IDBFactory }
  | { readonly granted: false; readonly reason: 'denied' | 'unsupported' };

/**
 * Asks for the unpartitioned IndexedDB; call it from a click (the browser needs a user gesture). Never throws: a
 * refusal (the person said no, the browser's rules said no, a sandboxed frame) is 'denied'; a browser that resolved
 * without a handle (cookies only) is 'unsupported'.
 */
export async function requestUnpartitionedIndexedDB(
  doc: { requestStorageAccess?: unknown } = document,
): Promise<StorageAccessResult> {
  if (typeof doc.requestStorageAccess !== 'function') return { granted: false, reason: 'unsupported' };
  let handle: StorageAccessHandleLike | undefined;
  try {
    handle = await (doc.requestStorageAccess as RequestStorageAccess).call(doc, { indexedDB: true });
  } catch {
    return { granted: false, reason: 'denied' };
  }
  try {
    // The getter throws SecurityError when IndexedDB was not among what was granted.
    const factory = handle?.indexedDB;
    return factory ? { granted: true, indexedDB: factory } : { granted: false, reason: 'unsupported' };
  } catch {
    return { granted: false, reason: 'denied' };
  }
}
