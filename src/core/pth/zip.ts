// ZIP central-directory reader over a ByteSource (ZIP64 included) that locates STORED entries without reading their data.

import { VarError } from '../../shared/errors';
import type { ByteSource } from '../io/byte-source';
import { decodeUtf8 } from './utf8';

export interface ZipEntry {
  readonly name: string;
  /** Compression method: 0 = STORED (the only one torch.save writes), 8 = DEFLATE, … */
  readonly method: number;
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
}

export interface ZipDirectory {
  /** Entries in central-directory order. */
  readonly entries: readonly ZipEntry[];
  readonly byName: ReadonlyMap<string, ZipEntry>;
  /** True when the sizes and offsets came from a ZIP64 end-of-central-directory record. */
  readonly zip64: boolean;
}

/** Byte range of a STORED entry's data inside the source. */
export interface StoredRange {
  readonly offset: number;
  readonly size: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD_SIZE = 56;
const CENTRAL_HEADER_SIZE = 46;
const LOCAL_HEADER_SIZE = 30;
const MAX_COMMENT = 0xffff;
/** A checkpoint's directory is ~100 bytes per tensor; anything this large is not one we should buffer. */
const MAX_CENTRAL_DIRECTORY = 64 * 1024 * 1024;

/** Reads the central directory: EOCD found in the last 64 KiB + 22 bytes, then ZIP64 locator and record if present. */
export async function readZipDirectory(source: ByteSource): Promise<ZipDirectory> {
  const tailLength = Math.min(source.size, EOCD_SIZE + MAX_COMMENT);
  const tailStart = source.size - tailLength;
  const tail = await source.read(tailStart, tailLength);
  const eocdInTail = findEocd(tail);
  if (eocdInTail < 0) {
    throw truncatedError(
      source,
      'it has no ZIP end-of-central-directory record, which every complete checkpoint ends with (interrupted download or copy?)',
    );
  }
  const eocdOffset = tailStart + eocdInTail;
  const eocd = view(tail.subarray(eocdInTail, eocdInTail + EOCD_SIZE));
  let entryCount = eocd.getUint16(10, true);
  let cdSize = eocd.getUint32(12, true);
  let cdOffset = eocd.getUint32(16, true);
  const needsZip64 = entryCount === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff;
  if (eocd.getUint16(4, true) !== 0 || eocd.getUint16(6, true) !== 0) {
    throw new VarError(
      'E_ZIP_UNSUPPORTED',
      `${source.name} is a multi-part (spanned) ZIP archive, which is not supported`,
    );
  }

  const zip64 = await readZip64Eocd(source, eocdOffset);
  if (zip64) {
    ({ entryCount, cdSize, cdOffset } = zip64);
  } else if (needsZip64) {
    throw corruptError(
      source,
      'its end-of-central-directory record defers to a ZIP64 record, but there is no ZIP64 locator',
    );
  }

  if (cdOffset + cdSize > source.size) {
    throw truncatedError(
      source,
      `its central directory lies at bytes ${cdOffset}–${cdOffset + cdSize}`,
      cdOffset + cdSize,
    );
  }
  if (cdSize > MAX_CENTRAL_DIRECTORY) {
    throw new VarError(
      'E_ZIP_UNSUPPORTED',
      `${source.name}: central directory of ${cdSize} bytes is implausibly large`,
    );
  }
  const entries = parseCentralDirectory(source, await source.read(cdOffset, cdSize), entryCount);
  const byName = new Map<string, ZipEntry>();
  for (const entry of entries) if (!byName.has(entry.name)) byName.set(entry.name, entry);
  return { entries, byName, zip64: zip64 !== undefined };
}

/**
 * Where a STORED entry's bytes are. The data offset comes from the LOCAL header (30 + name + local extra):
 * torch pads the local extra field to 64-byte alignment, so it differs from the central-directory extra.
 */
export async function storedRange(source: ByteSource, entry: ZipEntry): Promise<StoredRange> {
  if (entry.method !== 0) {
    const method = entry.method === 8 ? 'DEFLATE' : `method ${entry.method}`;
    throw new VarError(
      'E_ZIP_UNSUPPORTED',
      `${source.name}: entry ${entry.name} is compressed (${method}); only STORED entries can be read (torch.save stores them uncompressed)`,
      { entry: entry.name, method: entry.method },
    );
  }
  if (entry.flags & 1) {
    throw new VarError('E_ZIP_UNSUPPORTED', `${source.name}: entry ${entry.name} is encrypted`, { entry: entry.name });
  }
  if (entry.compressedSize !== entry.uncompressedSize) {
    throw corruptError(source, `STORED entry ${entry.name} has different compressed and uncompressed sizes`);
  }
  const headerEnd = entry.localHeaderOffset + LOCAL_HEADER_SIZE;
  if (headerEnd > source.size) {
    throw truncatedError(
      source,
      `the local header of ${entry.name} lies at byte ${entry.localHeaderOffset}`,
      headerEnd,
    );
  }
  const header = view(await source.read(entry.localHeaderOffset, LOCAL_HEADER_SIZE));
  if (header.getUint32(0, true) !== SIG_LOCAL) {
    throw corruptError(source, `no local header signature for ${entry.name} at byte ${entry.localHeaderOffset}`);
  }
  const offset = headerEnd + header.getUint16(26, true) + header.getUint16(28, true);
  const end = offset + entry.compressedSize;
  if (end > source.size) {
    throw truncatedError(source, `record ${entry.name} occupies bytes ${offset}–${end}`, end);
  }
  return { offset, size: entry.compressedSize };
}

/** Reads a whole STORED entry (small records: data.pkl, byteorder). */
export async function readStoredEntry(source: ByteSource, entry: ZipEntry): Promise<Uint8Array> {
  const range = await storedRange(source, entry);
  return source.read(range.offset, range.size);
}

/** Last EOCD signature whose comment length ends exactly at the end of the file (rejects stray matches in data). */
function findEocd(tail: Uint8Array): number {
  const dv = view(tail);
  for (let p = tail.length - EOCD_SIZE; p >= 0; p--) {
    if (dv.getUint32(p, true) === SIG_EOCD && p + EOCD_SIZE + dv.getUint16(p + 20, true) === tail.length) return p;
  }
  return -1;
}

interface Zip64Totals {
  entryCount: number;
  cdSize: number;
  cdOffset: number;
}

async function readZip64Eocd(source: ByteSource, eocdOffset: number): Promise<Zip64Totals | undefined> {
  if (eocdOffset < ZIP64_LOCATOR_SIZE) return undefined;
  const locator = view(await source.read(eocdOffset - ZIP64_LOCATOR_SIZE, ZIP64_LOCATOR_SIZE));
  if (locator.getUint32(0, true) !== SIG_ZIP64_LOCATOR) return undefined;
  if (locator.getUint32(4, true) !== 0 || locator.getUint32(16, true) > 1) {
    throw new VarError(
      'E_ZIP_UNSUPPORTED',
      `${source.name} is a multi-part (spanned) ZIP64 archive, which is not supported`,
    );
  }
  const recordOffset = getUint64(locator, 8);
  if (recordOffset + ZIP64_EOCD_SIZE > source.size) {
    throw truncatedError(
      source,
      `its ZIP64 end-of-central-directory record lies at byte ${recordOffset}`,
      recordOffset + ZIP64_EOCD_SIZE,
    );
  }
  const record = view(await source.read(recordOffset, ZIP64_EOCD_SIZE));
  if (record.getUint32(0, true) !== SIG_ZIP64_EOCD) {
    throw corruptError(source, `no ZIP64 end-of-central-directory record at byte ${recordOffset}`);
  }
  return { entryCount: getUint64(record, 32), cdSize: getUint64(record, 40), cdOffset: getUint64(record, 48) };
}

function parseCentralDirectory(source: ByteSource, cd: Uint8Array, entryCount: number): ZipEntry[] {
  const dv = view(cd);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < entryCount; i++) {
    if (p + CENTRAL_HEADER_SIZE > cd.length || dv.getUint32(p, true) !== SIG_CENTRAL) {
      throw corruptError(source, `central-directory entry ${i} of ${entryCount} is missing or damaged`);
    }
    const nameLength = dv.getUint16(p + 28, true);
    const extraLength = dv.getUint16(p + 30, true);
    const commentLength = dv.getUint16(p + 32, true);
    const end = p + CENTRAL_HEADER_SIZE + nameLength + extraLength + commentLength;
    if (end > cd.length) throw corruptError(source, `central-directory entry ${i} runs past the directory`);
    const name = decodeUtf8(cd.subarray(p + CENTRAL_HEADER_SIZE, p + CENTRAL_HEADER_SIZE + nameLength));
    const extraStart = p + CENTRAL_HEADER_SIZE + nameLength;
    const fields = {
      uncompressedSize: dv.getUint32(p + 24, true),
      compressedSize: dv.getUint32(p + 20, true),
      localHeaderOffset: dv.getUint32(p + 42, true),
    };
    applyZip64Extra(source, name, view(cd.subarray(extraStart, extraStart + extraLength)), fields);
    entries.push({
      name,
      method: dv.getUint16(p + 10, true),
      flags: dv.getUint16(p + 8, true),
      crc32: dv.getUint32(p + 16, true),
      ...fields,
    });
    p = end;
  }
  return entries;
}

/** ZIP64 extra field (id 1): 8-byte values, in this order, for each header field that holds 0xFFFFFFFF. */
function applyZip64Extra(
  source: ByteSource,
  name: string,
  extra: DataView,
  fields: { uncompressedSize: number; compressedSize: number; localHeaderOffset: number },
): void {
  const wanted = (['uncompressedSize', 'compressedSize', 'localHeaderOffset'] as const).filter(
    (k) => fields[k] === 0xffffffff,
  );
  if (wanted.length === 0) return;
  for (let p = 0; p + 4 <= extra.byteLength; ) {
    const id = extra.getUint16(p, true);
    const size = extra.getUint16(p + 2, true);
    if (id === 1) {
      if (size < wanted.length * 8 || p + 4 + size > extra.byteLength) break;
      wanted.forEach((k, j) => {
        fields[k] = getUint64(extra, p + 4 + 8 * j);
      });
      return;
    }
    p += 4 + size;
  }
  throw corruptError(source, `entry ${name} needs ZIP64 sizes or offset but has no valid ZIP64 extra field`);
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Values ≥ 2^53 cannot be file positions here; they saturate and then fail the range checks as "past the end". */
function getUint64(dv: DataView, at: number): number {
  const hi = dv.getUint32(at + 4, true);
  return hi >= 0x200000 ? Number.MAX_SAFE_INTEGER : hi * 2 ** 32 + dv.getUint32(at, true);
}

/** E_CHECKPOINT_TRUNCATED naming the file, its size and, when known, how many bytes were expected. */
export function truncatedError(source: ByteSource, what: string, expected?: number): VarError {
  const need = expected === undefined ? '' : `, but at least ${expected} bytes are needed`;
  return new VarError(
    'E_CHECKPOINT_TRUNCATED',
    `${source.name} is truncated or incomplete: ${what}; the file has ${source.size} bytes${need}`,
    expected === undefined ? { size: source.size } : { size: source.size, expected },
  );
}

export function corruptError(source: ByteSource, what: string): VarError {
  return new VarError('E_ZIP_CORRUPT', `${source.name} is a damaged ZIP archive: ${what}`, { size: source.size });
}
