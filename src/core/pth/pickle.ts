// A pickle VM (protocols 2–5) that executes nothing: GLOBALs resolve against an allowlist and every "call" builds an inert record.

import { VarError } from '../../shared/errors';
import { dtypeFromStorageType, STORAGE_TYPE_DTYPES } from './dtype';
import { describeOpcode, OP } from './pickle-opcodes';
import {
  describeValue,
  PickleDict,
  PickleGlobal,
  PickleSet,
  PickleStorage,
  PickleTensor,
  PickleTuple,
  type PickleValue,
  shapeText,
} from './pickle-values';
import { decodeLatin1, decodeUtf8 } from './utf8';

const STORAGE_GLOBALS = Object.keys(STORAGE_TYPE_DTYPES).map((s) => `torch.${s}`);

/** The only globals a state-dict pickle needs (tinygrad's torch_load takes the same approach). */
export const ALLOWED_GLOBALS: ReadonlySet<string> = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  ...STORAGE_GLOBALS,
]);

/** Parses `bytes` and returns the unpickled top-level value; `name` labels error messages. */
export function loadPickle(bytes: Uint8Array, name: string): PickleValue {
  return new PickleMachine(bytes, name).run();
}

class PickleMachine {
  private pos = 0;
  private opStart = 0;
  private opcode = 0;
  private stack: PickleValue[] = [];
  private readonly marks: PickleValue[][] = [];
  private readonly memo = new Map<number, PickleValue>();
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly name: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  run(): PickleValue {
    while (this.pos < this.bytes.length) {
      this.opStart = this.pos;
      this.opcode = this.bytes[this.pos++] as number;
      if (this.opcode === OP.STOP) return this.pop();
      this.step(this.opcode);
    }
    throw this.invalid('the pickle ends without a STOP opcode');
  }

  private step(op: number): void {
    switch (op) {
      case OP.PROTO: {
        const version = this.u8();
        if (version > 5) throw this.invalid(`unsupported pickle protocol ${version}`);
        return;
      }
      case OP.FRAME:
        // Frames only announce how many bytes follow; the opcodes inside are read inline.
        this.checkLength(this.u64());
        return;
      case OP.GLOBAL: {
        const module = decodeUtf8(this.line());
        const name = decodeUtf8(this.line());
        this.push(this.resolveGlobal(module, name));
        return;
      }
      case OP.STACK_GLOBAL: {
        const name = this.pop();
        const module = this.pop();
        if (typeof module !== 'string' || typeof name !== 'string') {
          throw this.invalid('STACK_GLOBAL needs two strings on the stack');
        }
        this.push(this.resolveGlobal(module, name));
        return;
      }
      case OP.BINUNICODE:
        this.push(decodeUtf8(this.take(this.u32())));
        return;
      case OP.SHORT_BINUNICODE:
        this.push(decodeUtf8(this.take(this.u8())));
        return;
      case OP.BINUNICODE8:
        this.push(decodeUtf8(this.take(this.u64())));
        return;
      case OP.BINSTRING:
        this.push(decodeLatin1(this.take(this.i32())));
        return;
      case OP.SHORT_BINSTRING:
        this.push(decodeLatin1(this.take(this.u8())));
        return;
      case OP.BINBYTES:
        this.push(this.take(this.u32()).slice());
        return;
      case OP.SHORT_BINBYTES:
        this.push(this.take(this.u8()).slice());
        return;
      case OP.BINBYTES8:
      case OP.BYTEARRAY8:
        this.push(this.take(this.u64()).slice());
        return;
      case OP.MARK:
        this.marks.push(this.stack);
        this.stack = [];
        return;
      case OP.POP:
        if (this.stack.length > 0) this.stack.pop();
        else this.popMark();
        return;
      case OP.POP_MARK:
        this.popMark();
        return;
      case OP.DUP:
        this.push(this.peek());
        return;
      case OP.BININT:
        this.push(this.i32());
        return;
      case OP.BININT1:
        this.push(this.u8());
        return;
      case OP.BININT2:
        this.push(this.u16());
        return;
      case OP.LONG1:
        this.push(this.long(this.u8()));
        return;
      case OP.LONG4:
        this.push(this.long(this.i32()));
        return;
      case OP.BINFLOAT: {
        const at = this.advance(8);
        this.push(this.view.getFloat64(at, false));
        return;
      }
      case OP.NONE:
        this.push(null);
        return;
      case OP.NEWTRUE:
        this.push(true);
        return;
      case OP.NEWFALSE:
        this.push(false);
        return;
      case OP.EMPTY_TUPLE:
        this.push(new PickleTuple([]));
        return;
      case OP.TUPLE:
        this.push(new PickleTuple(this.popMark()));
        return;
      case OP.TUPLE1:
      case OP.TUPLE2:
      case OP.TUPLE3: {
        const n = op - OP.TUPLE1 + 1;
        const items: PickleValue[] = [];
        for (let i = 0; i < n; i++) items.unshift(this.pop());
        this.push(new PickleTuple(items));
        return;
      }
      case OP.EMPTY_LIST:
        this.push([]);
        return;
      case OP.LIST:
        this.push(this.popMark());
        return;
      case OP.APPEND: {
        const value = this.pop();
        this.list(this.peek()).push(value);
        return;
      }
      case OP.APPENDS: {
        const items = this.popMark();
        const target = this.list(this.peek());
        for (const item of items) target.push(item);
        return;
      }
      case OP.EMPTY_DICT:
        this.push(new PickleDict(false));
        return;
      case OP.DICT: {
        const dict = new PickleDict(false);
        this.setItems(dict, this.popMark());
        this.push(dict);
        return;
      }
      case OP.SETITEM: {
        const value = this.pop();
        const key = this.pop();
        this.dict(this.peek()).entries.set(key, value);
        return;
      }
      case OP.SETITEMS: {
        const items = this.popMark();
        this.setItems(this.dict(this.peek()), items);
        return;
      }
      case OP.EMPTY_SET:
        this.push(new PickleSet([], false));
        return;
      case OP.ADDITEMS: {
        const items = this.popMark();
        const target = this.peek();
        if (!(target instanceof PickleSet) || target.frozen) throw this.invalid('ADDITEMS needs a set');
        target.items.push(...items);
        return;
      }
      case OP.FROZENSET:
        this.push(new PickleSet(this.popMark(), true));
        return;
      case OP.BINPUT:
        this.put(this.u8());
        return;
      case OP.LONG_BINPUT:
        this.put(this.u32());
        return;
      case OP.MEMOIZE:
        this.put(this.memo.size);
        return;
      case OP.BINGET:
        this.push(this.get(this.u8()));
        return;
      case OP.LONG_BINGET:
        this.push(this.get(this.u32()));
        return;
      case OP.BINPERSID:
        this.push(this.persistentStorage(this.pop()));
        return;
      case OP.REDUCE: {
        const args = this.pop();
        const callable = this.pop();
        this.push(this.reduce(callable, args));
        return;
      }
      case OP.NEWOBJ: {
        const args = this.pop();
        const cls = this.pop();
        if (cls instanceof PickleGlobal && cls.qualifiedName === 'collections.OrderedDict') {
          this.push(new PickleDict(true));
          return;
        }
        throw this.invalid(`NEWOBJ of ${describeValue(cls)} is not supported (args ${describeValue(args)})`);
      }
      case OP.BUILD: {
        const state = this.pop();
        const target = this.peek();
        // torch stores the module tree's `_metadata` (versions per submodule) as the state dict's attribute: not needed.
        if (target instanceof PickleDict) return;
        throw this.invalid(`BUILD on ${describeValue(target)} is not supported (state ${describeValue(state)})`);
      }
      default:
        throw this.invalid(`unsupported pickle opcode ${describeOpcode(op)}`);
    }
  }

  private resolveGlobal(module: string, name: string): PickleGlobal {
    const qualified = `${module}.${name}`;
    if (!ALLOWED_GLOBALS.has(qualified)) {
      throw new VarError(
        'E_PICKLE_FORBIDDEN_GLOBAL',
        `${this.name}: the pickle names the global ${qualified} (${describeOpcode(this.opcode)} at offset ${this.opStart}); ` +
          'a checkpoint may only name tensor-rebuilding globals, so it was rejected and nothing was executed',
        { global: qualified, offset: this.opStart, file: this.name },
      );
    }
    return new PickleGlobal(module, name);
  }

  /** REDUCE never calls anything: it recognises allowlisted globals and builds their data record. */
  private reduce(callable: PickleValue, args: PickleValue): PickleValue {
    if (!(callable instanceof PickleGlobal) || !(args instanceof PickleTuple)) {
      throw this.invalid(`REDUCE of ${describeValue(callable)} with ${describeValue(args)} is not supported`);
    }
    const a = args.items;
    switch (callable.qualifiedName) {
      case 'collections.OrderedDict': {
        // Protocol 2 writes OrderedDict() and adds items with SETITEMS; OrderedDict([(k, v), ...]) is accepted too.
        const dict = new PickleDict(true);
        const pairs = a.length === 0 ? [] : a[0];
        if (a.length > 1 || !Array.isArray(pairs)) {
          throw this.invalid(`OrderedDict with arguments ${describeValue(args)} is not supported`);
        }
        for (const pair of pairs) {
          if (!(pair instanceof PickleTuple) || pair.items.length !== 2) {
            throw this.invalid(`OrderedDict item ${describeValue(pair)} is not a (key, value) tuple`);
          }
          dict.entries.set(pair.items[0] as PickleValue, pair.items[1] as PickleValue);
        }
        return dict;
      }
      case 'torch._utils._rebuild_tensor_v2':
        return this.rebuildTensor(a);
      case 'torch._utils._rebuild_parameter': {
        // (data, requires_grad, backward_hooks): a Parameter is its tensor for reading purposes.
        const data = a[0];
        if (a.length !== 3 || !(data instanceof PickleTensor)) {
          throw this.invalid(`_rebuild_parameter expects (tensor, requires_grad, hooks), got ${describeValue(args)}`);
        }
        return data;
      }
      default:
        throw this.invalid(`REDUCE of ${callable.qualifiedName} is not supported`);
    }
  }

  /** _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]). */
  private rebuildTensor(a: readonly PickleValue[]): PickleTensor {
    const [storage, offset, size, stride] = a;
    if ((a.length !== 6 && a.length !== 7) || !(storage instanceof PickleStorage)) {
      throw this.invalid(`_rebuild_tensor_v2 expects 6 or 7 arguments starting with a storage, got ${a.length}`);
    }
    const shape = this.intTuple(size, 'size');
    const strides = this.intTuple(stride, 'stride');
    if (shape.length !== strides.length) {
      throw this.invalid(`tensor size ${shapeText(shape)} and stride ${shapeText(strides)} differ in length`);
    }
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
      throw this.invalid(`tensor storage offset ${describeValue(offset ?? null)} is not a non-negative integer`);
    }
    return new PickleTensor(storage, offset, shape, strides);
  }

  private persistentStorage(pid: PickleValue): PickleStorage {
    const items = pid instanceof PickleTuple ? pid.items : [];
    const [tag, type, key, location, numel] = items;
    const dtype = type instanceof PickleGlobal && type.module === 'torch' ? dtypeFromStorageType(type.name) : undefined;
    if (
      items.length !== 5 ||
      tag !== 'storage' ||
      dtype === undefined ||
      typeof key !== 'string' ||
      typeof location !== 'string' ||
      typeof numel !== 'number' ||
      !Number.isSafeInteger(numel) ||
      numel < 0
    ) {
      throw this.invalid(
        `persistent id ${describeValue(pid)} is not ('storage', torch.<X>Storage, key, location, numel)`,
      );
    }
    return new PickleStorage((type as PickleGlobal).name, dtype, key, location, numel);
  }

  private intTuple(value: PickleValue | undefined, what: string): number[] {
    if (!(value instanceof PickleTuple))
      throw this.invalid(`tensor ${what} is ${describeValue(value ?? null)}, not a tuple`);
    return value.items.map((v) => {
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
        throw this.invalid(`tensor ${what} holds ${describeValue(v)}, not a non-negative integer`);
      }
      return v;
    });
  }

  private setItems(dict: PickleDict, items: PickleValue[]): void {
    if (items.length % 2 !== 0) throw this.invalid('odd number of items for a dict');
    for (let i = 0; i < items.length; i += 2) dict.entries.set(items[i] as PickleValue, items[i + 1] as PickleValue);
  }

  private list(value: PickleValue): PickleValue[] {
    if (!Array.isArray(value)) throw this.invalid(`cannot append to ${describeValue(value)}`);
    return value;
  }

  private dict(value: PickleValue): PickleDict {
    if (!(value instanceof PickleDict)) throw this.invalid(`cannot set items on ${describeValue(value)}`);
    return value;
  }

  private put(index: number): void {
    this.memo.set(index, this.peek());
  }

  private get(index: number): PickleValue {
    const value = this.memo.get(index);
    if (value === undefined) throw this.invalid(`memo entry ${index} is not defined`);
    return value;
  }

  private push(value: PickleValue): void {
    this.stack.push(value);
  }

  private pop(): PickleValue {
    const value = this.stack.pop();
    if (value === undefined) throw this.invalid('stack underflow');
    return value;
  }

  private peek(): PickleValue {
    const value = this.stack[this.stack.length - 1];
    if (value === undefined) throw this.invalid('stack underflow');
    return value;
  }

  private popMark(): PickleValue[] {
    const items = this.stack;
    const outer = this.marks.pop();
    if (outer === undefined) throw this.invalid('no MARK on the stack');
    this.stack = outer;
    return items;
  }

  private long(length: number): number | bigint {
    const b = this.take(length);
    let value = 0n;
    for (let i = b.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(b[i] as number);
    if (b.length > 0 && (b[b.length - 1] as number) & 0x80) value -= 1n << BigInt(8 * b.length);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  private line(): Uint8Array {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw this.invalid('GLOBAL name is not terminated by a newline');
    const line = this.bytes.subarray(this.pos, end);
    this.pos = end + 1;
    return line;
  }

  /** Guards every length field: nothing may claim more bytes than the pickle still has. */
  private checkLength(length: number): void {
    const remaining = this.bytes.length - this.pos;
    if (length < 0 || length > remaining) {
      throw this.invalid(`a length field of ${length} bytes exceeds the ${remaining} bytes left in the pickle`);
    }
  }

  private take(length: number): Uint8Array {
    this.checkLength(length);
    const out = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  private advance(n: number): number {
    this.checkLength(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  private u8(): number {
    return this.view.getUint8(this.advance(1));
  }
  private u16(): number {
    return this.view.getUint16(this.advance(2), true);
  }
  private u32(): number {
    return this.view.getUint32(this.advance(4), true);
  }
  private i32(): number {
    return this.view.getInt32(this.advance(4), true);
  }
  private u64(): number {
    const at = this.advance(8);
    const hi = this.view.getUint32(at + 4, true);
    // Anything ≥ 2^53 is far beyond any pickle's size, so it fails checkLength like any other absurd length.
    return hi >= 0x200000 ? Number.MAX_SAFE_INTEGER : hi * 2 ** 32 + this.view.getUint32(at, true);
  }

  private invalid(message: string): VarError {
    return new VarError(
      'E_PICKLE_INVALID',
      `${this.name}: ${message} (${describeOpcode(this.opcode)} at offset ${this.opStart})`,
      {
        offset: this.opStart,
        opcode: this.opcode,
        file: this.name,
      },
    );
  }
}
