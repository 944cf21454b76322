// Browser ByteSource over a Blob or File: each read slices just the requested range (no 1–2 GB ArrayBuffer).

import { type ByteSource, checkRange, readFailed } from '../core/io/byte-source';
import { VarError } from '../shared/errors';

export class BlobByteSource implements ByteSource {
  readonly size: number;
  readonly name: string;

  /** `name` defaults to the File's name, or "blob". */
  constructor(
    private readonly blob: Blob,
    name?: string,
  ) {
    this.size = blob.size;
    this.name = name ?? ('name' in blob && typeof blob.name === 'string' && blob.name ? blob.name : 'blob');
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    let buffer: ArrayBuffer;
    try {
      buffer = await this.blob.slice(offset, offset + length).arrayBuffer();
    } catch (error) {
      // A File whose underlying disk file changed since it was picked fails here (NotReadableError).
      throw readFailed(this, offset, length, error);
    }
    if (buffer.byteLength !== length) {
      throw new VarError('E_IO', `Short read from ${this.name}: ${buffer.byteLength} of ${length} bytes at ${offset}`);
    }
    return new Uint8Array(buffer);
  }
}
