// Converts two checkpoints into a model pack inside the store, with the same plan as `npm run convert` (planPack), so
// every file is byte-identical to the CLI's. Each file is hashed while it is written, in chunks under a temporary
// key whose hasher state is saved with each chunk: an interrupted conversion resumes at its last chunk, and the
// checkpoint bytes behind the chunk it was writing come from the read spool (read-spool.ts), so it fetches again at
// most the piece it was fetching. The manifest is stored last, so a model is listed only when complete.

import type { PackOutputFile, PackPlan } from '../../../src/core/pack/build-pack';
import { planPack, readCheckpointPair } from '../../../src/core/pack/build-pack';
import { MANIFEST_FILE, type PackFile, type PackManifest, type QuantVariant } from '../../../src/core/pack/manifest';
import { parsePackManifest } from '../../../src/core/pack/pack-manifest-check';
import { openCheckpoint } from '../../../src/core/pth/checkpoint';
import type { Checkpoint, TensorRef } from '../../../src/core/pth/types';
import type { ConvertPhase, ConvertProgress } from '../../../src/shared/engine-api';
import { VarError } from '../../../src/shared/errors';
import { ChunkWriter } from '../store/chunk-writer';
import { resumePoint, type StoreContext } from '../store/download-file';
import { withFileLock } from '../store/file-lock';
import type { ConversionRecord } from '../store/model-store';
import { assertRoomFor, browserEstimator, isQuotaExceeded, quotaError } from '../store/quota';
import { sha256Hex } from '../store/sha256';
import { collectGarbage, storedFileBytes } from '../store/stored-models';
import type { CheckpointInput } from './checkpoint-inputs';
import { loadReadCache, RecordingSource, saveReadCache } from './read-cache';
import { ReadSpool, SpoolingSource } from './read-spool';

/** Checkpoint bytes read while planning between two saves of the read cache. */
const READ_CACHE_SAVE_BYTES = 256 * 1024;

/** Smaller reads (ZIP record headers, norms and biases) are not worth a store write each. */
const SPOOL_MIN_BYTES = 4096;

/** Bump when the same inputs would plan other files, so a stale record is not resumed. */
const JOB_VERSION = 1;

/** The lock a conversion holds while it writes: discarding it waits for it (convert/interrupted-conversions.ts). */
export function conversionLockName(jobId: string): string {
  return `convert-${jobId}`;
}

/** The folder URL a converted pack is stored under: no network behind it, its files exist only in the store. */
export function convertedPackUrl(name: string): string {
  return `converted:/${name}/`;
}

export interface ConvertOptions {
  readonly quant: QuantVariant;
  /** The manifest's `createdBy`. */
  readonly createdBy: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ConvertProgress) => void;
}

export interface ConvertedPack {
  readonly manifest: PackManifest;
  readonly packUrl: string;
  /** Pack bytes found written by an earlier, interrupted run. */
  readonly resumedBytes: number;
}

/**
 * Validates the pair (E_WRONG_CHECKPOINT_KIND, E_PACK_MISMATCH, the reader's codes: nothing is written before this
 * passes), describes both files, plans the pack and writes what the store does not hold yet. E_ABORTED when
 * `signal` aborts: what was written stays for the next call with the same inputs.
 */
export async function convertToStore(
  ctx: StoreContext,
  inputs: { readonly var: CheckpointInput; readonly vae: CheckpointInput },
  options: ConvertOptions,
): Promise<ConvertedPack> {
  // A report every PROGRESS_TICK_MS besides those at each chunk: bytes arrive while a large tensor is fetched, and
  // planning reads tensors without writing any.
  const tick: { report?: () => void } = {};
  const timer = setInterval(() => tick.report?.(), PROGRESS_TICK_MS);
  try {
    return await convert(ctx, inputs, options, tick);
  } finally {
    clearInterval(timer);
  }
}

const PROGRESS_TICK_MS = 200;

async function convert(
  ctx: StoreContext,
  inputs: { readonly var: CheckpointInput; readonly vae: CheckpointInput },
  options: ConvertOptions,
  tick: { report?: () => void },
): Promise<ConvertedPack> {
  const { signal } = options;
  const fetched = () => inputs.var.fetchedBytes() + inputs.vae.fetchedBytes();
  const checkpointBytes = inputs.var.source.size + inputs.vae.source.size;
  let progress: ConvertProgress = {
    phase: 'checking',
    name: '',
    checkpointBytes,
    fetchedBytes: fetched(),
    hashedBytes: 0,
    tensorsDone: 0,
    tensorsTotal: 0,
    packBytesDone: 0,
    packBytes: 0,
    resumedBytes: 0,
    file: '',
    fileBytesDone: 0,
    fileBytes: 0,
  };
  const counterRef: { current?: TensorCounter } = {};
  const report = (change: Partial<ConvertProgress>, phase?: ConvertPhase) => {
    progress = { ...progress, ...change, ...(phase ? { phase } : {}), fetchedBytes: fetched() };
    options.onProgress?.(progress);
  };
  report({});
  tick.report = () => report({ tensorsDone: counterRef.current?.count() ?? 0 });

  // From URLs, the files' identity is the Hub's listing (no download), so the bytes an earlier run of the same
  // conversion read before its first pack byte can be served from the store (read-cache.ts). Local files are
  // hashed only once the pair has been checked, and read no network anyway.
  const remote = inputs.var.remote && inputs.vae.remote;
  const early = remote ? { var: await inputs.var.describe(), vae: await inputs.vae.describe() } : undefined;
  const cacheId = early ? `reads-${await jsonSha256({ var: early.var, vae: early.vae })}` : undefined;
  const kept = cacheId ? await loadReadCache(ctx.store, cacheId) : {};
  // Reads of at least 4 KiB (tensors, not record headers) are kept in pieces of one store chunk while the pack is
  // written: an interruption then fetches again at most one chunk's worth of checkpoint bytes.
  const spool = new ReadSpool(ctx.store, {
    pieceBytes: ctx.store.chunkBytes,
    minBytes: Math.min(SPOOL_MIN_BYTES, ctx.store.chunkBytes),
  });
  const recording = {
    var: new RecordingSource(new SpoolingSource(inputs.var.source, 'var', spool), kept.var),
    vae: new RecordingSource(new SpoolingSource(inputs.vae.source, 'vae', spool), kept.vae),
  };
  // Saved as reading goes (after the pair check: nothing is written for inputs that fail it), so an interruption
  // while planning also costs only what was read since the last save.
  let saving = Promise.resolve();
  const saveReads = (force: boolean): Promise<void> => {
    // One save at a time, each with everything read so far: a later one never loses to an earlier one.
    saving = saving.then(async () => {
      const fresh = recording.var.newBytes + recording.vae.newBytes;
      if (!cacheId || fresh === 0 || !(force || fresh >= READ_CACHE_SAVE_BYTES)) return;
      await saveReadCache(ctx.store, cacheId, recording);
    });
    return saving;
  };
  const varCkpt = await openCheckpoint(recording.var);
  const vaeCkpt = await openCheckpoint(recording.vae);
  await readCheckpointPair(varCkpt, vaeCkpt);
  throwIfAborted(signal);
  await saveReads(true);
  const savingReads = setInterval(() => void saveReads(false).catch(() => undefined), 250);

  if (!early) report({}, 'hashing');
  const source = early ?? {
    var: await inputs.var.describe((n) => report({ hashedBytes: n })),
    vae: await inputs.vae.describe((n) => report({ hashedBytes: inputs.var.source.size + n })),
  };
  throwIfAborted(signal);

  const counter = new TensorCounter(varCkpt, vaeCkpt);
  counterRef.current = counter;
  // Planning reads the tensors the .onnx files hold inline (and quantizes them): it is part of converting.
  report({}, 'converting');
  let plan: PackPlan;
  try {
    plan = await planPack(
      { kind: 'checkpoints', var: counter.var, vae: counter.vae, source },
      { quant: options.quant, createdBy: options.createdBy },
    );
  } catch (error) {
    // A cancel keeps what planning read so far (a reload keeps what the last periodic save held).
    if (signal?.aborted) await saveReads(true).catch(() => undefined);
    throw error;
  } finally {
    clearInterval(savingReads);
  }
  recording.var.recording = false;
  recording.vae.recording = false;
  await commit(plan, () => saveReads(true));
  const name = plan.manifest.name;
  counter.plannedFiles(plan.files.map((f) => f.path));
  const job = await openJob(ctx, plan, source, options.quant, cacheId);
  counter.done = job.record.tensorsDone;
  report({ name, packBytes: plan.totalBytes, tensorsTotal: counter.total, tensorsDone: counter.count() }, 'converting');

  return withFileLock(
    conversionLockName(job.record.id),
    async () => {
      // Under the job's lock: another tab that ran it meanwhile has changed what the spool holds.
      await spool.activate(job.record.id);
      // What an earlier run left: complete files, and the chunks of the file it was writing.
      let done = 0;
      for (const [i, file] of plan.files.entries()) {
        const sha = job.record.files[i]?.sha256;
        if (sha) done += await storedFileBytes(ctx.store, { path: file.path, bytes: file.byteLength, sha256: sha });
        else done += await storedFileBytes(ctx.store, tempFile(job.record, i, file));
      }
      const resumedBytes = done;
      report({ resumedBytes, packBytesDone: done });
      await assertRoomFor(plan.manifest.label, plan.totalBytes - done, ctx.estimate ?? browserEstimator);

      const files: PackFile[] = [];
      let before = 0;
      for (const [i, file] of plan.files.entries()) {
        const written = await convertFile(
          ctx,
          job,
          spool,
          i,
          file,
          signal,
          () => counter.count(),
          (fileDone) => {
            report({
              file: file.path,
              fileBytesDone: fileDone,
              fileBytes: file.byteLength,
              packBytesDone: before + fileDone,
              tensorsDone: counter.count(),
            });
          },
        );
        files.push(written);
        before += file.byteLength;
      }
      report({ file: MANIFEST_FILE, fileBytesDone: 0, fileBytes: 0, tensorsDone: counter.count() }, 'writing');
      const manifest = parsePackManifest({ ...plan.manifest, files }, `${name}/${MANIFEST_FILE}`);
      const replaced = await ctx.store.getManifest(name);
      await commit(plan, () => ctx.store.putManifest(convertedPackUrl(name), manifest));
      // The kept checkpoint bytes go before the record: a tab closed in between leaves a record to list and delete.
      await spool.clear();
      if (cacheId) await ctx.store.deleteReadCache(cacheId);
      await ctx.store.deleteConversion(job.record.id);
      // A pack of the same name converted before (other inputs or options): its files no manifest lists now go.
      if (replaced) await collectGarbage(ctx.store, ctx.locks);
      return { manifest, packUrl: convertedPackUrl(name), resumedBytes };
    },
    ctx.locks,
    signal,
  );
}

interface Job {
  record: ConversionRecord;
  save(change: Partial<ConversionRecord>): Promise<void>;
}

async function openJob(
  ctx: StoreContext,
  plan: PackPlan,
  source: { readonly var: PackFile; readonly vae: PackFile },
  quant: QuantVariant,
  readCache: string | undefined,
): Promise<Job> {
  const identity = JSON.stringify({
    v: JOB_VERSION,
    var: source.var.sha256,
    vae: source.vae.sha256,
    quant,
    name: plan.manifest.name,
    files: plan.files.map((f) => [f.path, f.byteLength]),
  });
  const id = (await sha256Hex(new TextEncoder().encode(identity))).slice(0, 32);

  const existing = await ctx.store.getConversion(id);
  const record: ConversionRecord = existing ?? {
    id,
    name: plan.manifest.name,
    label: plan.manifest.label,
    files: plan.files.map((f) => ({ path: f.path, bytes: f.byteLength })),
    tempKeys: plan.files.map((_, i) => `convert-${id}-${i}`),
    tensorsDone: 0,
    updatedAt: Date.now(),
    ...(readCache ? { readCache } : {}),
  };
  const job: Job = {
    record,
    async save(change) {
      job.record = { ...job.record, ...change, updatedAt: Date.now() };
      await commit(plan, () => ctx.store.putConversion(job.record));
    },
  };
  if (!existing) await job.save({});
  return job;
}

async function jsonSha256(value: unknown): Promise<string> {
  return (await sha256Hex(new TextEncoder().encode(JSON.stringify(value)))).slice(0, 32);
}

function tempFile(record: ConversionRecord, index: number, file: PackOutputFile): PackFile {
  return { path: file.path, bytes: file.byteLength, sha256: record.tempKeys[index] as string };
}

/**
 * One pack file: complete already (a resumed job), or written from the chunk an earlier run stopped at. Chunks go
 * under the job's temporary key with the hasher state after each; once all are written, they move to the file's
 * sha256 (or are dropped when the store already holds that file: the same VQ-VAE converted for another depth).
 */
async function convertFile(
  ctx: StoreContext,
  job: Job,
  spool: ReadSpool,
  index: number,
  file: PackOutputFile,
  signal: AbortSignal | undefined,
  tensorsDone: () => number,
  onBytes: (done: number) => void,
): Promise<PackFile> {
  const { store } = ctx;
  const total = file.byteLength;
  const knownSha = job.record.files[index]?.sha256;
  if (knownSha && (await store.getFile(knownSha))?.bytes === total) {
    onBytes(total);
    return { path: file.path, bytes: total, sha256: knownSha };
  }
  const temp = tempFile(job.record, index, file);
  const chunkBytes = store.chunkBytes;
  const { index: chunk, hasher } = await resumePoint(store, temp);
  let position = Math.min(total, chunk * chunkBytes);
  onBytes(position);
  // Reads are tagged with where the file stands when they are made; what earlier files read is no longer needed.
  spool.cursor.file = index;
  spool.cursor.position = position;
  await spool.release(index, position);
  const writer = new ChunkWriter(
    total,
    chunkBytes,
    chunk,
    hasher,
    async (at, bytes, state) => {
      await commitChunk(file, total - at * chunkBytes, () => store.putChunk(temp.sha256, at, bytes, state));
      await job.save({ tensorsDone: tensorsDone() });
      await spool.release(index, (at + 1) * chunkBytes);
    },
    () => internal(file, 'produced more bytes than planned'),
  );
  for await (const piece of file.chunks(position)) {
    throwIfAborted(signal);
    await writer.write(piece);
    position += piece.byteLength;
    spool.cursor.position = position;
    onBytes(position);
  }
  if (position !== total || writer.pending !== 0)
    throw internal(file, `produced ${position} bytes, the plan said ${total}`);
  const sha256 = hasher.digest('hex');
  // Listed in the job before its chunks move, so a collection of unreferenced files in between keeps them.
  await job.save({ files: job.record.files.map((f, i) => (i === index ? { ...f, sha256 } : f)) });
  await withFileLock(
    sha256,
    async () => {
      if ((await store.getFile(sha256))?.bytes === total) {
        await store.deleteChunks(temp.sha256);
        return;
      }
      await store.deleteChunks(sha256);
      await store.moveChunks(temp.sha256, sha256);
      await commitChunk(file, 0, () => store.putFile({ sha256, bytes: total, chunkBytes, completedAt: Date.now() }));
    },
    ctx.locks,
    signal,
  );
  return { path: file.path, bytes: total, sha256 };
}

async function commitChunk(file: PackOutputFile, remaining: number, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (!isQuotaExceeded(error)) throw error;
    throw quotaError(file.path, remaining, 0, [], error);
  }
}

async function commit(plan: PackPlan, write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (!isQuotaExceeded(error)) throw error;
    throw quotaError(plan.manifest.label, 0, 0, [], error);
  }
}

/**
 * Counts the checkpoint tensors the plan reads (each once), of those it will read: every parameter of the VAR (not
 * its buffers), the VQ-VAE's decoder half and quantizer, and its encoder half when the pack has the encoder.
 */
class TensorCounter {
  readonly var: Checkpoint;
  readonly vae: Checkpoint;
  private readonly vaeNames: readonly string[];
  /** Read by earlier runs of the job. */
  done = 0;
  private readonly seen = new Set<string>();
  private readonly wanted = new Set<string>();

  constructor(varCkpt: Checkpoint, vaeCkpt: Checkpoint) {
    for (const name of varCkpt.tensors.keys()) {
      if (!VAR_BUFFER.test(name)) this.wanted.add(`var:${name}`);
    }
    this.vaeNames = [...vaeCkpt.tensors.keys()];
    for (const name of this.vaeNames) {
      if (VAE_READ.test(name)) this.wanted.add(`vae:${name}`);
    }
    this.var = this.wrap(varCkpt, 'var');
    this.vae = this.wrap(vaeCkpt, 'vae');
  }

  get total(): number {
    return this.wanted.size;
  }

  /** A pack with the VQ-VAE encoder (image editing) reads the encoder half too. */
  plannedFiles(paths: readonly string[]): void {
    if (!paths.includes('encoder.onnx')) return;
    for (const name of this.vaeNames) if (VAE_ENCODER.test(name)) this.wanted.add(`vae:${name}`);
  }

  count(): number {
    let read = 0;
    for (const key of this.seen) if (this.wanted.has(key)) read++;
    return Math.min(this.total, this.done + read);
  }

  private wrap(checkpoint: Checkpoint, prefix: string): Checkpoint {
    const tensors = new Map<string, TensorRef>();
    for (const [name, ref] of checkpoint.tensors) {
      const key = `${prefix}:${name}`;
      const note = <T>(value: T): T => {
        this.seen.add(key);
        return value;
      };
      tensors.set(name, {
        name: ref.name,
        dtype: ref.dtype,
        shape: ref.shape,
        numel: ref.numel,
        readBytes: async () => note(await ref.readBytes()),
        readFloat32: async () => note(await ref.readFloat32()),
        readInt: async () => note(await ref.readInt()),
      });
    }
    return { ...checkpoint, tensors };
  }
}

const VAR_BUFFER = /^(lvl_1L|attn_bias_for_masking)$|\.zero_k_bias$/;
const VAE_READ = /^(decoder\.|post_quant_conv\.|quantize\.(embedding|quant_resi)\.)/;
const VAE_ENCODER = /^(encoder\.|quant_conv\.)/;

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new VarError('E_ABORTED', 'The conversion was cancelled; what was written is kept');
}

function internal(file: PackOutputFile, what: string): VarError {
  return new VarError('E_INTERNAL', `${file.path}: ${what}`, { path: file.path });
}
