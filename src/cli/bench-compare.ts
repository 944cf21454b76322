// `npx tsx src/cli/bench-compare.ts --backend wasm|native --runs 3 <packA> <packB> …`: packs timed in one process,
// runs interleaved (A, B, A, B, …) so that load on a shared machine hits them alike; prints medians and ratios to A.

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_DEFAULTS } from '../core/generate/settings';
import { VarPipeline } from '../core/generate/var-pipeline';
import { type NodeBackendName, nodeBackend } from '../node/ort-backends';
import { openPackDir } from '../node/pack-dir';

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2
    ? (s[s.length >> 1] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

const { values, positionals } = parseArgs({
  args: process.argv.slice(2),
  allowPositionals: true,
  options: {
    backend: { type: 'string', default: 'wasm' },
    runs: { type: 'string', default: '3' },
    threads: { type: 'string' },
  },
});
const backend = await nodeBackend(
  values.backend as NodeBackendName,
  values.threads ? Number(values.threads) : undefined,
);
const packs = await Promise.all(
  positionals.map(async (dir) => ({ dir, pipeline: await VarPipeline.load(await openPackDir(resolve(dir)), backend) })),
);
const times = packs.map(() => ({ transformer: [] as number[], total: [] as number[] }));
for (let run = 0; run <= Number(values.runs); run++) {
  for (const [i, p] of packs.entries()) {
    const r = await p.pipeline.generate({ ...DEMO_DEFAULTS, labels: [run], seed: run });
    if (run === 0) continue; // warm-up
    times[i]?.transformer.push(r.scales.reduce((s, x) => s + x.transformerMs, 0));
    times[i]?.total.push(r.totalMs);
  }
}
const base = times[0] as { transformer: number[]; total: number[] };
for (const [i, p] of packs.entries()) {
  const t = times[i] as { transformer: number[]; total: number[] };
  console.log(
    `${p.pipeline.manifest.label} [${p.pipeline.manifest.graphs.transformer.attention}] (${p.dir}) on ${backend.name}: ` +
      `transformer ${median(t.transformer).toFixed(0)} ms (×${(median(t.transformer) / median(base.transformer)).toFixed(2)}), ` +
      `total ${median(t.total).toFixed(0)} ms (×${(median(t.total) / median(base.total)).toFixed(2)})`,
  );
}
