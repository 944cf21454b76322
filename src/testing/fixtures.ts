// The one loader of /fixtures (golden files from the official code, tiny checkpoints), so tests under src/core need
// no node:fs import of their own. Synchronous forms for module-level constants, asynchronous ones elsewhere.

import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryByteSource } from '../core/io/byte-source';
import { openCheckpoint } from '../core/pth/checkpoint';
import type { Checkpoint, DType, TensorInfo } from '../core/pth/types';
import type { VarError } from '../shared/errors';
import { type NpyArray, type NpyDType, readNpyAs } from './npy';

export const FIXTURES_DIR = fileURLToPath(new URL('../../fixtures/', import.meta.url));

export function fixturePath(name: string): string {
  return `${FIXTURES_DIR}${name}`;
}

export async function readFixtureBytes(name: string): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await readFile(fixturePath(name)));
}

/** The bytes of a fixture, read synchronously. */
export function fixtureBytes(name: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(readFileSync(fixturePath(name)));
}

/** A golden .npy array, checked to have the expected dtype. */
export function loadNpy<D extends NpyDType>(name: string, dtype: D): Extract<NpyArray, { dtype: D }> {
  return readNpyAs(fixtureBytes(name), dtype, name);
}

/** The tiny VQVAE fixture, opened with the product .pth reader. */
export function tinyVae(): Promise<Checkpoint> {
  return openFixture('tiny_vae.pth');
}

export async function openFixture(name: string): Promise<Checkpoint> {
  return openCheckpoint(new MemoryByteSource(await readFixtureBytes(name), name));
}

/** Python's json.dump writes Infinity / -Infinity / NaN bare; JSON.parse does not accept them. */
export async function readFixtureJson<T>(name: string): Promise<T> {
  const text = await readFile(fixturePath(name), 'utf8');
  const quoted = text.replace(/(?<=[:[,]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g, '"$1"');
  return JSON.parse(quoted, (_key, value: unknown) => {
    if (value === 'Infinity') return Number.POSITIVE_INFINITY;
    if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
    if (value === 'NaN') return Number.NaN;
    return value;
  }) as T;
}

/** keys/*.tsv (key, shape, dtype, kind, numel) as TensorInfo without data. */
export async function readKeysTsv(name: string): Promise<TensorInfo[]> {
  const text = await readFile(fixturePath(`keys/${name}`), 'utf8');
  return text
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [key, shape, dtype] = line.split('\t') as [string, string, string];
      return { name: key, shape: JSON.parse(shape) as number[], dtype: dtype as DType };
    });
}

/** A path under the OS temp folder that no test has created yet (for "nothing was executed" markers). */
export function tempMarkerPath(label: string): string {
  return join(tmpdir(), `var-web-${label}-${process.pid}-${Date.now()}`);
}

export function pathExists(path: string): boolean {
  return existsSync(path);
}

/** Source text of a repository file, for static assertions about code (e.g. that the pickle VM calls nothing). */
export async function readRepoText(relativePath: string): Promise<string> {
  return readFile(fileURLToPath(new URL(`../../${relativePath}`, import.meta.url)), 'utf8');
}

/** The error `fn` throws (a test failure when it throws nothing), for assertions on its code and message. */
export function errorOf(fn: () => unknown): VarError {
  try {
    fn();
  } catch (error) {
    return error as VarError;
  }
  throw new Error('expected an error');
}
