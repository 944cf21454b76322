// BlobByteSource (Node 20 has Blob/File) reads the same bytes as MemoryByteSource and reports bad reads as E_IO.

import { describe, expect, it } from 'vitest';
import { MemoryByteSource } from '../core/io/byte-source';
import { openCheckpoint } from '../core/pth/checkpoint';
import { readFixtureBytes } from '../testing/fixtures';
import { BlobByteSource } from './blob-byte-source';

describe('BlobByteSource', () => {
  it('reads the same ranges as MemoryByteSource, and takes a File name', async () => {
    const bytes = await readFixtureBytes('tiny_var.pth');
    const memory = new MemoryByteSource(bytes);
    const blob = new BlobByteSource(new File([bytes], 'tiny_var.pth'));
    expect(blob.name).toBe('tiny_var.pth');
    expect(blob.size).toBe(bytes.length);
    for (const [offset, length] of [
      [0, 0],
      [0, 64],
      [5194, 512],
      [1_000_003, 65_537],
      [bytes.length - 22, 22],
    ] as const) {
      expect(await blob.read(offset, length)).toEqual(await memory.read(offset, length));
    }
  });

  it('names a plain Blob "blob" unless told otherwise', () => {
    expect(new BlobByteSource(new Blob([Uint8Array.of(1)])).name).toBe('blob');
    expect(new BlobByteSource(new Blob([Uint8Array.of(1)]), 'x.pth').name).toBe('x.pth');
  });

  it('rejects out-of-range reads with E_IO', async () => {
    const blob = new BlobByteSource(new Blob([new Uint8Array(10)]), 'ten.bin');
    await expect(blob.read(5, 6)).rejects.toMatchObject({ code: 'E_IO', message: expect.stringContaining('ten.bin') });
    await expect(blob.read(-1, 1)).rejects.toMatchObject({ code: 'E_IO' });
  });

  it('opens a checkpoint', async () => {
    const ckpt = await openCheckpoint(
      new BlobByteSource(new Blob([await readFixtureBytes('tiny_var.pth')]), 'tiny_var.pth'),
    );
    expect([...((await ckpt.tensors.get('lvl_1L')?.readInt()) ?? [])].slice(0, 2)).toEqual([0n, 1n]);
  });
});
