// Writes torch-format checkpoints (torch 1.13 or 2.x layout) as a stream of chunks, for tests and the reader benchmark.

import { itemSize, storageTypeFromDType } from '../../core/pth/dtype';
import { OP } from '../../core/pth/pickle-opcodes';
import type { DType } from '../../core/pth/types';
import { encodeUtf8 } from '../../core/pth/utf8';
import { VarError } from '../../shared/errors';
import { collectChunks, writeStoredZip, type Zip64Mode, type ZipData, type ZipRecordInput } from './zip-writer';

export interface PthTensorEntry {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Little-endian bytes of the whole storage; by default the tensor's own C-order data. Omit with `shareStorageWith`. */
  readonly data?: ZipData;
  /** Name of an earlier entry whose storage this tensor views (like two views of one torch storage). */
  readonly shareStorageWith?: string;
  /** Storage size in elements; needed only when `data` is a function and the view is not the whole storage. */
  readonly storageNumel?: number;
  /** In elements, as torch's storage_offset(). */
  readonly storageOffset?: number;
  /** In elements; default C-contiguous. */
  readonly stride?: readonly number[];
  /** Persistent-id location string: 'cpu' unless saved from a GPU ('cuda:0'). */
  readonly location?: string;
  /** Wrap in torch._utils._rebuild_parameter, as when saving nn.Parameter objects. */
  readonly parameter?: boolean;
}

export interface PthWriterOptions {
  /** Top-level folder; torch 1.x uses the file stem, torch 2.x "archive". */
  readonly root?: string;
  /**
   * 'torch-1.13': OrderedDict + BUILD(_metadata), 6-argument _rebuild_tensor_v2, a `version` record.
   * 'torch-2': 7-argument _rebuild_tensor_v2, `byteorder`, `.data/version` and `.data/serialization_id` records.
   */
  readonly flavour?: 'torch-1.13' | 'torch-2';
  /** A plain dict instead of OrderedDict (no BUILD), as a re-packed state dict. */
  readonly plainDict?: boolean;
  /** Content of the torch-2 `byteorder` record. */
  readonly byteOrder?: 'little' | 'big';
  readonly zip64?: Zip64Mode;
  /**
   * Write the official trainer's layout (VAR train.py): `{'epoch', 'iter', 'trainer': {'config', 'var_wo_ddp':
   * <the entries' state dict>, 'var_opt': {'optim': {'state', 'param_groups'}}}, 'args'}`, with `optimizerTensors`
   * (AdamW's exp_avg and the like) as the optimizer's state of parameter 0.
   */
  readonly trainer?: { readonly optimizerTensors?: readonly PthTensorEntry[] };
}

interface StorageInfo {
  readonly key: string;
  readonly dtype: DType;
  readonly numel: number;
  readonly data: ZipData;
}

/** Yields the checkpoint file's bytes in order; only one storage's data is held at a time. */
export async function* writePth(
  entries: readonly PthTensorEntry[],
  options: PthWriterOptions = {},
): AsyncGenerator<Uint8Array> {
  const flavour = options.flavour ?? 'torch-2';
  const root = options.root ?? 'archive';
  const optimizerTensors = options.trainer?.optimizerTensors ?? [];
  const storages = assignStorages([...entries, ...optimizerTensors]);
  const pickle = options.trainer
    ? pickleTrainerCheckpoint(entries, optimizerTensors, storages, flavour)
    : pickleStateDict(entries, storages, flavour, options.plainDict ?? false);
  const records: ZipRecordInput[] = [{ name: `${root}/data.pkl`, data: pickle }];
  if (flavour === 'torch-2')
    records.push({ name: `${root}/byteorder`, data: encodeUtf8(options.byteOrder ?? 'little') });
  // torch writes storages in lexicographic key order (0, 1, 10, 11, …, 2, …).
  const sorted = [...new Set(storages.values())].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const s of sorted) records.push({ name: `${root}/data/${s.key}`, data: () => checkedData(s) });
  if (flavour === 'torch-2') {
    records.push({ name: `${root}/.data/version`, data: encodeUtf8('3\n') });
    records.push({
      name: `${root}/.data/serialization_id`,
      data: encodeUtf8('1234567890123456789012345678901234567890'),
    });
  } else {
    records.push({ name: `${root}/version`, data: encodeUtf8('3\n') });
  }
  yield* writeStoredZip(records, options.zip64 ? { zip64: options.zip64 } : {});
}

/** The whole checkpoint in memory (tests). */
export function writePthToBytes(
  entries: readonly PthTensorEntry[],
  options: PthWriterOptions = {},
): Promise<Uint8Array> {
  return collectChunks(writePth(entries, options));
}

function assignStorages(entries: readonly PthTensorEntry[]): Map<string, StorageInfo> {
  const byEntry = new Map<string, StorageInfo>();
  let nextKey = 0;
  for (const e of entries) {
    if (e.shareStorageWith !== undefined) {
      const shared = byEntry.get(e.shareStorageWith);
      if (!shared || shared.dtype !== e.dtype) {
        throw new VarError(
          'E_INTERNAL',
          `${e.name}: shareStorageWith names no earlier ${e.dtype} entry "${e.shareStorageWith}"`,
        );
      }
      byEntry.set(e.name, shared);
      continue;
    }
    if (e.data === undefined) throw new VarError('E_INTERNAL', `${e.name}: data is required`);
    const numel =
      e.storageNumel ??
      (e.data instanceof Uint8Array ? e.data.length / itemSize(e.dtype) : e.shape.reduce((a, b) => a * b, 1));
    byEntry.set(e.name, { key: String(nextKey++), dtype: e.dtype, numel, data: e.data });
  }
  return byEntry;
}

async function checkedData(s: StorageInfo): Promise<Uint8Array> {
  const data = typeof s.data === 'function' ? await s.data() : s.data;
  if (data.length !== s.numel * itemSize(s.dtype)) {
    throw new VarError('E_INTERNAL', `storage ${s.key}: ${data.length} bytes, expected ${s.numel} ${s.dtype} elements`);
  }
  return data;
}

/** Protocol-2 pickle of the state dict, opcode for opcode what torch's pickler emits (with memo puts/gets). */
function pickleStateDict(
  entries: readonly PthTensorEntry[],
  storages: ReadonlyMap<string, StorageInfo>,
  flavour: 'torch-1.13' | 'torch-2',
  plainDict: boolean,
): Uint8Array {
  const p = new PickleBuilder();
  p.op(OP.PROTO).byte(2);
  pushStateDict(p, entries, storages, flavour, plainDict);
  p.op(OP.STOP);
  return p.bytes();
}

/** What train.py saves, with plain values where the trainer has them (ints, floats, strings, tuples, lists). */
function pickleTrainerCheckpoint(
  entries: readonly PthTensorEntry[],
  optimizerTensors: readonly PthTensorEntry[],
  storages: ReadonlyMap<string, StorageInfo>,
  flavour: 'torch-1.13' | 'torch-2',
): Uint8Array {
  const p = new PickleBuilder();
  p.op(OP.PROTO).byte(2);
  p.op(OP.EMPTY_DICT).put().op(OP.MARK);
  p.str('epoch').int(12).str('iter').int(0);
  p.str('trainer').op(OP.EMPTY_DICT).put().op(OP.MARK);
  p.str('config').op(OP.EMPTY_DICT).put().op(OP.MARK);
  p.str('patch_nums').intTuple([1, 2, 3, 4, 5, 6, 8, 10, 13, 16]).str('label_smooth').float(0.1);
  p.op(OP.SETITEMS);
  p.str('var_wo_ddp');
  pushStateDict(p, entries, storages, flavour, false);
  p.str('var_opt').op(OP.EMPTY_DICT).put().str('optim').op(OP.EMPTY_DICT).put().op(OP.MARK);
  p.str('state').op(OP.EMPTY_DICT).put();
  if (optimizerTensors.length > 0) {
    p.int(0).op(OP.EMPTY_DICT).put().op(OP.MARK);
    p.str('step').float(1200);
    for (const e of optimizerTensors) {
      p.str(e.name);
      pushTensor(p, e, storages, flavour);
    }
    p.op(OP.SETITEMS).op(OP.SETITEM);
  }
  p.str('param_groups').op(OP.EMPTY_LIST).put().op(OP.EMPTY_DICT).put().op(OP.MARK);
  p.str('lr').float(1e-4).str('betas').float(0.9).float(0.95).op(OP.TUPLE2).put();
  p.str('weight_decay').float(0.05).str('amsgrad').op(OP.NEWFALSE);
  p.str('params').op(OP.EMPTY_LIST).put().op(OP.MARK).int(0).int(1).op(OP.APPENDS);
  p.op(OP.SETITEMS).op(OP.APPEND);
  p.op(OP.SETITEMS).op(OP.SETITEM); // optim's items; var_opt['optim']
  p.op(OP.SETITEMS); // trainer's items
  p.str('args').op(OP.EMPTY_DICT).put().op(OP.MARK);
  p.str('exp_name').str('text').str('depth').int(16).str('tblr').float(8e-5).str('cmd').str('--depth=16 --bs=768');
  p.str('acc_mean').op(OP.NONE).str('resos').intTuple([16, 32, 48, 64]);
  p.op(OP.SETITEMS);
  p.op(OP.SETITEMS); // top-level items
  p.op(OP.STOP);
  return p.bytes();
}

/** Pushes a state dict (OrderedDict or dict) of `entries` onto the pickle's stack. */
function pushStateDict(
  p: PickleBuilder,
  entries: readonly PthTensorEntry[],
  storages: ReadonlyMap<string, StorageInfo>,
  flavour: 'torch-1.13' | 'torch-2',
  plainDict: boolean,
): void {
  if (plainDict) {
    p.op(OP.EMPTY_DICT).put();
  } else {
    p.global('collections', 'OrderedDict').op(OP.EMPTY_TUPLE).op(OP.REDUCE).put();
  }
  // Python batches SETITEMS by 1000 items.
  for (let start = 0; start < entries.length; start += 1000) {
    p.op(OP.MARK);
    for (const e of entries.slice(start, start + 1000)) {
      p.str(e.name);
      pushTensor(p, e, storages, flavour);
    }
    p.op(OP.SETITEMS);
  }
  if (!plainDict) {
    // state_dict() attaches `_metadata` (per-module versions); pickled as the OrderedDict's state and set by BUILD.
    p.op(OP.EMPTY_DICT)
      .put()
      .str('_metadata')
      .global('collections', 'OrderedDict')
      .op(OP.EMPTY_TUPLE)
      .op(OP.REDUCE)
      .put();
    p.str('').op(OP.EMPTY_DICT).put().str('version').int(1).op(OP.SETITEM).op(OP.SETITEM).op(OP.SETITEM).op(OP.BUILD);
  }
}

function pushTensor(
  p: PickleBuilder,
  e: PthTensorEntry,
  storages: ReadonlyMap<string, StorageInfo>,
  flavour: 'torch-1.13' | 'torch-2',
): void {
  const s = storages.get(e.name) as StorageInfo;
  if (e.parameter) p.global('torch._utils', '_rebuild_parameter').op(OP.MARK);
  p.global('torch._utils', '_rebuild_tensor_v2').op(OP.MARK);
  p.op(OP.MARK)
    .str('storage')
    .global('torch', storageTypeFromDType(e.dtype))
    .str(s.key)
    .str(e.location ?? 'cpu');
  p.int(s.numel).op(OP.TUPLE).put().op(OP.BINPERSID);
  p.int(e.storageOffset ?? 0)
    .intTuple(e.shape)
    .intTuple(e.stride ?? contiguousStride(e.shape));
  p.op(OP.NEWFALSE).global('collections', 'OrderedDict').op(OP.EMPTY_TUPLE).op(OP.REDUCE).put();
  if (flavour === 'torch-2') p.op(OP.EMPTY_DICT).put();
  p.op(OP.TUPLE).put().op(OP.REDUCE).put();
  if (e.parameter) p.op(OP.NEWFALSE).op(OP.EMPTY_DICT).op(OP.TUPLE).op(OP.REDUCE).put();
}

function contiguousStride(shape: readonly number[]): number[] {
  const stride = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    stride[i] = s;
    s *= shape[i] as number;
  }
  return stride;
}

class PickleBuilder {
  private readonly out: number[] = [];
  private readonly memo = new Map<string, number>();
  private memoSize = 0;

  op(code: number): this {
    this.out.push(code);
    return this;
  }
  byte(b: number): this {
    this.out.push(b & 0xff);
    return this;
  }
  u32(v: number): this {
    this.out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
    return this;
  }
  /** BINPUT / LONG_BINPUT of the top of the stack, as Python's pickler does after each new object. */
  put(): this {
    const index = this.memoSize++;
    return index < 256 ? this.op(OP.BINPUT).byte(index) : this.op(OP.LONG_BINPUT).u32(index);
  }
  /** A global is pickled once and fetched from the memo afterwards. */
  global(module: string, name: string): this {
    const key = `${module}\n${name}`;
    const index = this.memo.get(key);
    if (index !== undefined) return index < 256 ? this.op(OP.BINGET).byte(index) : this.op(OP.LONG_BINGET).u32(index);
    this.op(OP.GLOBAL);
    for (const b of encodeUtf8(`${module}\n${name}\n`)) this.out.push(b);
    this.memo.set(key, this.memoSize);
    return this.put();
  }
  str(s: string): this {
    const b = encodeUtf8(s);
    this.op(OP.BINUNICODE).u32(b.length);
    for (const x of b) this.out.push(x);
    return this.put();
  }
  int(v: number): this {
    if (v >= 0 && v < 256) return this.op(OP.BININT1).byte(v);
    if (v >= 0 && v < 65536)
      return this.op(OP.BININT2)
        .byte(v)
        .byte(v >>> 8);
    if (v >= -(2 ** 31) && v < 2 ** 31) return this.op(OP.BININT).u32(v);
    // LONG1: minimal little-endian two's complement.
    const bytes: number[] = [];
    let x = BigInt(v);
    for (;;) {
      const b = Number(x & 0xffn);
      bytes.push(b);
      x >>= 8n;
      if ((x === 0n && !(b & 0x80)) || (x === -1n && b & 0x80)) break;
    }
    this.op(OP.LONG1).byte(bytes.length);
    for (const b of bytes) this.out.push(b);
    return this;
  }
  /** BINFLOAT: a big-endian float64, as Python pickles a float. */
  float(v: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, false);
    this.op(OP.BINFLOAT);
    for (const x of b) this.out.push(x);
    return this;
  }
  intTuple(values: readonly number[]): this {
    if (values.length === 0) return this.op(OP.EMPTY_TUPLE);
    if (values.length > 3) this.op(OP.MARK);
    for (const v of values) this.int(v);
    this.op(values.length <= 3 ? OP.TUPLE1 + values.length - 1 : OP.TUPLE);
    return this.put();
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}
