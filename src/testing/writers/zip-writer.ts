// Streaming writer of STORED ZIP archives laid out like torch.save: 64-byte aligned data, data descriptors, ZIP64 end records.

import { crc32 } from '../../core/pth/crc32';
import { encodeUtf8 } from '../../core/pth/utf8';

/** Record data, or a function producing it when the record is reached (so only one record is in memory at a time). */
export type ZipData = Uint8Array | (() => Uint8Array | Promise<Uint8Array>);

export interface ZipRecordInput {
  readonly name: string;
  readonly data: ZipData;
}

/**
 * When central-directory entries carry ZIP64 extra fields: 'auto' only where a size or offset is ≥ 0xFFFFFFFF (as
 * torch); 'all' for sizes and offsets of every entry; 'offsets' for every offset only. The forced modes exist so tests
 * exercise the ZIP64 paths without writing 4 GiB.
 */
export type Zip64Mode = 'auto' | 'all' | 'offsets';

export interface StoredZipOptions {
  readonly zip64?: Zip64Mode;
  /** Data alignment; torch uses 64 so tensors can be memory-mapped. */
  readonly alignment?: number;
}

const U32_MAX = 0xffffffff;
const FLAGS = 0x0808; // bit 3: sizes in a data descriptor; bit 11: UTF-8 names (as torch's miniz writer)

interface CentralRecord {
  readonly name: Uint8Array;
  readonly crc: number;
  readonly size: number;
  readonly offset: number;
}

/** Writes records one at a time; call `end()` once after the last one. Yields the bytes to append to the file. */
export class StoredZipWriter {
  private offset = 0;
  private readonly central: CentralRecord[] = [];
  private readonly zip64: Zip64Mode;
  private readonly alignment: number;

  constructor(options: StoredZipOptions = {}) {
    this.zip64 = options.zip64 ?? 'auto';
    this.alignment = options.alignment ?? 64;
  }

  /** Bytes written so far. */
  get position(): number {
    return this.offset;
  }

  *record(nameText: string, data: Uint8Array): Generator<Uint8Array> {
    const name = encodeUtf8(nameText);
    const headerOffset = this.offset;
    // Local extra field 'FB' + length + 'Z' padding, so the data starts on an alignment boundary (torch getPadding()).
    const unpadded = headerOffset + 30 + name.length + 4;
    const pad = (this.alignment - (unpadded % this.alignment)) % this.alignment;
    const local = new Bytes(30 + name.length + 4 + pad);
    local.u32(0x04034b50).u16(20).u16(FLAGS).u16(0).u16(0).u16(0).u32(0).u32(0).u32(0);
    local
      .u16(name.length)
      .u16(4 + pad)
      .bytes(name)
      .u16(0x4246)
      .u16(pad)
      .fill(0x5a, pad);
    yield this.emit(local.out);

    yield this.emit(data);
    const crc = crc32(data);
    const wide = data.length >= U32_MAX || headerOffset >= U32_MAX;
    const descriptor = new Bytes(wide ? 24 : 16).u32(0x08074b50).u32(crc);
    if (wide) descriptor.u64(data.length).u64(data.length);
    else descriptor.u32(data.length).u32(data.length);
    yield this.emit(descriptor.out);
    this.central.push({ name, crc, size: data.length, offset: headerOffset });
  }

  *end(): Generator<Uint8Array> {
    const cdOffset = this.offset;
    for (const r of this.central) yield this.emit(this.centralHeader(r));
    const cdSize = this.offset - cdOffset;
    const count = this.central.length;
    // torch always writes the ZIP64 end record and locator, then the classic record.
    const zip64Offset = this.offset;
    const z = new Bytes(56 + 20 + 22);
    z.u32(0x06064b50).u64(44).u16(45).u16(45).u32(0).u32(0).u64(count).u64(count).u64(cdSize).u64(cdOffset);
    z.u32(0x07064b50).u32(0).u64(zip64Offset).u32(1);
    const force = this.zip64 === 'all';
    const count16 = force || count >= 0xffff ? 0xffff : count;
    z.u32(0x06054b50).u16(0).u16(0).u16(count16).u16(count16);
    z.u32(force || cdSize >= U32_MAX ? U32_MAX : cdSize);
    z.u32(force || this.zip64 === 'offsets' || cdOffset >= U32_MAX ? U32_MAX : cdOffset);
    z.u16(0);
    yield this.emit(z.out);
  }

  private centralHeader(r: CentralRecord): Uint8Array {
    const sizesInExtra = this.zip64 === 'all' || r.size >= U32_MAX;
    const offsetInExtra = this.zip64 !== 'auto' || r.offset >= U32_MAX;
    const extraValues = [...(sizesInExtra ? [r.size, r.size] : []), ...(offsetInExtra ? [r.offset] : [])];
    const extraLength = extraValues.length > 0 ? 4 + 8 * extraValues.length : 0;
    const h = new Bytes(46 + r.name.length + extraLength);
    h.u32(0x02014b50)
      .u16(45)
      .u16(extraLength > 0 ? 45 : 20)
      .u16(FLAGS)
      .u16(0)
      .u16(0)
      .u16(0)
      .u32(r.crc);
    h.u32(sizesInExtra ? U32_MAX : r.size).u32(sizesInExtra ? U32_MAX : r.size);
    h.u16(r.name.length).u16(extraLength).u16(0).u16(0).u16(0).u32(0);
    h.u32(offsetInExtra ? U32_MAX : r.offset).bytes(r.name);
    if (extraLength > 0) {
      h.u16(1).u16(extraLength - 4);
      for (const v of extraValues) h.u64(v);
    }
    return h.out;
  }

  private emit(chunk: Uint8Array): Uint8Array {
    this.offset += chunk.length;
    return chunk;
  }
}

/** Streams a whole archive; record data functions are called one record at a time. */
export async function* writeStoredZip(
  records: Iterable<ZipRecordInput> | AsyncIterable<ZipRecordInput>,
  options: StoredZipOptions = {},
): AsyncGenerator<Uint8Array> {
  const writer = new StoredZipWriter(options);
  for await (const r of records) {
    const data = typeof r.data === 'function' ? await r.data() : r.data;
    yield* writer.record(r.name, data);
  }
  yield* writer.end();
}

/** Concatenates a stream of chunks (tests and small files). */
export async function collectChunks(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const c of chunks) {
    parts.push(c);
    total += c.length;
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Little-endian byte builder for fixed-size headers. */
class Bytes {
  readonly out: Uint8Array;
  private readonly dv: DataView;
  private p = 0;
  constructor(size: number) {
    this.out = new Uint8Array(size);
    this.dv = new DataView(this.out.buffer);
  }
  u16(v: number): this {
    this.dv.setUint16(this.p, v, true);
    this.p += 2;
    return this;
  }
  u32(v: number): this {
    this.dv.setUint32(this.p, v >>> 0, true);
    this.p += 4;
    return this;
  }
  u64(v: number): this {
    this.dv.setUint32(this.p, v % 2 ** 32, true);
    this.dv.setUint32(this.p + 4, Math.floor(v / 2 ** 32), true);
    this.p += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.out.set(b, this.p);
    this.p += b.length;
    return this;
  }
  fill(v: number, n: number): this {
    this.out.fill(v, this.p, this.p + n);
    this.p += n;
    return this;
  }
}
