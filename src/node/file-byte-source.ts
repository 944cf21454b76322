// Node ByteSource over a file handle: positioned reads of the requested range only, never the whole file.

import { type FileHandle, open } from 'node:fs/promises';
import { basename } from 'node:path';
import { type ByteSource, checkRange, readFailed } from '../core/io/byte-source';
import { VarError } from '../shared/errors';

/** fs reads are limited to 2 GiB - 1 per call; larger ranges are read in pieces. */
const MAX_READ = 1 << 30;

export class FileByteSource implements ByteSource {
  private constructor(
    private readonly handle: FileHandle,
    readonly size: number,
    readonly name: string,
    readonly path: string,
  ) {}

  static async open(path: string): Promise<FileByteSource> {
    let handle: FileHandle | undefined;
    try {
      handle = await open(path, 'r');
      const stat = await handle.stat();
      if (!stat.isFile()) throw new Error('not a regular file');
      return new FileByteSource(handle, stat.size, basename(path), path);
    } catch (error) {
      await handle?.close();
      throw new VarError('E_IO', `Cannot open ${path}: ${(error as Error).message}`, { path }, { cause: error });
    }
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    const out = new Uint8Array(length);
    let done = 0;
    try {
      while (done < length) {
        const { bytesRead } = await this.handle.read(out, done, Math.min(length - done, MAX_READ), offset + done);
        if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${offset + done}`);
        done += bytesRead;
      }
    } catch (error) {
      throw readFailed(this, offset, length, error);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
