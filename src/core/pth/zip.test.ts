// ZIP reader against the torch-layout writer: ZIP64 variants, comments, compressed, damaged and cut archives.

import { describe, expect, it } from 'vitest';
import { collectChunks, writeStoredZip, type Zip64Mode } from '../../testing/writers/zip-writer';
import { MemoryByteSource } from '../io/byte-source';
import { readStoredEntry, readZipDirectory, storedRange, type ZipDirectory, type ZipEntry } from './zip';

const records = [
  { name: 'root/data.pkl', data: Uint8Array.from({ length: 100 }, (_, i) => i) },
  { name: 'root/data/0', data: () => Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff) },
  { name: 'root/empty', data: new Uint8Array(0) },
  { name: 'root/ünï', data: Uint8Array.of(1, 2, 3) },
];

async function zipBytes(zip64: Zip64Mode = 'auto'): Promise<Uint8Array> {
  return collectChunks(writeStoredZip(records, { zip64 }));
}

/** Offset of the central directory, from the classic EOCD at the end (valid for 'auto' archives). */
function cdOffset(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(bytes.length - 22 + 16, true);
}

function entryOf(dir: ZipDirectory, name: string): ZipEntry {
  const entry = dir.byName.get(name);
  if (!entry) throw new Error(`no entry ${name}`);
  return entry;
}

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected a rejection');
}

describe('zip reader', () => {
  for (const mode of ['auto', 'all', 'offsets'] as const) {
    it(`reads entries, sizes, CRCs and 64-byte aligned data (ZIP64 extra fields: ${mode})`, async () => {
      const bytes = await zipBytes(mode);
      const source = new MemoryByteSource(bytes, 'a.zip');
      const dir = await readZipDirectory(source);
      expect(dir.zip64).toBe(true); // torch (and our writer) always add the ZIP64 end records
      expect(dir.entries.map((e) => e.name)).toEqual(['root/data.pkl', 'root/data/0', 'root/empty', 'root/ünï']);
      expect(dir.entries.map((e) => e.uncompressedSize)).toEqual([100, 1000, 0, 3]);
      for (const entry of dir.entries) {
        const range = await storedRange(source, entry);
        expect(range.offset % 64).toBe(0);
        expect(entry.method).toBe(0);
        expect(entry.flags).toBe(0x0808);
      }
      const second = records[1]?.data as () => Uint8Array;
      expect(await readStoredEntry(source, entryOf(dir, 'root/data/0'))).toEqual(second());
      expect(await readStoredEntry(source, entryOf(dir, 'root/ünï'))).toEqual(Uint8Array.of(1, 2, 3));
    });
  }

  it('finds the end record behind an archive comment', async () => {
    const bytes = await zipBytes();
    const comment = Uint8Array.from('a comment with PK\x05\x06 inside', (c) => c.charCodeAt(0));
    const withComment = new Uint8Array(bytes.length + comment.length);
    withComment.set(bytes);
    withComment.set(comment, bytes.length);
    new DataView(withComment.buffer).setUint16(bytes.length - 2, comment.length, true);
    const dir = await readZipDirectory(new MemoryByteSource(withComment, 'c.zip'));
    expect(dir.entries).toHaveLength(4);
  });

  it('rejects compressed entries naming the entry', async () => {
    const bytes = (await zipBytes()).slice();
    const dv = new DataView(bytes.buffer);
    dv.setUint16(cdOffset(bytes) + 10, 8, true); // first central entry: method DEFLATE
    const source = new MemoryByteSource(bytes, 'deflated.zip');
    const dir = await readZipDirectory(source);
    const error = await rejection(storedRange(source, entryOf(dir, 'root/data.pkl')));
    expect(error.code).toBe('E_ZIP_UNSUPPORTED');
    expect(error.message).toContain('root/data.pkl');
    expect(error.message).toContain('DEFLATE');
  });

  it('reports a damaged local header as E_ZIP_CORRUPT', async () => {
    const bytes = (await zipBytes()).slice();
    bytes[0] = 0x51;
    const source = new MemoryByteSource(bytes, 'd.zip');
    const dir = await readZipDirectory(source);
    expect((await rejection(storedRange(source, entryOf(dir, 'root/data.pkl')))).code).toBe('E_ZIP_CORRUPT');
  });

  it('reports a directory pointing past the end of the file as truncated', async () => {
    const bytes = (await zipBytes()).slice();
    // ZIP64 end record: the central-directory offset at +48 (record starts 56 + 20 + 22 bytes from the end).
    new DataView(bytes.buffer).setUint32(bytes.length - 98 + 48, bytes.length + 10, true);
    const error = await rejection(readZipDirectory(new MemoryByteSource(bytes, 'p.zip')));
    expect(error.code).toBe('E_CHECKPOINT_TRUNCATED');
    expect(error.message).toContain(`the file has ${bytes.length} bytes`);
  });

  it('reports a missing end record as truncated, with the file size', async () => {
    const bytes = await zipBytes();
    const cut = bytes.subarray(0, bytes.length - 1);
    const error = await rejection(readZipDirectory(new MemoryByteSource(cut, 'cut.zip')));
    expect(error.code).toBe('E_CHECKPOINT_TRUNCATED');
    expect(error.message).toContain('cut.zip');
    expect(error.message).toContain(`${cut.length} bytes`);
  });
});
