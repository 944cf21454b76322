// `npm run bench:browser -- [--model tiny] [--backend wasm,webgpu] [--runs 3] [--smoke] [--json f]`: the figures of
// `npm run bench` measured inside the engine worker in headless Chromium (Debian's chromium, as the e2e tests use).
// Builds nothing: run `npm run build:e2e` first (the test build in dist-e2e/: the app, the lab page, all packs).

import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { GenerateParams } from '../shared/engine-api';
import { withLabPage } from '../testing/lab/lab-server';

const PORT = 4179;

interface RunFigures {
  readonly sessionMs: number;
  readonly firstPreviewMs: number;
  readonly decodeMs: number;
  readonly totalMs: number;
  readonly scaleMs: readonly number[];
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      model: { type: 'string', default: 'tiny' },
      backend: { type: 'string', default: 'wasm,webgpu' },
      runs: { type: 'string', default: '3' },
      smoke: { type: 'boolean', default: false },
      json: { type: 'string' },
    },
  });
  const runs = values.smoke ? 1 : Number(values.runs);
  // Smoke: one generation per variant, the first (session creation included) counted.
  const iterations = values.smoke ? 1 : runs + 1;
  const backends = (values.backend ?? '')
    .split(',')
    .filter((b): b is 'wasm' | 'webgpu' => b === 'wasm' || b === 'webgpu');
  const report: Record<string, unknown>[] = [];
  await withLabPage(PORT, async (page) => {
    for (const backend of backends) {
      const variants = [
        { key: 'none', previews: false },
        { key: 'budget', previews: true },
      ] as const;
      const figures = new Map<string, RunFigures[]>(variants.map((v) => [v.key, []]));
      // A first run loads the pack and creates the sessions; it is reported as session creation, not timed further.
      for (let i = 0; i < iterations; i++) {
        for (const variant of variants) {
          const params: GenerateParams = {
            modelId: values.model as string,
            classId: (i * 7) % 1000,
            count: 1,
            seed: i,
            cfg: 4,
            topK: 900,
            topP: 0.95,
            moreSmooth: false,
            backend,
            previews: variant.previews,
          };
          // A source string, not a function: tsx compiles this file with esbuild's keepNames, whose __name helper
          // would be missing inside the page ("ReferenceError: __name is not defined").
          const run = (await page.evaluate(`(async (p) => {
            const scaleMs = [];
            const r = await window.varEngine.generate(p, { onScale: (u) => { scaleMs.push(u.scaleMs); } });
            return { ...r.timings, scaleMs, backend: r.backend };
          })(${JSON.stringify(params)})`)) as RunFigures & { backend: string };
          if (run.backend !== backend) throw new Error(`asked for ${backend}, the engine ran ${run.backend}`);
          if (i > 0 || values.smoke) figures.get(variant.key)?.push(run);
        }
      }
      const w = figures.get('budget') ?? [];
      const baseline = median((figures.get('none') ?? []).map((r) => r.totalMs));
      const cost = (key: string) => median((figures.get(key) ?? []).map((r) => r.totalMs)) / baseline - 1;
      const row = {
        model: values.model,
        backend,
        runs: w.length,
        sessionMs: w[0]?.sessionMs ?? 0,
        firstPreviewMs: median(w.map((r) => r.firstPreviewMs)),
        decodeMs: median(w.map((r) => r.decodeMs)),
        totalMs: median(w.map((r) => r.totalMs)),
        totalWithoutPreviewsMs: baseline,
        previewCost: cost('budget'),
        perScaleMs: (w[0]?.scaleMs ?? []).map((_, si) => median(w.map((r) => r.scaleMs[si] ?? 0))),
      };
      report.push(row);
      console.log(
        `${row.model} · ${backend} · ${row.runs} runs: session ${row.sessionMs.toFixed(0)} ms, first preview ${row.firstPreviewMs.toFixed(0)} ms, ` +
          `decode ${row.decodeMs.toFixed(0)} ms, total ${row.totalMs.toFixed(0)} ms; without previews ${row.totalWithoutPreviewsMs.toFixed(0)} ms; ` +
          (values.smoke
            ? 'smoke: single cold runs, preview cost not measured'
            : `previews cost ${(row.previewCost * 100).toFixed(0)} %`),
      );
      console.log(`  per scale (ms, model work only): ${row.perScaleMs.map((m) => m.toFixed(0)).join(' · ')}`);
    }
  });
  if (values.json) await writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
