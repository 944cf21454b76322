// Storage-type mapping and exact float16/bfloat16 conversions.

import { describe, expect, it } from 'vitest';
import {
  bfloat16ToFloat32,
  bytesToFloat32,
  bytesToInt,
  dtypeFromStorageType,
  float16ToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  itemSize,
  storageTypeFromDType,
} from './dtype';
import type { DType } from './types';

const u16 = (values: number[]): Uint8Array => new Uint8Array(new Uint16Array(values).buffer);

describe('storage types', () => {
  it('map every torch.<X>Storage to a dtype and back', () => {
    const pairs: [string, DType, number][] = [
      ['FloatStorage', 'float32', 4],
      ['DoubleStorage', 'float64', 8],
      ['HalfStorage', 'float16', 2],
      ['BFloat16Storage', 'bfloat16', 2],
      ['LongStorage', 'int64', 8],
      ['IntStorage', 'int32', 4],
      ['ShortStorage', 'int16', 2],
      ['CharStorage', 'int8', 1],
      ['ByteStorage', 'uint8', 1],
      ['BoolStorage', 'bool', 1],
    ];
    for (const [storage, dtype, size] of pairs) {
      expect(dtypeFromStorageType(storage)).toBe(dtype);
      expect(storageTypeFromDType(dtype)).toBe(storage);
      expect(itemSize(dtype)).toBe(size);
    }
    expect(dtypeFromStorageType('QInt8Storage')).toBeUndefined();
    expect(dtypeFromStorageType('constructor')).toBeUndefined();
  });
});

describe('half-precision conversion', () => {
  it('decodes float16 exactly, including subnormals, infinities and NaN', () => {
    expect(float16ToFloat32(0x3c00)).toBe(1);
    expect(float16ToFloat32(0xc000)).toBe(-2);
    expect(float16ToFloat32(0x7bff)).toBe(65504);
    expect(float16ToFloat32(0x0001)).toBe(2 ** -24);
    expect(float16ToFloat32(0x03ff)).toBe(1023 * 2 ** -24);
    expect(float16ToFloat32(0x7c00)).toBe(Number.POSITIVE_INFINITY);
    expect(float16ToFloat32(0xfc00)).toBe(Number.NEGATIVE_INFINITY);
    expect(float16ToFloat32(0x7e00)).toBeNaN();
    expect(Object.is(float16ToFloat32(0x8000), -0)).toBe(true);
  });

  it('round-trips every float16 bit pattern through float32ToFloat16Bits', () => {
    const wrong: number[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = float16ToFloat32(bits);
      if (!Number.isNaN(value) && float32ToFloat16Bits(value) !== bits) wrong.push(bits);
    }
    expect(wrong).toEqual([]);
  });

  it('rounds to nearest even when encoding float16', () => {
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // halfway, even stays
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway, odd rounds up
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00); // overflow
    expect(float32ToFloat16Bits(2 ** -26)).toBe(0); // below half the smallest subnormal
  });

  it('decodes bfloat16 as the top half of a float32', () => {
    expect(bfloat16ToFloat32(0x3f80)).toBe(1);
    expect(bfloat16ToFloat32(0xc040)).toBe(-3);
    expect(bfloat16ToFloat32(0x7f80)).toBe(Number.POSITIVE_INFINITY);
    expect(float32ToBfloat16Bits(1.00390625)).toBe(0x3f80); // halfway → even
    expect(float32ToBfloat16Bits(-3)).toBe(0xc040);
  });
});

describe('bytesToFloat32 / bytesToInt', () => {
  it('converts every dtype', () => {
    expect([...bytesToFloat32(u16([0x3c00, 0xc000]), 'float16')]).toEqual([1, -2]);
    expect([...bytesToFloat32(u16([0x3f80, 0x4000]), 'bfloat16')]).toEqual([1, 2]);
    expect([...bytesToFloat32(new Uint8Array(new Float64Array([0.5, -4]).buffer), 'float64')]).toEqual([0.5, -4]);
    expect([...bytesToFloat32(new Uint8Array(new BigInt64Array([-3n, 7n]).buffer), 'int64')]).toEqual([-3, 7]);
    expect([...bytesToFloat32(Uint8Array.of(0, 1), 'bool')]).toEqual([0, 1]);
    expect([...bytesToInt(Uint8Array.of(0xff, 0x7f), 'int8')]).toEqual([-1, 127]);
    expect([...bytesToInt(new Uint8Array(new Int16Array([-300, 300]).buffer), 'int16')]).toEqual([-300, 300]);
    expect([...bytesToInt(Uint8Array.of(200, 1), 'uint8')]).toEqual([200, 1]);
  });

  it('reads unaligned float32 and int64 bytes without a typed-array view', () => {
    const backing = new Uint8Array(17);
    backing.set(new Uint8Array(new Float32Array([1.5, -2.25]).buffer), 1);
    expect([...bytesToFloat32(backing.subarray(1, 9), 'float32')]).toEqual([1.5, -2.25]);
    backing.set(new Uint8Array(new BigInt64Array([-(2n ** 60n)]).buffer), 3);
    expect([...bytesToInt(backing.subarray(3, 11), 'int64')]).toEqual([-(2n ** 60n)]);
  });
});
