// Fixtures for the store's tests: random files with their sha256, minimal manifests, and a fresh store per test.

import { createHash, randomBytes } from 'node:crypto';
import { ModelStore, type ModelStoreOptions } from '../../../workers/engine/store/model-store';
import type { PackFile, PackManifest } from '../../core/pack/manifest';

export interface TestFile {
  readonly entry: PackFile;
  readonly bytes: Uint8Array;
}

export function testFile(path: string, size: number): TestFile {
  const bytes = new Uint8Array(randomBytes(size));
  return { entry: { path, bytes: size, sha256: sha256Hex(bytes) }, bytes };
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Only what the store reads from a manifest (name, label, files); the rest of a pack does not matter to it. */
export function testManifest(name: string, files: readonly PackFile[]): PackManifest {
  return { name, label: `Model ${name}`, files } as unknown as PackManifest;
}

let stores = 0;

/** A store in its own databases (fake-indexeddb keeps one global registry per process). */
export function freshStore(options: Omit<ModelStoreOptions, 'namespace'> = {}): ModelStore {
  stores++;
  return new ModelStore({ chunkBytes: 64 * 1024, ...options, namespace: `test-store-${process.pid}-${stores}` });
}

/** Retry without waiting; the delays asked for are recorded. */
export function instantRetry(maxRetries = 3): {
  retry: { maxRetries: number; baseDelayMs: number; maxDelayMs: number; sleep: (ms: number) => Promise<void> };
  delays: number[];
} {
  const delays: number[] = [];
  return {
    delays,
    retry: {
      maxRetries,
      baseDelayMs: 100,
      maxDelayMs: 60_000,
      sleep: async (ms: number) => {
        delays.push(ms);
      },
    },
  };
}

export const unlimitedQuota = async () => ({ usage: 0, quota: Number.MAX_SAFE_INTEGER });

/** Byte equality in one call: vitest's deep equality walks a 700 kB array element by element (seconds). */
export function sameBytes(actual: Uint8Array | undefined, expected: Uint8Array): boolean {
  return actual !== undefined && Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(expected);
}
