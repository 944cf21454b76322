// Random-access reads of byte ranges: the only way core code sees a file (Node file, browser Blob, memory).

import { VarError } from '../../shared/errors';

export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** Human-readable name for error messages (file name, URL, "memory"). */
  readonly name: string;
  /**
   * Reads exactly `length` bytes at `offset`. Rejects with a VarError E_IO when the range is outside [0, size) or
   * the underlying read fails; callers that know the context (a truncated checkpoint) rethrow with their own code.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** A ByteSource over bytes already in memory (tests, small files). */
export class MemoryByteSource implements ByteSource {
  readonly size: number;
  constructor(
    private readonly bytes: Uint8Array,
    readonly name = 'memory',
  ) {
    this.size = bytes.byteLength;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    return this.bytes.subarray(offset, offset + length);
  }
}

/** Shared range check for ByteSource implementations. */
export function checkRange(source: ByteSource, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new VarError('E_IO', `Invalid read of ${length} bytes at ${offset} from ${source.name}`);
  }
  if (offset + length > source.size) {
    throw new VarError(
      'E_IO',
      `Read past the end of ${source.name}: ${length} bytes at ${offset}, but the source has ${source.size} bytes`,
      { offset, length, size: source.size },
    );
  }
}

/** The E_IO error for a read that the underlying file or Blob failed (shared by every ByteSource adapter). */
export function readFailed(source: ByteSource, offset: number, length: number, error: unknown): VarError {
  const reason = error instanceof Error ? error.message : String(error);
  return new VarError(
    'E_IO',
    `Read of ${length} bytes at ${offset} from ${source.name} failed: ${reason}`,
    { offset, length },
    {
      cause: error,
    },
  );
}
