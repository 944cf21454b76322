// Checkpoint reading: tiny fixtures against their checksums, hand-made torch 1.13 / 2.x layouts, bounded reads.

import { describe, expect, it } from 'vitest';
import { openFixture, readFixtureBytes, readFixtureJson } from '../../testing/fixtures';
import { type PthTensorEntry, type PthWriterOptions, writePthToBytes } from '../../testing/writers/pth-writer';
import { type ByteSource, MemoryByteSource } from '../io/byte-source';
import { openCheckpoint } from './checkpoint';
import type { Checkpoint, TensorRef } from './types';

interface TensorStats {
  dtype: string;
  shape: number[];
  sum: number;
  abs_sum: number;
  first: number[];
}

async function valuesOf(t: TensorRef): Promise<number[]> {
  return t.dtype === 'int64' ? Array.from(await t.readInt(), Number) : Array.from(await t.readFloat32());
}

function expectClose(actual: number, expected: number, what: string): void {
  if (!Number.isFinite(expected)) {
    expect(actual, what).toBe(expected);
    return;
  }
  expect(Math.abs(actual - expected), what).toBeLessThanOrEqual(1e-9 * Math.abs(expected));
}

describe('tiny fixture checkpoints (torch 1.13)', () => {
  for (const stem of ['tiny_var', 'tiny_vae']) {
    it(`${stem}.pth: every tensor matches ${stem}.tensors.json (dtype, shape, sum, abs_sum, first values)`, async () => {
      const ckpt = await openFixture(`${stem}.pth`);
      const expected = await readFixtureJson<Record<string, TensorStats>>(`${stem}.tensors.json`);
      expect(ckpt.archiveRoot).toBe(stem);
      expect(ckpt.name).toBe(`${stem}.pth`);
      expect([...ckpt.tensors.keys()]).toEqual(Object.keys(expected));
      for (const [name, t] of ckpt.tensors) {
        const e = expected[name] as TensorStats;
        expect(t.dtype, name).toBe(e.dtype);
        expect(t.shape, name).toEqual(e.shape);
        expect(t.numel, name).toBe(e.shape.reduce((a, b) => a * b, 1));
        const values = await valuesOf(t);
        expect(values.length, name).toBe(t.numel);
        let sum = 0;
        let absSum = 0;
        for (const v of values) {
          sum += v;
          absSum += Math.abs(v);
        }
        expectClose(sum, e.sum, `${name} sum`);
        expectClose(absSum, e.abs_sum, `${name} abs_sum`);
        expect(values.slice(0, 4), name).toEqual(e.first);
        expect((await t.readBytes()).length, name).toBe(t.numel * (t.dtype === 'int64' ? 8 : 4));
      }
    });
  }

  it('reads lvl_1L as int64 scale ids', async () => {
    const lvl = (await openFixture('tiny_var.pth')).tensors.get('lvl_1L') as TensorRef;
    const ids = await lvl.readInt();
    expect(ids).toBeInstanceOf(BigInt64Array);
    expect(ids.length).toBe(680);
    expect([...ids.slice(0, 6)]).toEqual([0n, 1n, 1n, 1n, 1n, 2n]);
    expect(ids[679]).toBe(9n);
  });

  it('keeps -Infinity of attn_bias_for_masking', async () => {
    const mask = await (
      (await openFixture('tiny_var.pth')).tensors.get('attn_bias_for_masking') as TensorRef
    ).readFloat32();
    expect(mask[0]).toBe(0);
    expect(mask[1]).toBe(Number.NEGATIVE_INFINITY);
    expect(mask[680 * 680 - 1]).toBe(0);
  });

  it('opens by reading only metadata, and a tensor by reading only its own bytes', async () => {
    const bytes = await readFixtureBytes('tiny_var.pth');
    const reads: [number, number][] = [];
    const source: ByteSource = {
      size: bytes.length,
      name: 'spy.pth',
      read: async (offset, length) => {
        reads.push([offset, length]);
        return bytes.subarray(offset, offset + length);
      },
    };
    const ckpt = await openCheckpoint(source);
    expect(Math.max(...reads.map(([, n]) => n))).toBeLessThanOrEqual(65557);
    expect(reads.reduce((a, [, n]) => a + n, 0)).toBeLessThan(100_000); // of 7.4 MB
    reads.length = 0;
    await (ckpt.tensors.get('head.weight') as TensorRef).readFloat32();
    expect(reads).toEqual([[expect.any(Number), 4096 * 128 * 4]]);
  });
});

const f32 = (v: number[]): Uint8Array => new Uint8Array(new Float32Array(v).buffer);
const u16 = (v: number[]): Uint8Array => new Uint8Array(new Uint16Array(v).buffer);

/** One of each dtype, views with storage offsets and strides, a shared storage, a GPU location and a Parameter. */
const HAND_MADE: PthTensorEntry[] = [
  { name: 'w', dtype: 'float32', shape: [2, 3], data: f32([1, 2, 3, 4, 5, 6]) },
  { name: 'w_t', dtype: 'float32', shape: [3, 2], stride: [1, 3], shareStorageWith: 'w' },
  { name: 'w_row1', dtype: 'float32', shape: [3], storageOffset: 3, shareStorageWith: 'w' },
  { name: 'w_col2', dtype: 'float32', shape: [2, 1], stride: [3, 1], storageOffset: 2, shareStorageWith: 'w' },
  {
    name: 'window',
    dtype: 'float32',
    shape: [2, 2],
    stride: [4, 2],
    storageOffset: 1,
    data: f32([0, 10, 11, 12, 13, 14, 15, 16, 17, 18]),
  },
  { name: 'half', dtype: 'float16', shape: [5], data: u16([0x3c00, 0xc000, 0x7bff, 0x0001, 0xfc00]) },
  { name: 'bf16', dtype: 'bfloat16', shape: [2, 2], data: u16([0x3f80, 0xc040, 0x4049, 0x0000]) },
  { name: 'ids', dtype: 'int64', shape: [3], data: new Uint8Array(new BigInt64Array([-1n, 0n, 2n ** 62n]).buffer) },
  { name: 'i32', dtype: 'int32', shape: [2], data: new Uint8Array(new Int32Array([-7, 2 ** 30]).buffer) },
  { name: 'scalar', dtype: 'float64', shape: [], data: new Uint8Array(new Float64Array([0.25]).buffer) },
  { name: 'mask', dtype: 'bool', shape: [3], data: Uint8Array.of(1, 0, 1) },
  { name: 'empty', dtype: 'float32', shape: [0, 4], data: new Uint8Array(0) },
  { name: 'gpu', dtype: 'float32', shape: [2], data: () => f32([7, 8]), location: 'cuda:0' },
  { name: 'param', dtype: 'float32', shape: [1], data: f32([9]), parameter: true },
];

async function expectHandMadeValues(ckpt: Checkpoint): Promise<void> {
  const get = (name: string): TensorRef => ckpt.tensors.get(name) as TensorRef;
  expect([...ckpt.tensors.keys()]).toEqual(HAND_MADE.map((e) => e.name));
  expect([...(await get('w').readFloat32())]).toEqual([1, 2, 3, 4, 5, 6]);
  expect([...(await get('w_t').readFloat32())]).toEqual([1, 4, 2, 5, 3, 6]);
  expect([...(await get('w_row1').readFloat32())]).toEqual([4, 5, 6]);
  expect([...(await get('w_col2').readFloat32())]).toEqual([3, 6]);
  expect([...(await get('window').readFloat32())]).toEqual([10, 12, 14, 16]);
  expect([...(await get('half').readFloat32())]).toEqual([1, -2, 65504, 2 ** -24, Number.NEGATIVE_INFINITY]);
  expect([...(await get('bf16').readFloat32())]).toEqual([1, -3, 3.140625, 0]);
  expect([...(await get('ids').readInt())]).toEqual([-1n, 0n, 2n ** 62n]);
  expect([...(await get('i32').readInt())]).toEqual([-7, 2 ** 30]);
  expect(get('scalar').shape).toEqual([]);
  expect(get('scalar').numel).toBe(1);
  expect([...(await get('scalar').readFloat32())]).toEqual([0.25]);
  expect([...(await get('mask').readInt())]).toEqual([1, 0, 1]);
  expect(get('empty').numel).toBe(0);
  expect((await get('empty').readFloat32()).length).toBe(0);
  expect([...(await get('gpu').readFloat32())]).toEqual([7, 8]);
  expect([...(await get('param').readFloat32())]).toEqual([9]);
  expect(get('half').dtype).toBe('float16');
  expect([...(await get('half').readBytes())]).toEqual([...u16([0x3c00, 0xc000, 0x7bff, 0x0001, 0xfc00])]);
  const gathered = await get('w_t').readBytes();
  expect(gathered.byteOffset).toBe(0);
  expect(gathered.buffer.byteLength).toBe(gathered.length); // owned, transferable
  await expect(get('w').readInt()).rejects.toMatchObject({ code: 'E_UNSUPPORTED_DTYPE' });
}

describe('hand-made checkpoints', () => {
  const layouts: [string, PthWriterOptions, string][] = [
    ['torch 2.x (archive/, plain dict, 7-arg rebuild, byteorder)', { flavour: 'torch-2', plainDict: true }, 'archive'],
    ['torch 2.x with OrderedDict', { flavour: 'torch-2', root: 'archive' }, 'archive'],
    ['torch 1.13 (OrderedDict + _metadata, 6-arg rebuild)', { flavour: 'torch-1.13', root: 'my_model' }, 'my_model'],
    ['forced ZIP64 extra fields for sizes and offsets', { zip64: 'all' }, 'archive'],
    ['forced ZIP64 extra fields for offsets only', { flavour: 'torch-1.13', root: 'z', zip64: 'offsets' }, 'z'],
  ];
  for (const [what, options, root] of layouts) {
    it(`parses ${what} with exact values`, async () => {
      const bytes = await writePthToBytes(HAND_MADE, options);
      const ckpt = await openCheckpoint(new MemoryByteSource(bytes, 'hand.pth'));
      expect(ckpt.archiveRoot).toBe(root);
      await expectHandMadeValues(ckpt);
    });
  }

  it('rejects a big-endian byteorder record', async () => {
    const bytes = await writePthToBytes(HAND_MADE, { flavour: 'torch-2', byteOrder: 'big' });
    await expect(openCheckpoint(new MemoryByteSource(bytes, 'be.pth'))).rejects.toMatchObject({
      code: 'E_BIG_ENDIAN',
      message: expect.stringContaining('be.pth'),
    });
  });
});
