// torch storage types ↔ DType ↔ item size, and conversion of raw little-endian tensor bytes to JS typed arrays.

import { VarError } from '../../shared/errors';
import type { DType } from './types';

/** `torch.<X>Storage` globals a checkpoint may name, and the element type each one holds. */
export const STORAGE_TYPE_DTYPES: Readonly<Record<string, DType>> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

const ITEM_SIZES: Readonly<Record<DType, number>> = {
  float64: 8,
  float32: 4,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

export function dtypeFromStorageType(storageType: string): DType | undefined {
  return Object.hasOwn(STORAGE_TYPE_DTYPES, storageType) ? STORAGE_TYPE_DTYPES[storageType] : undefined;
}

export function storageTypeFromDType(dtype: DType): string {
  for (const [storageType, d] of Object.entries(STORAGE_TYPE_DTYPES)) if (d === dtype) return storageType;
  throw new VarError('E_UNSUPPORTED_DTYPE', `No torch storage type for dtype ${dtype}`);
}

export function itemSize(dtype: DType): number {
  return ITEM_SIZES[dtype];
}

export function isFloatDType(dtype: DType): boolean {
  return dtype === 'float64' || dtype === 'float32' || dtype === 'float16' || dtype === 'bfloat16';
}

export function isIntDType(dtype: DType): boolean {
  return !isFloatDType(dtype);
}

/** Host byte order: typed-array views are only a valid reading of little-endian file bytes on little-endian hosts. */
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** IEEE binary16 bits → number (exact; subnormals, ±Inf and NaN included). */
export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** bfloat16 is the upper half of a float32. */
export function bfloat16ToFloat32(bits: number): number {
  F32_SCRATCH_U32[0] = (bits & 0xffff) << 16;
  return F32_SCRATCH[0] as number;
}

const F32_SCRATCH = new Float32Array(1);
const F32_SCRATCH_U32 = new Uint32Array(F32_SCRATCH.buffer);

/** float → IEEE binary16 bits, round to nearest even (as torch's `.half()`). */
export function float32ToFloat16Bits(value: number): number {
  F32_SCRATCH[0] = value;
  const x = F32_SCRATCH_U32[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    let half = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && half & 1)) half++;
    return sign | half;
  }
  let out = sign | (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && out & 1)) out++;
  return out;
}

/** float → bfloat16 bits, round to nearest even (NaN kept quiet). */
export function float32ToBfloat16Bits(value: number): number {
  F32_SCRATCH[0] = value;
  const x = F32_SCRATCH_U32[0] as number;
  if (Number.isNaN(value)) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

let float16Table: Float32Array | undefined;

/** All 65536 half values, built once: a table lookup beats bit twiddling per element on large tensors. */
function getFloat16Table(): Float32Array {
  if (!float16Table) {
    float16Table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) float16Table[i] = float16ToFloat32(i);
  }
  return float16Table;
}

/** A view of `bytes` as `T` when alignment and byte order allow, else null (caller copies). */
function alignedView<T>(
  bytes: Uint8Array,
  align: number,
  make: (buffer: ArrayBuffer, offset: number, length: number) => T,
): T | null {
  if (!LITTLE_ENDIAN_HOST || bytes.byteOffset % align !== 0) return null;
  return make(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / align);
}

function dataView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Converts raw little-endian tensor bytes to float32. A float32 input that is aligned is viewed, not copied. */
export function bytesToFloat32(bytes: Uint8Array, dtype: DType): Float32Array {
  const n = bytes.byteLength / itemSize(dtype);
  switch (dtype) {
    case 'float32': {
      const view = alignedView(bytes, 4, (b, o, l) => new Float32Array(b, o, l));
      if (view) return view;
      const out = new Float32Array(n);
      const dv = dataView(bytes);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
      return out;
    }
    case 'float64': {
      const out = new Float32Array(n);
      const dv = dataView(bytes);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(i * 8, true);
      return out;
    }
    case 'float16':
    case 'bfloat16': {
      const out = new Float32Array(n);
      const dv = dataView(bytes);
      if (dtype === 'float16') {
        const table = getFloat16Table();
        for (let i = 0; i < n; i++) out[i] = table[dv.getUint16(i * 2, true)] as number;
      } else {
        const bits = new Uint32Array(out.buffer);
        for (let i = 0; i < n; i++) bits[i] = dv.getUint16(i * 2, true) << 16;
      }
      return out;
    }
    case 'int64': {
      const ints = bytesToInt(bytes, dtype) as BigInt64Array;
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = Number(ints[i]);
      return out;
    }
    default:
      return Float32Array.from(bytesToInt(bytes, dtype) as Int32Array);
  }
}

/** Converts raw little-endian integer tensor bytes: int64 → BigInt64Array, narrower ints and bool → Int32Array. */
export function bytesToInt(bytes: Uint8Array, dtype: DType): BigInt64Array | Int32Array {
  const n = bytes.byteLength / itemSize(dtype);
  const dv = dataView(bytes);
  switch (dtype) {
    case 'int64': {
      const view = alignedView(bytes, 8, (b, o, l) => new BigInt64Array(b, o, l));
      if (view) return view;
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getBigInt64(i * 8, true);
      return out;
    }
    case 'int32': {
      const view = alignedView(bytes, 4, (b, o, l) => new Int32Array(b, o, l));
      if (view) return view;
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(i * 4, true);
      return out;
    }
    case 'int16': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt16(i * 2, true);
      return out;
    }
    case 'int8': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt8(i);
      return out;
    }
    case 'uint8':
    case 'bool':
      return Int32Array.from(bytes);
    default:
      throw new VarError('E_UNSUPPORTED_DTYPE', `Cannot read a ${dtype} tensor as integers`, { dtype });
  }
}
