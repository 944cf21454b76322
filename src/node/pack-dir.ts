// Model packs as folders on disk: an atomic writer (temp folder, manifest last, rename) and a verifying reader.

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { PackPlan } from '../core/pack/build-pack';
import { MANIFEST_FILE, type PackFile, type PackManifest } from '../core/pack/manifest';
import { isSafePackPath, parsePackManifest } from '../core/pack/pack-manifest-check';
import type { PackSource } from '../core/pack/pack-source';
import { VarError } from '../shared/errors';

/** Progress of writePack, reported after every chunk written. */
export interface PackWriteProgress {
  /** The file being written (relative path in the pack). */
  readonly file: string;
  readonly fileIndex: number;
  readonly fileCount: number;
  readonly fileBytesWritten: number;
  readonly fileBytes: number;
  readonly bytesWritten: number;
  readonly totalBytes: number;
  /** True on the report that completes `file`. */
  readonly fileDone: boolean;
}

export interface WritePackOptions {
  /** Replace an existing pack at outDir (only once the new one is complete). */
  readonly force?: boolean;
  readonly onProgress?: (progress: PackWriteProgress) => void;
  /** Aborting stops after the current chunk; the partial folder is removed (E_ABORTED). */
  readonly signal?: AbortSignal;
}

export interface WrittenPack {
  readonly dir: string;
  readonly manifest: PackManifest;
}

/**
 * Writes every file of `plan` into `<outDir>.partial-<random>` (sha256 computed while streaming), then manifest.json,
 * then renames the folder to outDir. A pack folder therefore either has a manifest that lists every file with its
 * size and hash, or it does not exist: an interrupted or failed convert leaves outDir as it was (a killed process
 * leaves only a `.partial-*` folder without a manifest, which no reader accepts).
 */
export async function writePack(plan: PackPlan, outDir: string, options: WritePackOptions = {}): Promise<WrittenPack> {
  const target = resolve(outDir);
  const replacing = await checkPackTarget(target, options.force ?? false);
  await mkdir(dirname(target), { recursive: true });
  const temp = `${target}.partial-${randomBytes(6).toString('hex')}`;
  await mkdir(temp);
  try {
    const files: PackFile[] = [];
    let bytesWritten = 0;
    for (const [fileIndex, file] of plan.files.entries()) {
      if (!isSafePackPath(file.path) || file.path === MANIFEST_FILE) {
        throw new VarError('E_INTERNAL', `pack plan names an unsafe or reserved path ${JSON.stringify(file.path)}`);
      }
      const report = (fileBytesWritten: number, fileDone: boolean): void =>
        options.onProgress?.({
          file: file.path,
          fileIndex,
          fileCount: plan.files.length,
          fileBytesWritten,
          fileBytes: file.byteLength,
          bytesWritten: bytesWritten + fileBytesWritten,
          totalBytes: plan.totalBytes,
          fileDone,
        });
      const path = join(temp, file.path);
      await mkdir(dirname(path), { recursive: true });
      const hash = createHash('sha256');
      const handle = await open(path, 'wx');
      let written = 0;
      try {
        report(0, false);
        for await (const chunk of file.chunks()) {
          throwIfAborted(options.signal);
          hash.update(chunk);
          // A FileHandle write may be partial; loop until the chunk is on disk.
          for (let done = 0; done < chunk.byteLength; ) {
            const { bytesWritten: n } = await handle.write(chunk, done, chunk.byteLength - done);
            done += n;
          }
          written += chunk.byteLength;
          report(written, false);
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (written !== file.byteLength) {
        throw new VarError('E_INTERNAL', `${file.path}: wrote ${written} bytes, the plan said ${file.byteLength}`);
      }
      report(written, true);
      bytesWritten += written;
      files.push({ path: file.path, bytes: written, sha256: hash.digest('hex') });
    }
    throwIfAborted(options.signal);
    const manifest = parsePackManifest({ ...plan.manifest, files }, `${basename(target)}/${MANIFEST_FILE}`);
    const manifestHandle = await open(join(temp, MANIFEST_FILE), 'wx');
    try {
      await manifestHandle.writeFile(manifestText(manifest));
      await manifestHandle.sync();
    } finally {
      await manifestHandle.close();
    }
    await moveIntoPlace(temp, target, replacing);
    return { dir: target, manifest };
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw asVarError(error);
  }
}

/**
 * E_PACK_EXISTS when outDir exists and `force` is off. With `force`, only an empty folder or a pack (it has a
 * manifest.json) is replaced: `--force --out ~` must not delete a home folder. Returns whether it will be replaced.
 */
export async function checkPackTarget(outDir: string, force: boolean): Promise<boolean> {
  const target = resolve(outDir);
  const info = await stat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw asVarError(error);
  });
  if (info === undefined) return false;
  if (!force) {
    throw new VarError(
      'E_PACK_EXISTS',
      `${target} already exists; choose another --out or pass --force to replace it`,
      {
        dir: target,
      },
    );
  }
  const entries = info.isDirectory() ? await readdir(target) : undefined;
  if (entries === undefined || (entries.length > 0 && !entries.includes(MANIFEST_FILE))) {
    throw new VarError(
      'E_PACK_EXISTS',
      `${target} exists and is not a model pack (no ${MANIFEST_FILE}); refusing to replace it even with --force`,
      { dir: target },
    );
  }
  return true;
}

/** Renames temp → target; an old pack is moved aside first and deleted only once the new one is in place. */
async function moveIntoPlace(temp: string, target: string, replacing: boolean): Promise<void> {
  if (!replacing) {
    await rename(temp, target);
    return;
  }
  const old = `${target}.old-${randomBytes(6).toString('hex')}`;
  await rename(target, old);
  try {
    await rename(temp, target);
  } catch (error) {
    await rename(old, target);
    throw error;
  }
  await rm(old, { recursive: true, force: true });
}

/** Pretty JSON with number arrays (patch_nums, ch_mult, dims) kept on one line, so people can read it. */
export function manifestText(manifest: PackManifest): string {
  const text = JSON.stringify(manifest, null, 2).replace(
    /\[\s*(-?\d[\d.e+-]*(?:\s*,\s*-?\d[\d.e+-]*)*)\s*\]/g,
    (_, inner: string) => `[${inner.split(/\s*,\s*/).join(', ')}]`,
  );
  return `${text}\n`;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new VarError('E_ABORTED', 'convert was interrupted; no pack was written');
}

function asVarError(error: unknown): unknown {
  if (VarError.isSerialized(error) || error instanceof VarError) return error;
  const e = error as NodeJS.ErrnoException;
  if (typeof e?.code === 'string' && typeof e.message === 'string') {
    return new VarError('E_IO', e.message, { code: e.code }, { cause: error });
  }
  return error;
}

/**
 * Opens a pack folder: reads and validates manifest.json. `file(path)` reads a listed file and verifies its size and
 * sha256 (E_PACK_CORRUPT naming the file) before returning it.
 */
export async function openPackDir(dir: string): Promise<PackSource> {
  const root = resolve(dir);
  const manifestPath = join(root, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new VarError(
        'E_PACK_MISSING',
        `no model pack at ${dir} (${MANIFEST_FILE} not found); make one with npm run convert`,
        { dir },
      );
    }
    throw asVarError(error);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new VarError('E_PACK_FORMAT', `${manifestPath} is not valid JSON: ${(error as Error).message}`, {
      where: manifestPath,
    });
  }
  const manifest = parsePackManifest(json, manifestPath);
  const listed = new Map(manifest.files.map((f) => [f.path, f]));
  return {
    manifest,
    async file(path: string): Promise<Uint8Array> {
      const entry = listed.get(path);
      if (entry === undefined) {
        throw new VarError('E_PACK_FORMAT', `${path} is not a file of the pack at ${dir} (not in its manifest)`);
      }
      let bytes: Buffer;
      try {
        bytes = await readFile(join(root, entry.path));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          throw corrupt(dir, entry, `is missing`);
        }
        throw asVarError(error);
      }
      if (bytes.byteLength !== entry.bytes) {
        throw corrupt(
          dir,
          entry,
          `has ${bytes.byteLength} bytes, the manifest says ${entry.bytes} (${bytes.byteLength < entry.bytes ? 'truncated' : 'too long'})`,
        );
      }
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      if (sha256 !== entry.sha256)
        throw corrupt(dir, entry, `does not match its sha256 (${sha256}, expected ${entry.sha256})`);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
  };
}

function corrupt(dir: string, entry: PackFile, problem: string): VarError {
  return new VarError(
    'E_PACK_CORRUPT',
    `${entry.path} in the pack at ${dir} ${problem}; re-convert the pack (npm run convert) or copy it again`,
    { dir, file: entry.path },
  );
}

/** Name, size and sha256 of a file (a source checkpoint), hashed as a stream. */
export async function describeFile(path: string, onBytes?: (bytes: number) => void): Promise<PackFile> {
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).byteLength;
      onBytes?.(bytes);
    }
  } catch (error) {
    throw new VarError('E_IO', `Cannot read ${path}: ${(error as Error).message}`, { path }, { cause: error });
  }
  return { path: basename(path), bytes, sha256: hash.digest('hex') };
}
