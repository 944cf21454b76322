// Opens a torch.save() checkpoint (ZIP + data.pkl + data/<key> records) as a map of lazily-read tensors.

import { VarError } from '../../shared/errors';
import type { ByteSource } from '../io/byte-source';
import { loadPickle } from './pickle';
import { describeValue, PickleDict, PickleTensor, type PickleValue } from './pickle-values';
import { PthTensorRef } from './tensor-ref';
import type { Checkpoint, TensorRef } from './types';
import { decodeUtf8 } from './utf8';
import {
  readStoredEntry,
  readZipDirectory,
  type StoredRange,
  storedRange,
  truncatedError,
  type ZipDirectory,
  type ZipEntry,
} from './zip';

/** Real data.pkl files are tens of KB; refuse to buffer anything absurd. */
const MAX_PICKLE_BYTES = 64 * 1024 * 1024;
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

/**
 * Reads the directory and data.pkl, checks every tensor's byte range against its record, and returns tensors whose
 * data is read on demand (memory stays bounded by the largest tensor read).
 */
export async function openCheckpoint(source: ByteSource): Promise<Checkpoint> {
  await sniffFormat(source);
  const dir = await readZipDirectory(source);
  const pickleEntry = findDataPkl(source, dir);
  const root = pickleEntry.name.slice(0, -'data.pkl'.length);
  await checkByteOrder(source, dir.byName.get(`${root}byteorder`));

  if (pickleEntry.uncompressedSize > MAX_PICKLE_BYTES) {
    throw new VarError(
      'E_PICKLE_INVALID',
      `${source.name}: ${pickleEntry.name} is ${pickleEntry.uncompressedSize} bytes, too large for a state dict`,
    );
  }
  const top = loadPickle(await readStoredEntry(source, pickleEntry), `${source.name} (${pickleEntry.name})`);
  const nested = trainerStateDict(top);
  const stateDict = asStateDict(source, nested?.value ?? top, nested?.path);

  const recordEntries = new Map<string, ZipEntry>();
  for (const tensor of stateDict.values()) {
    const key = tensor.storage.key;
    if (recordEntries.has(key)) continue;
    const entry = dir.byName.get(`${root}data/${key}`);
    if (!entry) {
      throw truncatedError(source, `storage record ${root}data/${key} named by data.pkl is missing from the archive`);
    }
    recordEntries.set(key, entry);
  }
  // One small local-header read per record, in parallel; Promise.all leaves no rejection unobserved.
  const keys = [...recordEntries.keys()];
  const resolved = await Promise.all(keys.map((key) => storedRange(source, recordEntries.get(key) as ZipEntry)));
  const ranges = new Map<string, StoredRange>(keys.map((key, i) => [key, resolved[i] as StoredRange]));
  const tensors = new Map<string, TensorRef>();
  for (const [name, tensor] of stateDict) {
    tensors.set(name, new PthTensorRef(source, name, tensor, ranges.get(tensor.storage.key) as StoredRange));
  }
  return {
    name: source.name,
    archiveRoot: root.replace(/\/$/, ''),
    tensors,
    ...(nested ? { stateDictPath: nested.path } : {}),
  };
}

/**
 * The official trainer's checkpoints (VAR's train.py: `{'epoch', 'iter', 'trainer': trainer.state_dict(), 'args'}`,
 * where the trainer's state holds the model's state dict as `var_wo_ddp`, beside the VQ-VAE's and the optimizer's):
 * the transformer's state dict inside, or undefined for a plain state dict. Only the tensors under that path are
 * located and read; the optimizer's are never touched.
 */
export const TRAINER_STATE_DICT_PATH = ['trainer', 'var_wo_ddp'] as const;

function trainerStateDict(top: PickleValue): { value: PickleDict; path: string } | undefined {
  let value: PickleValue | undefined = top;
  for (const key of TRAINER_STATE_DICT_PATH) {
    if (!(value instanceof PickleDict)) return undefined;
    value = value.entries.get(key);
  }
  return value instanceof PickleDict ? { value, path: TRAINER_STATE_DICT_PATH.join('.') } : undefined;
}

/** Classifies non-ZIP input before looking for a directory, so the message says what the file actually is. */
async function sniffFormat(source: ByteSource): Promise<void> {
  if (source.size === 0) {
    throw new VarError('E_NOT_ZIP', `${source.name} is empty (0 bytes), not a PyTorch checkpoint`, { size: 0 });
  }
  const head = await source.read(0, Math.min(4, source.size));
  if (head[0] === 0x80 && head[1] === 0x02) {
    throw new VarError(
      'E_LEGACY_CHECKPOINT',
      `${source.name} was saved with torch<1.6 legacy format, re-save with torch.save(..., _use_new_zipfile_serialization=True)`,
    );
  }
  const isPrefix = [...head].every((b, i) => b === ZIP_MAGIC[i]);
  if (isPrefix && head.length < 4) {
    throw truncatedError(source, 'it stops inside the first ZIP header', 30);
  }
  if (!isPrefix) {
    const hex = [...head].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new VarError(
      'E_NOT_ZIP',
      `${source.name} is not a PyTorch checkpoint: it starts with bytes ${hex}, not the ZIP signature 50 4b 03 04 that torch.save writes`,
      { size: source.size },
    );
  }
}

/** `<root>/data.pkl`: the root folder is whatever the writer used (file stem for torch 1.x, "archive" for 2.x). */
function findDataPkl(source: ByteSource, dir: ZipDirectory): ZipEntry {
  const candidates = dir.entries.filter((e) => e.name === 'data.pkl' || /^[^/]+\/data\.pkl$/.test(e.name));
  const entry = candidates[0];
  if (!entry) {
    const names = dir.entries.slice(0, 5).map((e) => e.name);
    const more = dir.entries.length > 5 ? `, … (${dir.entries.length} entries)` : '';
    throw new VarError(
      'E_NOT_CHECKPOINT',
      `${source.name} is a ZIP archive but has no data.pkl, so it is not a PyTorch checkpoint (entries: ${names.join(', ') || 'none'}${more})`,
      { entries: names },
    );
  }
  return entry;
}

async function checkByteOrder(source: ByteSource, entry: ZipEntry | undefined): Promise<void> {
  if (!entry) return; // torch < 2.1 wrote no byteorder record: always little-endian.
  if (entry.uncompressedSize > 16)
    throw new VarError('E_NOT_CHECKPOINT', `${source.name}: byteorder record is not "little" or "big"`);
  const order = decodeUtf8(await readStoredEntry(source, entry)).trim();
  if (order === 'little') return;
  if (order === 'big') {
    throw new VarError(
      'E_BIG_ENDIAN',
      `${source.name} was saved on a big-endian machine (byteorder record "big"); re-save it on a little-endian machine`,
    );
  }
  throw new VarError('E_NOT_CHECKPOINT', `${source.name}: unknown byteorder record "${order}"`);
}

/** The top level must map names to tensors (OrderedDict from state_dict(), or a plain dict). */
function asStateDict(source: ByteSource, top: PickleValue, path?: string): Map<string, PickleTensor> {
  const where = path === undefined ? source.name : `${source.name} (${path})`;
  if (!(top instanceof PickleDict)) {
    throw new VarError(
      'E_NOT_CHECKPOINT',
      `${where} holds a ${describeValue(top)}, not a state dict (a dict of name → tensor)`,
      { found: describeValue(top) },
    );
  }
  const out = new Map<string, PickleTensor>();
  for (const [key, value] of top.entries) {
    if (typeof key !== 'string' || !(value instanceof PickleTensor)) {
      const keys = [...top.entries.keys()].slice(0, 8).map((k) => (typeof k === 'string' ? k : describeValue(k)));
      const nested =
        value instanceof PickleDict || [...top.entries.values()].some((v) => v instanceof PickleDict)
          ? ` (a training checkpoint? only the official trainer's layout, weights under ${TRAINER_STATE_DICT_PATH.join('.')}, is read; extract the model's state_dict and save that)`
          : '';
      throw new VarError(
        'E_NOT_CHECKPOINT',
        `${where} is not a state dict of tensors: key ${typeof key === 'string' ? `'${key}'` : describeValue(key)} holds ${describeValue(value)}${nested}; top-level keys: ${keys.join(', ')}`,
        { found: describeValue(value), keys },
      );
    }
    out.set(key, value);
  }
  return out;
}
