// `npm run bench:gpu -- [--runs 3] [--variants d16-q4,d16-q4-b32,d20-q4] [--out bench-out/gpu]`: the engine's WebGPU
// path on a real GPU, outside a browser: onnxruntime-web's WebGPU (JSEP) build in Node, given an adapter by the
// `webgpu` package (Dawn for Node), over synthetic packs it converts itself. Prints the adapter, then per variant the
// per-scale times, decode, first preview and total per image (median of --runs after one warm-up).
//
// Needs: Node ≥ 20.19, `npm ci`, and a GPU with its driver (on Linux: Vulkan, i.e. libvulkan.so.1 and the vendor's
// ICD). With no hardware adapter (a machine without a GPU, or only a software one) it says so and exits with 2.

import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { InferenceBackend, OrtApi } from '../core/generate/backend';
import { DEMO_DEFAULTS } from '../core/generate/settings';
import { VarPipeline } from '../core/generate/var-pipeline';
import { openPackDir } from '../node/pack-dir';
import { runConvert } from './convert';

export interface BenchIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

interface Variant {
  readonly arch: string;
  readonly quant: string;
  /** 4-bit block (the q4 block size the quantization note left open). */
  readonly block?: number;
  /** `convert --activations float16`: the transformer's activations and KV cache in float16 (needs shader-f16). */
  readonly f16Activations?: boolean;
  /**
   * Sampling: 'demo' (DEMO_DEFAULTS, JS sampling: what the app does) or, with top-p off so that the sampler graph
   * applies, 'topk-js' (logits read back, sampled in JS) against 'topk-graph' (VarPipeline sampleOn 'graph': CFG,
   * top-k and the draw on the GPU, only the ids read back). JSEP has no TopK kernel: ORT runs that one node on its
   * CPU EP, which copies the guided logits there; the comparison says what that leaves of the gain.
   */
  readonly sampling?: 'demo' | 'topk-js' | 'topk-graph';
}

/** The packs it can build and how it samples with them (variants of one pack share its folder). */
const VARIANTS: Readonly<Record<string, Variant>> = {
  'd16-q4': { arch: 'd16', quant: 'q4' },
  'd16-q4-b32': { arch: 'd16', quant: 'q4', block: 32 },
  'd20-q4': { arch: 'd20', quant: 'q4' },
  'd20-q4-b32': { arch: 'd20', quant: 'q4', block: 32 },
  'd16-q8': { arch: 'd16', quant: 'q8' },
  // float16 weights need the adapter's shader-f16; activations stay float32 (d16-q4-f16act has float16 ones).
  'd16-fp16': { arch: 'd16', quant: 'fp16' },
  // float16 activations and KV cache with 4-bit weights (fp16 scales): needs shader-f16; unmeasured so far.
  'd16-q4-f16act': { arch: 'd16', quant: 'q4', f16Activations: true },
  // Sampling on the GPU vs reading back logits, same pack and settings (cfg 4, top-k 900, top-p 0); unmeasured.
  'd16-q4-topk': { arch: 'd16', quant: 'q4', sampling: 'topk-js' },
  'd16-q4-gpusample': { arch: 'd16', quant: 'q4', sampling: 'topk-graph' },
};

/** The folder name of a variant's pack: sampling variants reuse the pack of the same build options. */
function packKey(spec: Variant): string {
  return `${spec.arch}-${spec.quant}${spec.block ? `-b${spec.block}` : ''}${spec.f16Activations ? '-a16' : ''}`;
}

interface Adapter {
  readonly gpu: GPU;
  readonly adapter: GPUAdapter;
  readonly name: string;
}

/** A hardware WebGPU adapter from Dawn, or why there is none. */
export async function findHardwareAdapter(): Promise<Adapter | { readonly reason: string }> {
  let webgpu: typeof import('webgpu');
  try {
    webgpu = await import('webgpu');
  } catch (error) {
    return { reason: `the webgpu package (Dawn for Node) did not load: ${(error as Error).message}` };
  }
  const gpu = webgpu.create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
  if (!adapter) {
    return {
      reason: 'Dawn found no adapter (no GPU, or no Vulkan/Metal/D3D12 driver: on Linux, libvulkan.so.1 and an ICD)',
    };
  }
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const name = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unnamed';
  if (info.isFallbackAdapter) return { reason: `only a software adapter (${name}): its figures say nothing of a GPU` };
  Object.assign(globalThis, webgpu.globals);
  return { gpu, adapter, name };
}

/** onnxruntime-web's JSEP build (WebGPU + WASM) loaded in Node, running on `adapter`. */
async function ortOnAdapter(found: Adapter): Promise<OrtApi> {
  const require = createRequire(import.meta.url);
  const dist = join(dirname(require.resolve('onnxruntime-web/package.json')), 'dist');
  // The package's "node" export is the WASM-only build; the browser bundle has the WebGPU EP.
  const ort = (await import(pathToFileURL(join(dist, 'ort.mjs')).href)) as typeof import('onnxruntime-web');
  if (!('navigator' in globalThis)) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true });
  Object.defineProperty(globalThis.navigator, 'gpu', { value: found.gpu, configurable: true });
  ort.env.wasm.wasmPaths = `${pathToFileURL(dist).href}/`;
  ort.env.webgpu.adapter = found.adapter;
  return ort as unknown as OrtApi;
}

async function ensurePack(out: string, variant: string, io: BenchIo): Promise<string> {
  const spec = VARIANTS[variant];
  if (!spec) throw new Error(`unknown variant ${variant} (known: ${Object.keys(VARIANTS).join(', ')})`);
  const dir = join(out, packKey(spec));
  if (existsSync(join(dir, 'manifest.json'))) return dir;
  io.stdout.write(`building ${variant} (synthetic ${spec.arch}, --quant ${spec.quant}) in ${dir}…\n`);
  const argv = ['--synthetic', spec.arch, '--quant', spec.quant, '--out', dir, '--force'];
  if (spec.block) argv.push('--q4-block', String(spec.block));
  if (spec.f16Activations) argv.push('--activations', 'float16');
  let errors = '';
  const code = await runConvert(argv, {
    stdout: { write: () => true },
    stderr: { write: (t: string) => (errors += t) },
  });
  if (code !== 0) throw new Error(`convert failed: ${errors}`);
  return dir;
}

const median = (v: readonly number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** Returns the exit code: 0 measured, 1 error, 2 no hardware WebGPU adapter (or bad arguments). */
export async function runBenchGpu(argv: readonly string[], io: BenchIo): Promise<number> {
  let values: { runs?: string; variants?: string; out?: string };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        runs: { type: 'string', default: '3' },
        variants: { type: 'string', default: 'd16-q4,d16-q4-b32,d20-q4' },
        out: { type: 'string', default: 'bench-out/gpu' },
      },
    }));
  } catch (error) {
    io.stderr.write(`bench:gpu: ${(error as Error).message}\n`);
    return 2;
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    io.stderr.write(`bench:gpu: --runs must be an integer ≥ 1, got "${values.runs}"\n`);
    return 2;
  }
  const found = await findHardwareAdapter();
  if ('reason' in found) {
    io.stderr.write(`bench:gpu: no WebGPU adapter to measure: ${found.reason}.\n`);
    return 2;
  }
  io.stdout.write(`adapter: ${found.name} (shader-f16: ${found.adapter.features.has('shader-f16') ? 'yes' : 'no'})\n`);
  const ort = await ortOnAdapter(found);
  const backend: InferenceBackend = { name: 'webgpu', ort, executionProviders: ['webgpu'], deviceResident: true };
  const out = resolve(values.out ?? 'bench-out/gpu');
  await mkdir(out, { recursive: true });
  for (const variant of (values.variants ?? '').split(',').filter(Boolean)) {
    const spec = VARIANTS[variant];
    if ((spec?.quant === 'fp16' || spec?.f16Activations) && !found.adapter.features.has('shader-f16')) {
      const what = spec.f16Activations ? 'float16 activations' : 'float16 weights';
      io.stdout.write(`${variant}: skipped, the adapter has no shader-f16 (${what} would compute zeros)\n`);
      continue;
    }
    const dir = await ensurePack(out, variant, io);
    const sampling = spec?.sampling ?? 'demo';
    const sampleOn = sampling === 'topk-graph' ? 'graph' : 'js';
    const settings = sampling === 'demo' ? DEMO_DEFAULTS : { ...DEMO_DEFAULTS, topP: 0 };
    const pipeline = await VarPipeline.load(await openPackDir(dir), backend, { sampleOn });
    try {
      const totals: number[] = [];
      const decodes: number[] = [];
      const previews: number[] = [];
      const perScale: number[][] = [];
      for (let i = 0; i <= runs; i++) {
        const scales: number[] = [];
        let previewMs = 0;
        const t0 = performance.now();
        const result = await pipeline.generate(
          { labels: [207], ...settings, moreSmooth: false, seed: i },
          {
            onScale: async (e) => {
              scales.push(e.timings.transformerMs + e.timings.samplingMs + e.timings.quantizerMs);
              if (e.si === 0) {
                await e.decodePreview(1);
                previewMs = performance.now() - t0;
              }
            },
          },
        );
        if (i === 0) continue; // warm-up: shader compilation
        if (result.sampledOn !== sampleOn)
          throw new Error(`${variant} sampled in ${result.sampledOn}, not ${sampleOn}`);
        totals.push(result.totalMs);
        decodes.push(result.decodeMs);
        previews.push(previewMs);
        perScale.push(scales);
      }
      const scaleMedians = (perScale[0] ?? []).map((_, si) => median(perScale.map((s) => s[si] ?? 0)));
      io.stdout.write(
        `${variant}: total ${median(totals).toFixed(0)} ms, decode ${median(decodes).toFixed(0)} ms, first preview ${median(previews).toFixed(0)} ms (median of ${runs})\n` +
          `  per scale (ms): ${scaleMedians.map((m) => m.toFixed(1)).join(' · ')}\n`,
      );
    } finally {
      await pipeline.release();
    }
  }
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runBenchGpu(process.argv.slice(2), process).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
