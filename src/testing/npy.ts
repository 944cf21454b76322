// Reads NumPy .npy files (v1.0/2.0/3.0, little-endian, C order) from bytes: golden fixtures and small data tables.

import { VarError } from '../shared/errors';

export type NpyDType = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8';

interface NpyArrayOf<D extends NpyDType, A> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: A;
}

export type NpyArray =
  | NpyArrayOf<'float32', Float32Array>
  | NpyArrayOf<'float64', Float64Array>
  | NpyArrayOf<'int32', Int32Array>
  | NpyArrayOf<'int64', BigInt64Array>
  | NpyArrayOf<'uint8', Uint8Array>;

// '<' little-endian, '|' not applicable (1 byte); '=' native is little-endian on every platform we run on.
const DESCRS: Readonly<Record<string, { dtype: NpyDType; itemSize: number }>> = {
  '<f4': { dtype: 'float32', itemSize: 4 },
  '<f8': { dtype: 'float64', itemSize: 8 },
  '<i4': { dtype: 'int32', itemSize: 4 },
  '<i8': { dtype: 'int64', itemSize: 8 },
  '|u1': { dtype: 'uint8', itemSize: 1 },
  '<u1': { dtype: 'uint8', itemSize: 1 },
  '|b1': { dtype: 'uint8', itemSize: 1 },
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parses one .npy file. The returned array views `bytes` when the data is aligned, else it is a copy. */
export function readNpy(bytes: Uint8Array, name = 'npy'): NpyArray {
  if (bytes.byteLength < 10 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new VarError('E_NPY_INVALID', `${name}: not a .npy file (bad magic)`);
  }
  const major = bytes[6] as number;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.byteLength < 12) throw new VarError('E_NPY_INVALID', `${name}: truncated header`);
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new VarError('E_NPY_INVALID', `${name}: unsupported .npy version ${major}.${bytes[7]}`);
  }
  // numpy writes headers of a few hundred bytes; a huge length means a corrupt file (and would blow the decoder below).
  if (headerLength > 1 << 20) throw new VarError('E_NPY_INVALID', `${name}: header of ${headerLength} bytes`);
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.byteLength) throw new VarError('E_NPY_INVALID', `${name}: truncated header`);
  // v1/v2 headers are latin-1, v3 UTF-8; the keys and values we read are ASCII either way (and core has no TextDecoder).
  const header = String.fromCharCode(...bytes.subarray(headerStart, dataStart));

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new VarError('E_NPY_INVALID', `${name}: cannot parse header ${JSON.stringify(header)}`);
  }
  if (fortran === 'True') throw new VarError('E_NPY_INVALID', `${name}: Fortran-order arrays are not supported`);
  if (descr.startsWith('>')) throw new VarError('E_BIG_ENDIAN', `${name}: big-endian dtype ${descr}`);
  const type = DESCRS[descr];
  if (type === undefined) throw new VarError('E_UNSUPPORTED_DTYPE', `${name}: unsupported dtype ${descr}`);

  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const n = Number(s.replace(/L$/, ''));
      if (!Number.isSafeInteger(n) || n < 0) throw new VarError('E_NPY_INVALID', `${name}: bad shape (${shapeText})`);
      return n;
    });
  const numel = shape.reduce((a, b) => a * b, 1);
  const byteLength = numel * type.itemSize;
  if (dataStart + byteLength > bytes.byteLength) {
    throw new VarError('E_NPY_INVALID', `${name}: data truncated: need ${byteLength} bytes after the header`, {
      numel,
      available: bytes.byteLength - dataStart,
    });
  }

  const offset = bytes.byteOffset + dataStart;
  // Typed arrays need element-aligned offsets; copy when the header leaves the data misaligned.
  const buffer = offset % type.itemSize === 0 ? bytes.buffer : bytes.slice(dataStart, dataStart + byteLength).buffer;
  const start = offset % type.itemSize === 0 ? offset : 0;
  switch (type.dtype) {
    case 'float32':
      return { dtype: 'float32', shape, data: new Float32Array(buffer, start, numel) };
    case 'float64':
      return { dtype: 'float64', shape, data: new Float64Array(buffer, start, numel) };
    case 'int32':
      return { dtype: 'int32', shape, data: new Int32Array(buffer, start, numel) };
    case 'int64':
      return { dtype: 'int64', shape, data: new BigInt64Array(buffer, start, numel) };
    case 'uint8':
      return { dtype: 'uint8', shape, data: new Uint8Array(buffer, start, numel) };
  }
}

/** Reads a .npy file and requires a dtype (a narrowed return type for callers that know what they load). */
export function readNpyAs<D extends NpyDType>(
  bytes: Uint8Array,
  dtype: D,
  name = 'npy',
): Extract<NpyArray, { dtype: D }> {
  const array = readNpy(bytes, name);
  if (array.dtype !== dtype) {
    throw new VarError('E_UNSUPPORTED_DTYPE', `${name}: expected ${dtype}, found ${array.dtype}`);
  }
  return array as Extract<NpyArray, { dtype: D }>;
}
