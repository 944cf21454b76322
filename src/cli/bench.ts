// `npm run bench -- --model <pack> [--backend wasm|native] [--runs 3] [--warmup 1] [--n 1] [--threads N] [--json f]
// [--smoke]`: times every part of a generation (a script, not a test: it prints figures and writes JSON for comparisons).

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEMO_DEFAULTS } from '../core/generate/settings';
import type { GenerateResult } from '../core/generate/var-pipeline';
import { VarPipeline } from '../core/generate/var-pipeline';
import { type NodeBackendName, nodeBackend } from '../node/ort-backends';
import { openPackDir } from '../node/pack-dir';
import { VarError } from '../shared/errors';

export const USAGE = `usage: npm run bench -- --model <pack dir> [--backend wasm|native] [--runs 3] [--warmup 1] [--n 1] [--threads N] [--json file] [--smoke]
  --backend wasm    onnxruntime-web's WASM EP (what the browser falls back to); native = onnxruntime-node's CPU EP
  --smoke           one run, no warm-up (CI: checks that the harness and the pack still work, in seconds)`;

interface Stat {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

function stat(values: readonly number[]): Stat {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median =
    sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number };
}

const fmt = (s: Stat) =>
  `${s.median.toFixed(1).padStart(9)} ${s.min.toFixed(1).padStart(9)} ${s.max.toFixed(1).padStart(9)}`;

export interface BenchIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

class UsageError extends Error {}

interface BenchArgs {
  readonly model: string;
  readonly backend: NodeBackendName;
  readonly runs: number;
  readonly warmup: number;
  readonly n: number;
  readonly threads?: number;
  readonly json?: string;
  readonly smoke: boolean;
}

function count(value: string, name: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

/** Runs the benchmark; returns the exit code (0 ok, 1 error, 2 usage). */
export async function runBench(argv: readonly string[], io: BenchIo): Promise<number> {
  let args: BenchArgs;
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        model: { type: 'string', short: 'm' },
        backend: { type: 'string', default: 'wasm' },
        runs: { type: 'string', default: '3' },
        warmup: { type: 'string', default: '1' },
        n: { type: 'string', default: '1' },
        threads: { type: 'string' },
        json: { type: 'string' },
        smoke: { type: 'boolean', default: false },
      },
    });
    if (!values.model) throw new UsageError('--model <pack dir> is required');
    if (values.backend !== 'wasm' && values.backend !== 'native') {
      throw new UsageError(`--backend must be wasm or native, got "${values.backend}"`);
    }
    args = {
      model: values.model,
      backend: values.backend,
      // --smoke: the least that still runs every part (session creation, every scale, the decode) once.
      runs: values.smoke ? 1 : count(values.runs, 'runs', 1),
      warmup: values.smoke ? 0 : count(values.warmup, 'warmup', 0),
      n: count(values.n, 'n', 1),
      threads: values.threads === undefined ? undefined : count(values.threads, 'threads', 1),
      json: values.json,
      smoke: values.smoke,
    };
  } catch (error) {
    io.stderr.write(`error: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  try {
    await bench(args, io);
    return 0;
  } catch (error) {
    const e = VarError.isSerialized(error) ? error : undefined;
    io.stderr.write(`error ${e ? e.code : 'E_INTERNAL'}: ${e ? e.message : String(error)}\n`);
    return 1;
  }
}

async function bench(args: BenchArgs, io: BenchIo): Promise<void> {
  const { runs, warmup, n } = args;
  const pack = await openPackDir(resolve(args.model));
  const backend = await nodeBackend(args.backend, args.threads);
  const t0 = performance.now();
  const pipeline = await VarPipeline.load(pack, backend);
  const sessionMs = performance.now() - t0;

  const results: GenerateResult[] = [];
  try {
    for (let i = 0; i < warmup + runs; i++) {
      const r = await pipeline.generate({
        ...DEMO_DEFAULTS,
        labels: Array.from({ length: n }, (_, b) => (i * n + b) % 1000),
        seed: i,
      });
      if (i >= warmup) results.push(r);
    }
  } finally {
    await pipeline.release();
  }

  const m = pack.manifest;
  const perScale = m.patchNums.map((pn, si) => ({
    si,
    pn,
    transformer: stat(results.map((r) => r.scales[si]?.transformerMs ?? 0)),
    sampling: stat(results.map((r) => r.scales[si]?.samplingMs ?? 0)),
    quantizer: stat(results.map((r) => r.scales[si]?.quantizerMs ?? 0)),
  }));
  const total = stat(results.map((r) => r.totalMs));
  const decode = stat(results.map((r) => r.decodeMs));
  const summary = {
    pack: {
      name: m.name,
      label: m.label,
      weights: m.graphs.transformer.weights,
      decoderWeights: m.graphs.decoder.weights,
      quant: m.quant ?? 'none',
      bytes: m.files.reduce((s, f) => s + f.bytes, 0),
      attention: m.graphs.transformer.attention,
    },
    backend: backend.name,
    runtime: runtimeName(backend.name, backend.ort),
    threads: args.threads ?? 'all',
    batch: n,
    runs,
    warmup,
    smoke: args.smoke,
    sessionMs,
    firstScaleMs: stat(results.map((r) => r.firstScaleMs)),
    transformerMs: stat(results.map((r) => r.scales.reduce((s, x) => s + x.transformerMs, 0))),
    samplingMs: stat(results.map((r) => r.scales.reduce((s, x) => s + x.samplingMs, 0))),
    quantizerMs: stat(results.map((r) => r.scales.reduce((s, x) => s + x.quantizerMs, 0))),
    decodeMs: decode,
    totalMs: total,
    perImageMs: stat(results.map((r) => r.totalMs / n)),
    decoderShare: decode.median / total.median,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    perScale,
  };

  const out = (line: string) => io.stdout.write(`${line}\n`);
  out(`${m.label} · ${backend.name} · batch ${n} · ${runs} runs (+${warmup} warm-up) · ms: median min max`);
  out(
    `runtime ${summary.runtime}; pack ${(summary.pack.bytes / 1e6).toFixed(1)} MB, weights transformer ${summary.pack.weights}, decoder ${summary.pack.decoderWeights}`,
  );
  out(`session creation        ${sessionMs.toFixed(1).padStart(9)}`);
  for (const s of perScale) {
    out(
      `scale ${String(s.si).padStart(2)} ${`${s.pn}×${s.pn}`.padEnd(6)} transformer ${fmt(s.transformer)} | sampling ${fmt(s.sampling)} | quantizer ${fmt(s.quantizer)}`,
    );
  }
  out(`transformer (all)       ${fmt(summary.transformerMs)}`);
  out(`sampling (all)          ${fmt(summary.samplingMs)}`);
  out(`quantizer (all)         ${fmt(summary.quantizerMs)}`);
  out(`decode                  ${fmt(decode)}   (${(summary.decoderShare * 100).toFixed(0)} % of total)`);
  out(`time to first scale     ${fmt(summary.firstScaleMs)}`);
  out(`total                   ${fmt(total)}`);
  out(`per image               ${fmt(summary.perImageMs)}`);
  out(`peak RSS                ${summary.peakRssMB.toFixed(0).padStart(9)} MB`);
  if (args.json) {
    await mkdir(dirname(resolve(args.json)), { recursive: true });
    await writeFile(args.json, `${JSON.stringify(summary, null, 2)}\n`);
  }
}

/** Which runtime ran, with its version: "onnxruntime-web 1.30.0 (WASM EP)" or "onnxruntime-node 1.30.0 (CPU EP)". */
function runtimeName(backend: string, ort: object): string {
  const versions = (ort as { env?: { versions?: Record<string, string> } }).env?.versions ?? {};
  return backend === 'native'
    ? `onnxruntime-node ${versions.node ?? '?'} (CPU EP)`
    : `onnxruntime-web ${versions.web ?? '?'} (WASM EP)`;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  runBench(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`error E_INTERNAL: ${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
