import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { StoredPackSource } from '../../../src/shared/store-import';
import { freshStore, sameBytes, testFile, unlimitedQuota } from '../../../src/testing/store/store-fixtures';
import { importFile } from './import-file';
import { readVerifiedFile } from './read-verified';

const CHUNK = 64 * 1024; // freshStore's chunk size
const file = testFile('weights.bin', 5 * CHUNK + 777);

/** A source holding `bytes` in chunks of `chunkBytes`, counting what it was asked for; `damage` edits a chunk. */
function memorySource(
  bytes: Uint8Array,
  chunkBytes: number,
  options: { missing?: number; damage?: number } = {},
): StoredPackSource & { asked: number[] } {
  const asked: number[] = [];
  return {
    asked,
    fileInfo: async (sha256) => (sha256 === file.entry.sha256 ? { bytes: bytes.byteLength, chunkBytes } : undefined),
    chunk: async (sha256, index) => {
      asked.push(index);
      if (sha256 !== file.entry.sha256 || index === options.missing) return undefined;
      const chunk = bytes.slice(index * chunkBytes, (index + 1) * chunkBytes);
      if (index === options.damage) chunk[0] = (chunk[0] ?? 0) ^ 0xff;
      return chunk.buffer;
    },
  };
}

describe('importFile', () => {
  for (const sourceChunk of [CHUNK, 3 * CHUNK, CHUNK / 4]) {
    it(`copies a file written in chunks of ${sourceChunk} bytes and verifies it`, async () => {
      const store = freshStore();
      const source = memorySource(file.bytes, sourceChunk);
      const result = await importFile({ store, estimate: unlimitedQuota }, file.entry, source);
      expect(result).toEqual({ outcome: 'complete', copiedBytes: file.entry.bytes });
      expect(await store.getFile(file.entry.sha256)).toMatchObject({ bytes: file.entry.bytes, chunkBytes: CHUNK });
      expect(sameBytes(await readVerifiedFile(store, file.entry), file.bytes)).toBe(true);
    });
  }

  it('a file already complete is not read from the source again', async () => {
    const store = freshStore();
    await importFile({ store, estimate: unlimitedQuota }, file.entry, memorySource(file.bytes, CHUNK));
    const again = memorySource(file.bytes, CHUNK);
    expect(await importFile({ store, estimate: unlimitedQuota }, file.entry, again)).toEqual({
      outcome: 'complete',
      copiedBytes: 0,
    });
    expect(again.asked).toEqual([]);
  });

  it('damaged bytes in the source are never marked complete, and nothing of them is kept', async () => {
    const store = freshStore();
    const result = await importFile(
      { store, estimate: unlimitedQuota },
      file.entry,
      memorySource(file.bytes, CHUNK, { damage: 2 }),
    );
    expect(result.outcome).toBe('corrupt');
    expect(await store.getFile(file.entry.sha256)).toBeUndefined();
    expect(await store.chunkIndices(file.entry.sha256)).toEqual([]);
  });

  it('a chunk missing in the source stops the copy; what was copied resumes the next time', async () => {
    const store = freshStore();
    const ctx = { store, estimate: unlimitedQuota };
    const first = await importFile(ctx, file.entry, memorySource(file.bytes, CHUNK, { missing: 3 }));
    expect(first).toEqual({ outcome: 'missing', copiedBytes: 3 * CHUNK });
    expect(await store.getFile(file.entry.sha256)).toBeUndefined();
    expect(await store.chunkIndices(file.entry.sha256)).toEqual([0, 1, 2]);
    const second = memorySource(file.bytes, CHUNK);
    expect(await importFile(ctx, file.entry, second)).toEqual({
      outcome: 'complete',
      copiedBytes: file.entry.bytes - 3 * CHUNK,
    });
    expect(second.asked).toEqual([3, 4, 5]);
    expect(sameBytes(await readVerifiedFile(store, file.entry), file.bytes)).toBe(true);
  });

  it('a source file of another size, or with an impossible chunk size, is treated as missing', async () => {
    const store = freshStore();
    const ctx = { store, estimate: unlimitedQuota };
    const shorter = { ...memorySource(file.bytes, CHUNK), fileInfo: async () => ({ bytes: 10, chunkBytes: CHUNK }) };
    expect((await importFile(ctx, file.entry, shorter)).outcome).toBe('missing');
    const odd = {
      ...memorySource(file.bytes, CHUNK),
      fileInfo: async () => ({ bytes: file.entry.bytes, chunkBytes: 100 }),
    };
    expect((await importFile(ctx, file.entry, odd)).outcome).toBe('missing');
    expect(await store.chunkIndices(file.entry.sha256)).toEqual([]);
  });

  it('refuses a copy that does not fit (E_QUOTA) before writing anything', async () => {
    const store = freshStore();
    const tight = async () => ({ usage: 0, quota: 1000 });
    await expect(
      importFile({ store, estimate: tight }, file.entry, memorySource(file.bytes, CHUNK)),
    ).rejects.toMatchObject({
      code: 'E_QUOTA',
    });
    expect(await store.chunkIndices(file.entry.sha256)).toEqual([]);
  });
});
