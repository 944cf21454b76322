// Inert Python values produced by the pickle VM: containers, allowlisted global references, storages and tensor records.

import type { DType } from './types';

/** Python values the VM can produce. Lists are JS arrays; ints are numbers when safe, else bigint. */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | PickleTuple
  | PickleDict
  | PickleSet
  | PickleGlobal
  | PickleStorage
  | PickleTensor;

export class PickleTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

/** A dict or OrderedDict; keys compare like JS Map keys (by value for str/int, by identity otherwise). */
export class PickleDict {
  readonly entries = new Map<PickleValue, PickleValue>();
  constructor(readonly ordered: boolean) {}
}

export class PickleSet {
  constructor(
    readonly items: PickleValue[],
    readonly frozen: boolean,
  ) {}
}

/** A reference to an allowlisted global; it is only ever compared by name, never invoked. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A storage named by a persistent id ('storage', torch.<X>Storage, key, location, numel); its bytes live in data/<key>. */
export class PickleStorage {
  constructor(
    readonly storageType: string,
    readonly dtype: DType,
    readonly key: string,
    readonly location: string,
    readonly numel: number,
  ) {}
}

/** What `torch._utils._rebuild_tensor_v2` would build: a strided view of a storage. */
export class PickleTensor {
  constructor(
    readonly storage: PickleStorage,
    readonly storageOffset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {}
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Short description of a value for messages (never its full content). */
export function describeValue(value: PickleValue): string {
  if (value === null) return 'None';
  if (typeof value === 'string') return value.length > 40 ? `str '${value.slice(0, 40)}…'` : `str '${value}'`;
  if (typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))) return `int ${value}`;
  if (typeof value === 'number') return `float ${value}`;
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value instanceof Uint8Array) return `bytes(${value.length})`;
  if (Array.isArray(value)) return `list(${value.length})`;
  if (value instanceof PickleTuple) return `tuple(${value.items.length})`;
  if (value instanceof PickleDict) return `${value.ordered ? 'OrderedDict' : 'dict'}(${value.entries.size})`;
  if (value instanceof PickleSet) return `${value.frozen ? 'frozenset' : 'set'}(${value.items.length})`;
  if (value instanceof PickleGlobal) return value.qualifiedName;
  if (value instanceof PickleStorage) return `torch.${value.storageType}(${value.numel})`;
  return `tensor ${shapeText(value.shape)}`;
}
