// `npm run bench -- --model <pack> [--backend wasm|native] [--runs 3] [--warmup 1] [--n 1] [--threads N] [--json f]`:
// times every part of a generation (a script, not a test: it prints figures and writes JSON for comparisons).

import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_DEFAULTS } from '../core/generate/settings';
import type { GenerateResult } from '../core/generate/var-pipeline';
import { VarPipeline } from '../core/generate/var-pipeline';
import { type NodeBackendName, nodeBackend } from '../node/ort-backends';
import { openPackDir } from '../node/pack-dir';
import { VarError } from '../shared/errors';

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

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', short: 'm' },
      backend: { type: 'string', default: 'wasm' },
      runs: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '1' },
      n: { type: 'string', default: '1' },
      threads: { type: 'string' },
      json: { type: 'string' },
    },
  });
  if (!values.model || (values.backend !== 'wasm' && values.backend !== 'native')) {
    console.error('usage: npm run bench -- --model <pack dir> [--backend wasm|native] [--runs 3] [--warmup 1] [--n 1]');
    process.exit(2);
  }
  const runs = Number(values.runs);
  const warmup = Number(values.warmup);
  const n = Number(values.n);
  const pack = await openPackDir(resolve(values.model));
  const backend = await nodeBackend(
    values.backend as NodeBackendName,
    values.threads ? Number(values.threads) : undefined,
  );
  const t0 = performance.now();
  const pipeline = await VarPipeline.load(pack, backend);
  const sessionMs = performance.now() - t0;

  const results: GenerateResult[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const r = await pipeline.generate({
      ...DEMO_DEFAULTS,
      labels: Array.from({ length: n }, (_, b) => (i * n + b) % 1000),
      seed: i,
    });
    if (i >= warmup) results.push(r);
  }
  await pipeline.release();

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
      attention: m.graphs.transformer.attention,
    },
    backend: backend.name,
    threads: values.threads ?? 'all',
    batch: n,
    runs,
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

  console.log(`${m.label} · ${backend.name} · batch ${n} · ${runs} runs (+${warmup} warm-up) · ms: median min max`);
  console.log(`session creation        ${sessionMs.toFixed(1).padStart(9)}`);
  for (const s of perScale) {
    console.log(
      `scale ${String(s.si).padStart(2)} ${`${s.pn}×${s.pn}`.padEnd(6)} transformer ${fmt(s.transformer)} | sampling ${fmt(s.sampling)} | quantizer ${fmt(s.quantizer)}`,
    );
  }
  console.log(`transformer (all)       ${fmt(summary.transformerMs)}`);
  console.log(`sampling (all)          ${fmt(summary.samplingMs)}`);
  console.log(`quantizer (all)         ${fmt(summary.quantizerMs)}`);
  console.log(`decode                  ${fmt(decode)}   (${(summary.decoderShare * 100).toFixed(0)} % of total)`);
  console.log(`time to first scale     ${fmt(summary.firstScaleMs)}`);
  console.log(`total                   ${fmt(total)}`);
  console.log(`per image               ${fmt(summary.perImageMs)}`);
  console.log(`peak RSS                ${summary.peakRssMB.toFixed(0).padStart(9)} MB`);
  if (values.json) await writeFile(values.json, `${JSON.stringify(summary, null, 2)}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof VarError ? `error ${error.code}: ${error.message}` : error);
  process.exit(1);
});
