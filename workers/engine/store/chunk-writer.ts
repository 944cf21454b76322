// Cuts a stream of byte pieces into the store's fixed-size chunks, hashing as the bytes arrive, and commits each full
// chunk with the hasher state after it (so a later run can resume the hash there). Downloads and in-browser
// conversion write files the same way.

import { chunkSize } from './model-store';
import type { Sha256Stream } from './sha256';

export class ChunkWriter {
  private buffer: Uint8Array;
  private filled = 0;

  /**
   * `index`: the first chunk to write (chunks before it are stored and hashed into `hasher`). `commit` stores one
   * full chunk (its bytes may be reused afterwards: the store copies them). `overflow` is the error for bytes past the
   * file's `total`.
   */
  constructor(
    private readonly total: number,
    private readonly chunkBytes: number,
    private index: number,
    private readonly hasher: Sha256Stream,
    private readonly commit: (index: number, bytes: Uint8Array, hashState: Uint8Array) => Promise<void>,
    private readonly overflow: () => Error,
  ) {
    this.buffer = new Uint8Array(chunkSize(total, chunkBytes, index));
  }

  /** Bytes received that do not fill a chunk yet. */
  get pending(): number {
    return this.filled;
  }

  async write(piece: Uint8Array): Promise<void> {
    for (let offset = 0; offset < piece.byteLength; ) {
      const n = Math.min(this.buffer.byteLength - this.filled, piece.byteLength - offset);
      if (n <= 0) throw this.overflow();
      const part = piece.subarray(offset, offset + n);
      this.buffer.set(part, this.filled);
      // Hashed as it arrives, so hashing overlaps the wait for the network (or the converter) instead of following it.
      this.hasher.update(part);
      this.filled += n;
      offset += n;
      if (this.filled === this.buffer.byteLength) {
        await this.commit(this.index, this.buffer, this.hasher.save());
        this.index++;
        this.filled = 0;
        const next = chunkSize(this.total, this.chunkBytes, this.index);
        // The store copied the bytes, so the buffer is reused for every full-size chunk.
        if (next > 0 && next !== this.buffer.byteLength) this.buffer = new Uint8Array(next);
      }
    }
  }
}
