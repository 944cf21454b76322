// A ByteSource that serves ranges kept from an earlier run of the same conversion and records what it reads now, so
// the bytes read before the first pack byte (directories, pickles, headers, inline tensors) are fetched once.

import type { ByteSource } from '../../../src/core/io/byte-source';
import { checkRange } from '../../../src/core/io/byte-source';
import type { ModelStore, ReadCacheRecord } from '../store/model-store';

interface Range {
  readonly start: number;
  readonly bytes: Uint8Array;
}

export class RecordingSource implements ByteSource {
  readonly size: number;
  readonly name: string;
  /** Reads are kept while true (until planning ends). */
  recording = true;
  /** Bytes served from the kept ranges (not fetched). */
  servedBytes = 0;
  /** Bytes recorded since the last ranges() call. */
  newBytes = 0;
  private readonly recorded: Range[] = [];

  constructor(
    private readonly inner: ByteSource,
    private readonly kept: readonly Range[] = [],
  ) {
    this.size = inner.size;
    this.name = inner.name;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    for (const range of this.kept) {
      if (range.start <= offset && range.start + range.bytes.byteLength >= offset + length) {
        this.servedBytes += length;
        return range.bytes.slice(offset - range.start, offset - range.start + length);
      }
    }
    const bytes = await this.inner.read(offset, length);
    if (this.recording) {
      this.recorded.push({ start: offset, bytes: bytes.slice() });
      this.newBytes += length;
    }
    return bytes;
  }

  /** The kept and recorded reads merged into disjoint ranges (overlapping and touching reads joined). */
  ranges(): Range[] {
    this.newBytes = 0;
    const sorted = [...this.kept, ...this.recorded].sort((a, b) => a.start - b.start);
    const out: Range[] = [];
    for (const r of sorted) {
      const last = out[out.length - 1];
      const lastEnd = last ? last.start + last.bytes.byteLength : -1;
      if (last && r.start <= lastEnd) {
        const end = Math.max(lastEnd, r.start + r.bytes.byteLength);
        if (end > lastEnd) {
          const merged = new Uint8Array(end - last.start);
          merged.set(last.bytes, 0);
          merged.set(r.bytes.subarray(lastEnd - r.start), lastEnd - last.start);
          out[out.length - 1] = { start: last.start, bytes: merged };
        }
      } else {
        out.push(r);
      }
    }
    return out;
  }
}

/** The kept ranges of a conversion, per checkpoint ('var', 'vae'); empty when none were kept. */
export async function loadReadCache(store: ModelStore, id: string): Promise<Record<string, Range[]>> {
  const record = await store.getReadCache(id).catch(() => undefined);
  const out: Record<string, Range[]> = {};
  if (!record) return out;
  try {
    for (const [key, ranges] of Object.entries(record.ranges)) {
      out[key] = await Promise.all(
        ranges.map(async (r) => ({ start: r.start, bytes: new Uint8Array(await r.data.arrayBuffer()) })),
      );
    }
  } catch {
    return {}; // a Blob whose file is gone: fetch again
  }
  return out;
}

export async function saveReadCache(
  store: ModelStore,
  id: string,
  sources: Readonly<Record<string, RecordingSource>>,
): Promise<number> {
  const ranges: Record<string, { start: number; data: Blob }[]> = {};
  let bytes = 0;
  for (const [key, source] of Object.entries(sources)) {
    ranges[key] = source.ranges().map((r) => {
      bytes += r.bytes.byteLength;
      return { start: r.start, data: new Blob([r.bytes as Uint8Array<ArrayBuffer>]) };
    });
  }
  const record: ReadCacheRecord = { id, ranges, bytes };
  await store.putReadCache(record);
  return bytes;
}
