// Compares a state dict's names, shapes and dtype classes with the table a config expects (strict load_state_dict).

import { VarError } from '../../shared/errors';
import { isFloatDType } from '../pth/dtype';
import type { TensorInfo } from '../pth/types';

export interface ExpectedTensor {
  readonly shape: readonly number[];
  /** 'int' for index buffers (lvl_1L); everything else is a float of any precision. */
  readonly kind: 'float' | 'int';
}

export type ExpectedKeys = ReadonlyMap<string, ExpectedTensor>;

/** Shown names per message; the details carry the full lists. */
const LIST_LIMIT = 20;

/**
 * Throws E_MISSING_KEYS, E_UNEXPECTED_KEYS, E_SHAPE_MISMATCH or E_UNSUPPORTED_DTYPE (in that order of precedence),
 * each naming the offending keys. `what` is e.g. "VAR transformer (depth 16)".
 */
export function checkStateDict(infos: Iterable<TensorInfo>, expected: ExpectedKeys, file: string, what: string): void {
  const actual = new Map<string, TensorInfo>();
  for (const info of infos) actual.set(info.name, info);
  const missing = [...expected.keys()].filter((k) => !actual.has(k));
  const unexpected = [...actual.keys()].filter((k) => !expected.has(k));
  if (missing.length > 0) {
    const also = unexpected.length > 0 ? `; it also has ${unexpected.length} unexpected: ${listText(unexpected)}` : '';
    throw new VarError(
      'E_MISSING_KEYS',
      `${file}: ${missing.length} key(s) of the ${what} are missing: ${listText(missing)}${also}`,
      { missing, unexpected },
    );
  }
  if (unexpected.length > 0) {
    throw new VarError(
      'E_UNEXPECTED_KEYS',
      `${file}: ${unexpected.length} key(s) do not belong to the ${what}: ${listText(unexpected)}`,
      { unexpected },
    );
  }
  const mismatches: string[] = [];
  const wrongDtype: string[] = [];
  for (const [name, want] of expected) {
    const got = actual.get(name) as TensorInfo;
    if (!sameShape(got.shape, want.shape)) {
      mismatches.push(`${name}: expected ${shapeText(want.shape)}, got ${shapeText(got.shape)}`);
    }
    if ((want.kind === 'float') !== isFloatDType(got.dtype)) {
      wrongDtype.push(
        `${name}: expected a ${want.kind === 'float' ? 'floating-point' : 'integer'} dtype, got ${got.dtype}`,
      );
    }
  }
  if (mismatches.length > 0) {
    throw new VarError(
      'E_SHAPE_MISMATCH',
      `${file}: ${mismatches.length} tensor(s) of the ${what} have the wrong shape: ${listText(mismatches)}`,
      { mismatches },
    );
  }
  if (wrongDtype.length > 0) {
    throw new VarError('E_UNSUPPORTED_DTYPE', `${file}: ${listText(wrongDtype)}`, { wrongDtype });
  }
}

/** Looks up a tensor needed to infer the config; its absence is reported like any other missing key. */
export function requireTensor(
  infos: ReadonlyMap<string, TensorInfo>,
  name: string,
  file: string,
  what: string,
): TensorInfo {
  const info = infos.get(name);
  if (!info) {
    throw new VarError('E_MISSING_KEYS', `${file}: key ${name} of the ${what} is missing`, {
      missing: [name],
      unexpected: [],
    });
  }
  return info;
}

/** Dimension `axis` of a tensor that must have exactly `rank` dimensions. */
export function dim(info: TensorInfo, rank: number, axis: number, file: string): number {
  if (info.shape.length !== rank) {
    throw new VarError(
      'E_SHAPE_MISMATCH',
      `${file}: ${info.name}: expected ${rank} dimensions, got ${shapeText(info.shape)}`,
      { mismatches: [`${info.name}: got ${shapeText(info.shape)}`] },
    );
  }
  return info.shape[axis] as number;
}

/** Indices used under `prefix` (e.g. "blocks." → 0..depth-1); count = largest + 1, so gaps show up as missing keys. */
export function indexCount(names: Iterable<string>, prefix: string): number {
  let count = 0;
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)\./.exec(name.slice(prefix.length));
    if (m) count = Math.max(count, Number(m[1]) + 1);
  }
  return count;
}

export function byName(infos: Iterable<TensorInfo>): Map<string, TensorInfo> {
  const map = new Map<string, TensorInfo>();
  for (const info of infos) map.set(info.name, info);
  return map;
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function listText(items: readonly string[]): string {
  const shown = items.slice(0, LIST_LIMIT).join(', ');
  return items.length > LIST_LIMIT ? `${shown}, … (${items.length - LIST_LIMIT} more)` : shown;
}
