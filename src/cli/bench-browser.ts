// `npm run bench:browser -- [--model tiny] [--backend wasm,webgpu] [--runs 3] [--smoke] [--edit] [--models-dir d] [--json f]`:
// the figures of `npm run bench` measured inside the engine worker in headless Chromium (Debian's chromium, as the e2e
// tests use), and the model store's: cold load (download + verify + store in IndexedDB), warm load (read back from
// IndexedDB + verify) and session creation, each apart. Builds nothing: run `npm run build:e2e` first (the test build
// in dist-e2e/: the app, the lab page, all packs). `--models-dir` serves the packs of a folder instead (e.g. a pack
// from `npm run convert -- --synthetic d16 --quant q4 --out bench-out/models/synthetic-d16-q4`) from a local server.
// `--edit` times edits instead (issue 16: in-painting a centre box of a 256 px gradient, demo sampling): encode
// (encoder + tokenizer) and total per edit.

import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from '@playwright/test';
import type { GenerateParams } from '../shared/engine-api';
import { withLabPage } from '../testing/lab/lab-server';
import { type RangeServer, serveFolder, startRangeServer } from '../testing/store/range-server';

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
      'models-dir': { type: 'string' },
      edit: { type: 'boolean', default: false },
      json: { type: 'string' },
    },
  });
  const models = values['models-dir'] ? await serveModels(values['models-dir']) : undefined;
  const runs = values.smoke ? 1 : Number(values.runs);
  // Smoke: one generation per variant, the first (session creation included) counted.
  const iterations = values.smoke ? 1 : runs + 1;
  const backends = (values.backend ?? '')
    .split(',')
    .filter((b): b is 'wasm' | 'webgpu' => b === 'wasm' || b === 'webgpu');
  const report: Record<string, unknown>[] = [];
  const work = async (page: Page) => {
    for (const backend of backends) {
      const load = await loadFigures(page, values.model as string, backend, models?.url);
      report.push({ ...load });
      console.log(
        `${load.model} · ${backend} · load: cold ${load.coldPackMs.toFixed(0)} ms (download + verify + store ${(load.packBytes / 1e6).toFixed(1)} MB), ` +
          `warm ${load.warmPackMs.toFixed(0)} ms (read from IndexedDB + verify), session creation ${load.coldSessionMs.toFixed(0)} ms cold / ${load.warmSessionMs.toFixed(0)} ms warm`,
      );
      if (values.edit) {
        await editFigures(page, values.model as string, backend, iterations, values.smoke);
        continue;
      }
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
  };
  try {
    await withLabPage(PORT, work, models ? { modelsUrl: models.url } : {});
  } finally {
    await models?.server.close();
  }
  if (values.json) await writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`);
}

interface LoadFigures {
  readonly model: string;
  readonly backend: string;
  readonly packBytes: number;
  readonly coldPackMs: number;
  readonly coldSessionMs: number;
  readonly warmPackMs: number;
  readonly warmSessionMs: number;
}

/**
 * Cold: the model deleted from the store, a fresh engine, one generation (its pack phase = download + verify +
 * store). Warm: another fresh engine (nothing in memory, the store kept), one generation (pack phase = read + verify).
 */
async function loadFigures(page: Page, model: string, backend: string, modelsUrl?: string): Promise<LoadFigures> {
  // Source strings, not functions: see the note in main about esbuild's __name helper.
  const once = async () =>
    (await page.evaluate(`(async () => {
      const engine = window.varEngine;
      await engine.configureForTesting(${JSON.stringify(modelsUrl ? { modelsUrl } : {})});
      const r = await engine.generate(${JSON.stringify({ modelId: model, classId: 1, count: 1, seed: 0, cfg: 4, topK: 900, topP: 0.95, moreSmooth: false, backend, previews: false })});
      return r.timings;
    })()`)) as { packMs: number; sessionMs: number };
  const bytes = (await page.evaluate(`(async () => {
    const engine = window.varEngine;
    await engine.configureForTesting(${JSON.stringify(modelsUrl ? { modelsUrl } : {})});
    await engine.deleteModel(${JSON.stringify(model)});
    return (await engine.listModels()).find((m) => m.id === ${JSON.stringify(model)})?.bytes ?? 0;
  })()`)) as number;
  const cold = await once();
  const warm = await once();
  return {
    model,
    backend,
    packBytes: bytes,
    coldPackMs: cold.packMs,
    coldSessionMs: cold.sessionMs,
    warmPackMs: warm.packMs,
    warmSessionMs: warm.sessionMs,
  };
}

/** Edits (centre box of a gradient, class 207, demo sampling): median encode and total after one warm-up edit. */
async function editFigures(page: Page, model: string, backend: string, iterations: number, smoke: boolean) {
  const encode: number[] = [];
  const total: number[] = [];
  for (let i = 0; i < iterations; i++) {
    // A source string (see above: no __name helper in the page).
    const t = (await page.evaluate(`(async (p) => {
      const size = 256, image = new Uint8ClampedArray(size * size * 4), mask = new Uint8ClampedArray(size * size * 4);
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
        const k = (y * size + x) * 4, inside = x >= 64 && x < 192 && y >= 64 && y < 192 ? 255 : 0;
        image[k] = x; image[k + 1] = y; image[k + 2] = (x + y) >> 1; image[k + 3] = 255;
        mask[k] = mask[k + 1] = mask[k + 2] = inside; mask[k + 3] = 255;
      }
      const r = await window.varEngine.edit({ ...p, image: { width: size, height: size, data: image },
        mask: { width: size, height: size, data: mask } });
      return { ...r.timings, backend: r.backend };
    })(${JSON.stringify({ modelId: model, classId: 207, seed: 0, cfg: 4, topK: 900, topP: 0.95, moreSmooth: false, backend })})`)) as {
      encodeMs?: number;
      totalMs: number;
      backend: string;
    };
    if (t.backend !== backend) throw new Error(`asked for ${backend}, the engine ran ${t.backend}`);
    if (i > 0 || smoke) {
      encode.push(t.encodeMs ?? Number.NaN);
      total.push(t.totalMs);
    }
  }
  console.log(
    `${model} · ${backend} · edit · ${total.length} runs: encode ${median(encode).toFixed(0)} ms, total ${median(total).toFixed(0)} ms`,
  );
}

/** Serves every pack folder of `dir` (with a models index listing them) from a local server. */
async function serveModels(dir: string): Promise<{ server: RangeServer; url: string }> {
  const server = await startRangeServer();
  await serveFolder(server, dir, 'models/');
  const packs = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory() && server.files.has(`models/${e.name}/manifest.json`))
    .map((e) => e.name);
  server.files.set('models/index.json', new TextEncoder().encode(JSON.stringify({ packs })));
  console.log(`serving ${packs.join(', ')} from ${join(dir)} at ${server.url}models/`);
  return { server, url: `${server.url}models/` };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
