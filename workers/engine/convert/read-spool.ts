// Keeps the checkpoint bytes a conversion fetches while writing its pack until the pack chunk they become is in the
// store, so an interruption (reload, network drop, cancel) costs at most the piece being fetched.
//
// Why: a pack chunk is committed only when full, and in 4 bits a 16 MiB chunk is ~128 MiB of float32 checkpoint; a
// single tensor can be 88.5 MB (VAR-d30's ada_lin). Without the spool, a resume re-reads every tensor since the last
// committed chunk. With it, reads of at least `minBytes` go through in pieces of `pieceBytes` (the store's chunk
// size), each kept in the store as it arrives and dropped once no resume point can need it. The spool holds at most
// the checkpoint bytes behind one pack chunk plus the tensor it ends in; it is cleared when the pack is complete.

import type { ByteSource } from '../../../src/core/io/byte-source';
import { checkRange } from '../../../src/core/io/byte-source';
import { type ModelStore, type SpoolRecord, spoolId } from '../store/model-store';

export interface SpoolOptions {
  /** Size of the pieces a large read is fetched and kept in. */
  readonly pieceBytes: number;
  /** Reads shorter than this pass through (headers and small tensors: cheap to fetch again). */
  readonly minBytes: number;
}

interface Entry {
  readonly id: string;
  readonly length: number;
  readonly data: Blob;
  readonly file: number;
  readonly position: number;
}

export class ReadSpool {
  /** Off while planning (read-cache.ts keeps those reads) and until the job is known. */
  private job: string | undefined;
  /** Where the pack writer is: set before it asks for the next bytes, so reads are tagged with what they feed. */
  readonly cursor = { file: 0, position: 0 };
  /** Bytes served from the spool instead of the network. */
  servedBytes = 0;
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: ModelStore,
    readonly options: SpoolOptions,
  ) {}

  /** Starts spooling for `job`, with the pieces an earlier run of it kept. */
  async activate(job: string): Promise<void> {
    this.job = job;
    this.entries.clear();
    for (const r of await this.store.listSpool(job)) {
      this.entries.set(r.id, { id: r.id, length: r.data.size, data: r.data, file: r.file, position: r.position });
    }
  }

  get active(): boolean {
    return this.job !== undefined;
  }

  /** Bytes the spool holds now. */
  get heldBytes(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.length;
    return n;
  }

  /** One piece: from the spool when an earlier run kept it, else fetched and kept before it is used. */
  async piece(source: string, start: number, length: number, fetch: () => Promise<Uint8Array>): Promise<Uint8Array> {
    const job = this.job as string;
    const id = spoolId(job, source, start);
    const kept = this.entries.get(id);
    if (kept && kept.length === length) {
      try {
        const bytes = new Uint8Array(await kept.data.arrayBuffer());
        this.servedBytes += length;
        return bytes;
      } catch {
        // The Blob's file is gone (storage cleared under us): fetch it again.
      }
    }
    const bytes = await fetch();
    const { file, position } = this.cursor;
    const record: SpoolRecord = {
      id,
      job,
      source,
      start,
      data: new Blob([bytes as Uint8Array<ArrayBuffer>]),
      file,
      position,
    };
    try {
      await this.store.putSpool(record);
      this.entries.set(id, { id, length, data: record.data, file, position });
    } catch {
      // The spool only saves refetching: a refused write (the quota, the store closing) must not fail the conversion.
    }
    return bytes;
  }

  /**
   * The pack is committed up to byte `committed` of file `file`. A resume starts there and re-reads what the
   * tensor containing that byte was made of: the pieces read at the last position ≤ `committed` (one tensor's
   * reads share a position; a q4 weight's scales follow its blocks without reading). Earlier pieces, and those of
   * earlier files, can no longer be needed.
   */
  async release(file: number, committed: number): Promise<void> {
    if (!this.job) return;
    let keepFrom = Number.NEGATIVE_INFINITY;
    for (const e of this.entries.values()) {
      if (e.file === file && e.position <= committed) keepFrom = Math.max(keepFrom, e.position);
    }
    const drop = [...this.entries.values()].filter((e) => e.file < file || (e.file === file && e.position < keepFrom));
    if (drop.length === 0) return;
    // Forgotten even when the delete fails: the conversion's completion (or its Delete) clears the spool anyway.
    for (const e of drop) this.entries.delete(e.id);
    await this.store.deleteSpool(drop.map((e) => e.id)).catch(() => undefined);
  }

  /** The pack is complete: nothing is kept. */
  async clear(): Promise<void> {
    if (!this.job) return;
    await this.store.clearSpool(this.job);
    this.entries.clear();
  }
}

/** A checkpoint's byte source whose large reads go through the spool once it is active. */
export class SpoolingSource implements ByteSource {
  readonly size: number;
  readonly name: string;

  constructor(
    private readonly inner: ByteSource,
    private readonly key: string,
    private readonly spool: ReadSpool,
  ) {
    this.size = inner.size;
    this.name = inner.name;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    const { pieceBytes, minBytes } = this.spool.options;
    if (!this.spool.active || length < minBytes) return this.inner.read(offset, length);
    // Pieces start at `offset`, so the same tensor read again splits the same way and finds its pieces.
    const out = new Uint8Array(length);
    for (let at = 0; at < length; at += pieceBytes) {
      const n = Math.min(pieceBytes, length - at);
      out.set(await this.spool.piece(this.key, offset + at, n, () => this.inner.read(offset + at, n)), at);
    }
    return out;
  }
}
