// `npm run convert`: official checkpoints (or a synthetic architecture) → a model pack folder, with progress on stderr.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { AttentionKind } from '../core/graphs/var-transformer';
import { DEFAULT_SYNTHETIC_SEED, type PackPlan, planPack, readCheckpointPair } from '../core/pack/build-pack';
import { MANIFEST_FILE, type QuantVariant, type SyntheticArchitecture } from '../core/pack/manifest';
import { SYNTHETIC_ARCHITECTURES } from '../core/pack/synthetic';
import { openCheckpoint } from '../core/pth/checkpoint';
import { DEFAULT_Q4_BLOCK_SIZE, QUANT_VARIANTS } from '../core/weight-quant/quant-variants';
import type { ActivationType } from '../core/weight-quant/weight-encoding';
import { FileByteSource } from '../node/file-byte-source';
import { checkPackTarget, describeFile, type PackWriteProgress, type WrittenPack, writePack } from '../node/pack-dir';
import { VarError } from '../shared/errors';

export const USAGE = `usage:
  npm run convert -- --var <var_dXX.pth> --vae <vae_ch160v4096z32.pth> --out <dir> [options]
  npm run convert -- --synthetic d16|d20|d24|d30|micro --out <dir> [--seed N] [options]

options:
  --attention matmul|mha   attention form of the transformer graph (default matmul)
  --quant q4|q8|fp16|none  weight storage (default none = float32): q4 = transformer 4-bit + decoder 8-bit (what the
                           browser ships), q8 = both 8-bit, fp16 = float16 weights (needs shader-f16 on WebGPU)
  --q4-block <n>           4-bit block size, a power of 2 ≥ 16 (default ${DEFAULT_Q4_BLOCK_SIZE})
  --q4-zero-points         asymmetric 4-bit blocks with a zero point each (default symmetric)
  --activations float32|float16
                           the transformer's activations and KV cache (default float32); float16 (q4 or fp16 only)
                           needs shader-f16 on WebGPU and adds "-a16" to the pack name
  --name <id>              pack name (default var_d<depth> or synthetic-<arch>)
  --label <text>           what the model picker shows (default "VAR-d16 (310M)", "Synthetic d16 (random weights)")
  --random-weights         mark a checkpoint pack as random weights (test fixtures)
  --seed <n>               seed of a synthetic pack's weights (default ${DEFAULT_SYNTHETIC_SEED})
  --force                  replace an existing pack at --out (once the new one is complete)
  --verbose                also print peak memory (RSS) and stack traces
  -h, --help               this text`;

/** Where the CLI writes; a test passes its own. */
export interface ConvertIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  readonly signal?: AbortSignal;
  /** Called once the pack files start being written (after validation and planning). */
  readonly onWriting?: () => void;
}

class UsageError extends Error {}

interface ConvertArgs {
  readonly var?: string;
  readonly vae?: string;
  readonly synthetic?: SyntheticArchitecture;
  readonly out: string;
  readonly attention: AttentionKind;
  readonly quant: QuantVariant;
  readonly q4BlockSize?: number;
  readonly q4ZeroPoints: boolean;
  readonly activations: ActivationType;
  readonly name?: string;
  readonly label?: string;
  readonly randomWeights: boolean;
  readonly seed?: number;
  readonly force: boolean;
  readonly verbose: boolean;
}

function parse(argv: readonly string[]): ConvertArgs | 'help' {
  let values: ReturnType<typeof parseOptions>;
  try {
    values = parseOptions(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const synthetic = values.synthetic;
  if (synthetic !== undefined && !SYNTHETIC_ARCHITECTURES.includes(synthetic as SyntheticArchitecture)) {
    throw new UsageError(`--synthetic must be one of ${SYNTHETIC_ARCHITECTURES.join(', ')}, got "${synthetic}"`);
  }
  if (synthetic !== undefined && (values.var !== undefined || values.vae !== undefined)) {
    throw new UsageError('give either --synthetic or --var and --vae, not both');
  }
  if (synthetic === undefined && (values.var === undefined || values.vae === undefined)) {
    throw new UsageError('give --var and --vae (the two checkpoints), or --synthetic <architecture>');
  }
  if (values.out === undefined) throw new UsageError('--out <dir> is required');
  if (values.attention !== 'matmul' && values.attention !== 'mha') {
    throw new UsageError(`--attention must be matmul or mha, got "${values.attention}"`);
  }
  if (!QUANT_VARIANTS.includes(values.quant as QuantVariant)) {
    throw new UsageError(`--quant must be one of ${QUANT_VARIANTS.join(', ')}, got "${values.quant}"`);
  }
  let q4BlockSize: number | undefined;
  if (values['q4-block'] !== undefined || values['q4-zero-points']) {
    if (values.quant !== 'q4') throw new UsageError('--q4-block and --q4-zero-points apply to --quant q4 only');
  }
  if (values['q4-block'] !== undefined) {
    q4BlockSize = Number(values['q4-block']);
    if (!/^\d+$/.test(values['q4-block']) || q4BlockSize < 16 || (q4BlockSize & (q4BlockSize - 1)) !== 0) {
      throw new UsageError(`--q4-block must be a power of 2 ≥ 16, got "${values['q4-block']}"`);
    }
  }
  if (values.activations !== 'float32' && values.activations !== 'float16') {
    throw new UsageError(`--activations must be float32 or float16, got "${values.activations}"`);
  }
  if (values.activations === 'float16' && values.quant !== 'q4' && values.quant !== 'fp16') {
    throw new UsageError('--activations float16 applies to --quant q4 or fp16 only');
  }
  let seed: number | undefined;
  if (values.seed !== undefined) {
    if (synthetic === undefined) throw new UsageError('--seed applies to --synthetic packs only');
    seed = Number(values.seed);
    if (!/^\d+$/.test(values.seed) || !(seed <= 0xffffffff)) {
      throw new UsageError(`--seed must be an integer in [0, 4294967295], got "${values.seed}"`);
    }
  }
  return {
    var: values.var,
    vae: values.vae,
    synthetic: synthetic as SyntheticArchitecture | undefined,
    out: values.out,
    attention: values.attention,
    quant: values.quant as QuantVariant,
    q4BlockSize,
    q4ZeroPoints: values['q4-zero-points'],
    activations: values.activations,
    name: values.name,
    label: values.label,
    randomWeights: values['random-weights'],
    seed,
    force: values.force,
    verbose: values.verbose,
  };
}

function parseOptions(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      var: { type: 'string' },
      vae: { type: 'string' },
      synthetic: { type: 'string' },
      out: { type: 'string' },
      attention: { type: 'string', default: 'matmul' },
      quant: { type: 'string', default: 'none' },
      'q4-block': { type: 'string' },
      'q4-zero-points': { type: 'boolean', default: false },
      activations: { type: 'string', default: 'float32' },
      name: { type: 'string' },
      label: { type: 'string' },
      'random-weights': { type: 'boolean', default: false },
      seed: { type: 'string' },
      force: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
}

/** Runs the command; returns the exit code (0 ok, 1 error, 2 usage, 130 interrupted). */
export async function runConvert(argv: readonly string[], io: ConvertIo): Promise<number> {
  let args: ConvertArgs | 'help';
  try {
    args = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`error: ${error.message}\n${USAGE}\n`);
    return 2;
  }
  if (args === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    await convert(args, io);
    return 0;
  } catch (error) {
    const e = VarError.isSerialized(error) ? error : undefined;
    io.stderr.write(`error ${e ? e.code : 'E_INTERNAL'}: ${e ? e.message : String(error)}\n`);
    if (args.verbose && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return e?.code === 'E_ABORTED' ? 130 : 1;
  }
}

async function convert(args: ConvertArgs, io: ConvertIo): Promise<void> {
  const started = performance.now();
  // Fail before hashing a GB of checkpoint when the answer is already known.
  await checkPackTarget(args.out, args.force);
  const options = {
    attention: args.attention,
    quant: args.quant,
    q4BlockSize: args.q4BlockSize,
    q4ZeroPoints: args.q4ZeroPoints || undefined,
    activations: args.activations === 'float16' ? ('float16' as const) : undefined,
    name: args.name,
    label: args.label,
    randomWeights: args.randomWeights || undefined,
    createdBy: `var-web ${packageVersion()} (convert)`,
  };
  if (args.synthetic !== undefined) {
    const plan = await planPack({ kind: 'synthetic', architecture: args.synthetic, seed: args.seed }, options);
    await write(plan, args, io, started);
    return;
  }
  const varFile = await FileByteSource.open(args.var as string);
  try {
    const vaeFile = await FileByteSource.open(args.vae as string);
    try {
      const varCkpt = await openCheckpoint(varFile);
      const vaeCkpt = await openCheckpoint(vaeFile);
      // Kinds, keys, shapes and the pair check first: a wrong file is reported before it is hashed.
      await readCheckpointPair(varCkpt, vaeCkpt);
      io.stderr.write(`hashing ${varFile.name} and ${vaeFile.name} (sha256 for the manifest)…\n`);
      const source = { var: await describeFile(varFile.path), vae: await describeFile(vaeFile.path) };
      const plan = await planPack({ kind: 'checkpoints', var: varCkpt, vae: vaeCkpt, source }, options);
      await write(plan, args, io, started);
    } finally {
      await vaeFile.close();
    }
  } finally {
    await varFile.close();
  }
}

async function write(plan: PackPlan, args: ConvertArgs, io: ConvertIo, started: number): Promise<void> {
  const m = plan.manifest;
  io.stderr.write(
    `converting ${m.name} (${m.label}) → ${resolve(args.out)}: ${plan.files.length} files, ${mb(plan.totalBytes)} MB\n`,
  );
  const bar = new ProgressBar(io.stderr);
  io.onWriting?.();
  let written: WrittenPack;
  try {
    written = await writePack(plan, args.out, {
      force: args.force,
      signal: io.signal,
      onProgress: (p) => bar.update(p),
    });
  } finally {
    bar.finish(); // ends the redrawn line, so an error message starts on its own
  }
  const seconds = (performance.now() - started) / 1000;
  const writeSeconds = bar.elapsedSeconds();
  const width = Math.max(...written.manifest.files.map((f) => f.path.length), MANIFEST_FILE.length);
  const lines = [
    `pack ${written.dir}`,
    `  name ${m.name}, label "${m.label}"${m.randomWeights ? ', random weights' : ''}`,
    `  ${m.var.depth} blocks × width ${m.var.width}, patch_nums ${m.patchNums.join(',')} → ${m.imageSize}×${m.imageSize} px, attention ${m.graphs.transformer.attention}`,
    `  weights: transformer ${m.graphs.transformer.weights}, decoder ${m.graphs.decoder.weights} (--quant ${m.quant ?? 'none'})${m.requires?.length ? `; requires ${m.requires.join(', ')} on WebGPU` : ''}`,
    ...written.manifest.files.map(
      (f) =>
        `  ${f.path.padEnd(width)}  ${(f.bytes / 1e6).toFixed(3).padStart(12)} MB  sha256 ${f.sha256.slice(0, 12)}…`,
    ),
    `  ${MANIFEST_FILE.padEnd(width)}  (written last)`,
    `  total ${mb(plan.totalBytes)} MB in ${written.manifest.files.length} files, ${seconds.toFixed(1)} s (writing ${writeSeconds.toFixed(1)} s, ${(plan.totalBytes / 1e6 / Math.max(writeSeconds, 1e-3)).toFixed(1)} MB/s)`,
  ];
  if (args.verbose) lines.push(`  peak RSS ${mb(process.resourceUsage().maxRSS * 1024)} MB`);
  io.stdout.write(`${lines.join('\n')}\n`);
}

/** Bytes written / total, percent, MB/s and the current file: redrawn in place on a TTY, a line per file otherwise. */
class ProgressBar {
  private readonly start = performance.now();
  private lastDraw = 0;
  private drawn = false;
  private end: number | undefined;

  constructor(private readonly out: ConvertIo['stderr']) {}

  update(p: PackWriteProgress): void {
    const now = performance.now();
    const rate = p.bytesWritten / 1e6 / Math.max((now - this.start) / 1000, 1e-3);
    if (this.out.isTTY) {
      if (now - this.lastDraw < 100 && !(p.fileDone && p.fileIndex === p.fileCount - 1)) return;
      this.lastDraw = now;
      const fraction = p.totalBytes > 0 ? p.bytesWritten / p.totalBytes : 1;
      const filled = Math.round(fraction * 30);
      this.out.write(
        `\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(30 - filled)}] ${(100 * fraction).toFixed(1).padStart(5)}%  ${mb(p.bytesWritten)}/${mb(p.totalBytes)} MB  ${rate.toFixed(1)} MB/s  ${p.file}`,
      );
      this.drawn = true;
    } else if (p.fileDone) {
      this.out.write(
        `  [${p.fileIndex + 1}/${p.fileCount}] ${p.file}  ${mb(p.fileBytes)} MB  (${((100 * p.bytesWritten) / Math.max(p.totalBytes, 1)).toFixed(0)}% of ${mb(p.totalBytes)} MB, ${rate.toFixed(1)} MB/s)\n`,
      );
    }
  }

  finish(): void {
    this.end = performance.now();
    if (this.drawn) this.out.write('\n');
  }

  elapsedSeconds(): number {
    return ((this.end ?? performance.now()) - this.start) / 1000;
  }
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '?';
  } catch {
    return '?';
  }
}

/** Ctrl-C while files are being written removes the partial folder (writePack); before that nothing exists yet. */
async function main(): Promise<void> {
  const controller = new AbortController();
  let writing = false;
  let signals = 0;
  // Ctrl-C reaches npm, tsx and this process at once (and tsx relays it again), so one press can arrive twice:
  // exiting on the second would skip the clean-up. Only a third signal exits at once.
  const interrupt = (): void => {
    signals++;
    if (!writing) process.exit(130);
    if (signals === 1) {
      process.stderr.write('\ninterrupted: removing the partial pack…\n');
      controller.abort();
    } else if (signals >= 3) {
      process.exit(130);
    }
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  process.exitCode = await runConvert(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    signal: controller.signal,
    onWriting: () => {
      writing = true;
    },
  });
  process.off('SIGINT', interrupt);
  process.off('SIGTERM', interrupt);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`error E_INTERNAL: ${String(error)}\n`);
    process.exitCode = 1;
  });
}
