import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '../shared/errors';
import { readNpy, readNpyAs } from './npy';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/${name}`, import.meta.url)));

/** Builds a .npy file the way numpy writes one (header padded so the data starts at a multiple of 64). */
function makeNpy(descr: string, shape: number[], data: Uint8Array, major = 1, pad = 64): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const prefix = major === 1 ? 10 : 12;
  const total = Math.ceil((prefix + header.length + 1) / pad) * pad;
  header = `${header.padEnd(total - prefix - 1, ' ')}\n`;
  const out = new Uint8Array(total + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), prefix);
  out.set(data, total);
  return out;
}

describe('readNpy', () => {
  it('reads the golden fixtures (f4, f8, i4, u1)', () => {
    const fhat = readNpyAs(fixture('c_fhat.npy'), 'float32');
    expect(fhat.shape).toEqual([10, 1, 32, 16, 16]);
    expect(fhat.data.length).toBe(10 * 32 * 256);
    const ids = readNpyAs(fixture('c_ids.npy'), 'int32');
    expect(ids.shape).toEqual([1, 680]);
    expect(Math.min(...ids.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...ids.data)).toBeLessThan(4096);
    const bicubic = readNpyAs(fixture('interp/bicubic_1to16.npy'), 'float64');
    expect(bicubic.shape).toEqual([16, 1]);
    expect([...bicubic.data]).toEqual(new Array(16).fill(1));
    const keep = readNpyAs(fixture('e_keep_k1_p00.npy'), 'uint8');
    expect(keep.shape).toEqual([1, 8, 4096]);
    // top-k 1: exactly one survivor per row (no ties in random logits).
    expect(keep.data.reduce((a, b) => a + b, 0)).toBe(8);
  });

  it('reads v1.0 and v2.0 headers, i8, scalars and 16-byte padding (copying misaligned data)', () => {
    const values = BigInt64Array.of(-3n, 2n ** 40n, 7n);
    const v2 = readNpy(makeNpy('<i8', [3], new Uint8Array(values.buffer), 2));
    expect(v2.dtype).toBe('int64');
    expect([...(v2.data as BigInt64Array)]).toEqual([-3n, 2n ** 40n, 7n]);
    const scalar = readNpy(makeNpy('<f8', [], new Uint8Array(Float64Array.of(2.5).buffer)));
    expect(scalar.shape).toEqual([]);
    expect([...(scalar.data as Float64Array)]).toEqual([2.5]);
    // Header padded to 16 and the file placed at an odd offset: the data is not 4-byte aligned.
    const file = makeNpy('<f4', [2, 2], new Uint8Array(Float32Array.of(1, 2, 3, 4).buffer), 1, 16);
    const shifted = new Uint8Array(file.byteLength + 1).subarray(1);
    shifted.set(file);
    const m = readNpy(shifted);
    expect(m.shape).toEqual([2, 2]);
    expect([...(m.data as Float32Array)]).toEqual([1, 2, 3, 4]);
  });

  it('rejects bad files with stable codes', () => {
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return ['E_NPY_INVALID', 'E_BIG_ENDIAN', 'E_UNSUPPORTED_DTYPE'].find((c) => hasErrorCode(error, c as never));
      }
      return 'no error';
    };
    expect(codeOf(() => readNpy(new Uint8Array(16)))).toBe('E_NPY_INVALID');
    expect(codeOf(() => readNpy(makeNpy('>f4', [1], new Uint8Array(4))))).toBe('E_BIG_ENDIAN');
    expect(codeOf(() => readNpy(makeNpy('<c8', [1], new Uint8Array(8))))).toBe('E_UNSUPPORTED_DTYPE');
    expect(codeOf(() => readNpy(makeNpy('<f4', [4], new Uint8Array(8))))).toBe('E_NPY_INVALID');
    expect(codeOf(() => readNpyAs(makeNpy('<f4', [1], new Uint8Array(4)), 'int32'))).toBe('E_UNSUPPORTED_DTYPE');
  });
});
