// Storage quota for the store: refuse a download that cannot fit (E_QUOTA), turn a QuotaExceededError into the same
// error, ask for persistent storage, and report what the origin uses.

import { VarError } from '../../../src/shared/errors';

export interface StorageNumbers {
  readonly usage?: number;
  readonly quota?: number;
}

/** `navigator.storage.estimate` or a stand-in (tests, browsers without the Storage API). */
export type StorageEstimator = () => Promise<StorageNumbers | undefined>;

function storageManager(): StorageManager | undefined {
  return typeof navigator !== 'undefined' ? navigator.storage : undefined;
}

export const browserEstimator: StorageEstimator = async () => storageManager()?.estimate();

/** A cached model that could be deleted to make room, named in E_QUOTA's details. */
export interface DeletableModel {
  readonly name: string;
  readonly label: string;
  readonly bytes: number;
}

const MB = 1e6;
/** Megabytes as the model picker shows them; exact bytes below 0.1 MB, where one decimal would say 0.0. */
const mb = (bytes: number) => (bytes >= 0.1 * MB ? `${(bytes / MB).toFixed(1)} MB` : `${bytes} bytes`);

/**
 * E_QUOTA before a download: the browser's estimate says `neededBytes` will not fit. `refused`: a write the browser
 * refused (QuotaExceededError) although its estimate may say there is room (the estimate is approximate, and a quota
 * can shrink while a download runs). Either way the message names the cached models that could be deleted.
 */
export function quotaError(
  what: string,
  neededBytes: number,
  availableBytes: number,
  deletable: readonly DeletableModel[] = [],
  cause?: unknown,
  refused = false,
): VarError {
  const hint =
    deletable.length > 0
      ? ` Deleting cached models would free space: ${deletable.map((m) => `${m.label} (${mb(m.bytes)})`).join(', ')}.`
      : '';
  const why = refused
    ? `the browser refused to store more (${mb(neededBytes)} still to come; it estimates ${mb(availableBytes)} free). What was stored is kept.`
    : `it needs ${mb(neededBytes)} more, the browser allows ${mb(availableBytes)}.`;
  return new VarError(
    'E_QUOTA',
    `Not enough storage for ${what}: ${why}${hint}`,
    { neededBytes, availableBytes, deletableModels: deletable.map((m) => ({ ...m })), ...(refused ? { refused } : {}) },
    cause === undefined ? undefined : { cause },
  );
}

/** E_QUOTA for a write the browser refused (see quotaError). */
export function refusedWriteError(
  what: string,
  neededBytes: number,
  availableBytes: number,
  deletable: readonly DeletableModel[] = [],
  cause?: unknown,
): VarError {
  return quotaError(what, neededBytes, availableBytes, deletable, cause, true);
}

/** Bytes the origin may still write, or undefined when the browser does not say. */
export async function availableBytes(estimate: StorageEstimator): Promise<number | undefined> {
  const numbers = await estimate().catch(() => undefined);
  if (numbers?.quota === undefined) return undefined;
  return Math.max(0, numbers.quota - (numbers.usage ?? 0));
}

/** Throws E_QUOTA when the estimate says `neededBytes` will not fit; passes when it cannot tell. */
export async function assertRoomFor(
  what: string,
  neededBytes: number,
  estimate: StorageEstimator,
  deletable: () => Promise<readonly DeletableModel[]> = async () => [],
): Promise<void> {
  if (neededBytes <= 0) return;
  const available = await availableBytes(estimate);
  if (available !== undefined && neededBytes > available) {
    throw quotaError(what, neededBytes, available, await deletable());
  }
}

/** QuotaExceededError as IndexedDB reports it (a DOMException, or code 22 in older engines). */
export function isQuotaExceeded(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return name === 'QuotaExceededError' || code === 22;
}

/**
 * Asks the browser to keep this origin's storage under pressure; true when granted (now or before). `persist()` is
 * exposed to windows only (not to workers), and Firefox prompts for it: call this from the page, in the click that
 * starts a download. In a worker it reports false.
 */
export async function requestPersistentStorage(): Promise<boolean> {
  const storage = storageManager() as (StorageManager & { persist?: () => Promise<boolean> }) | undefined;
  if (!storage?.persist) return false;
  try {
    return (await storage.persisted()) || (await storage.persist());
  } catch {
    return false;
  }
}

/** The browser's storage figures for the origin. */
export interface StorageFigures {
  readonly usedBytes: number | undefined;
  readonly quotaBytes: number | undefined;
  readonly persisted: boolean;
}

export async function storageUsage(estimate: StorageEstimator = browserEstimator): Promise<StorageFigures> {
  const numbers = await estimate().catch(() => undefined);
  const persisted = (await storageManager()
    ?.persisted()
    .catch(() => false)) as boolean | undefined;
  return { usedBytes: numbers?.usage, quotaBytes: numbers?.quota, persisted: persisted ?? false };
}
