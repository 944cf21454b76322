// FileByteSource reads the same bytes as MemoryByteSource and reports bad reads as E_IO.

import { describe, expect, it } from 'vitest';
import { MemoryByteSource } from '../core/io/byte-source';
import { openCheckpoint } from '../core/pth/checkpoint';
import { fixturePath, readFixtureBytes } from '../testing/fixtures';
import { FileByteSource } from './file-byte-source';

const RANGES: [number, number][] = [
  [0, 0],
  [0, 64],
  [5194, 512],
  [1_000_003, 65_537],
  [7_371_227 - 22, 22],
];

describe('FileByteSource', () => {
  it('reads the same ranges as MemoryByteSource', async () => {
    const memory = new MemoryByteSource(await readFixtureBytes('tiny_var.pth'));
    const file = await FileByteSource.open(fixturePath('tiny_var.pth'));
    try {
      expect(file.size).toBe(memory.size);
      expect(file.name).toBe('tiny_var.pth');
      for (const [offset, length] of RANGES)
        expect(await file.read(offset, length)).toEqual(await memory.read(offset, length));
    } finally {
      await file.close();
    }
  });

  it('rejects out-of-range reads with E_IO', async () => {
    const file = await FileByteSource.open(fixturePath('tiny_var.pth'));
    try {
      await expect(file.read(file.size - 10, 11)).rejects.toMatchObject({
        code: 'E_IO',
        message: expect.stringContaining('tiny_var.pth'),
      });
      await expect(file.read(-1, 4)).rejects.toMatchObject({ code: 'E_IO' });
      await expect(file.read(0.5, 4)).rejects.toMatchObject({ code: 'E_IO' });
    } finally {
      await file.close();
    }
  });

  it('reports a missing file as E_IO', async () => {
    await expect(FileByteSource.open(fixturePath('no-such-file.pth'))).rejects.toMatchObject({
      code: 'E_IO',
      message: expect.stringContaining('no-such-file.pth'),
    });
  });

  it('opens a checkpoint like MemoryByteSource does', async () => {
    const file = await FileByteSource.open(fixturePath('tiny_vae.pth'));
    try {
      const fromFile = await openCheckpoint(file);
      const fromMemory = await openCheckpoint(
        new MemoryByteSource(await readFixtureBytes('tiny_vae.pth'), 'tiny_vae.pth'),
      );
      const name = 'decoder.up.4.attn.2.qkv.weight';
      expect(await fromFile.tensors.get(name)?.readFloat32()).toEqual(
        await fromMemory.tensors.get(name)?.readFloat32(),
      );
    } finally {
      await file.close();
    }
  });
});
