// The worker engine in Chromium: streamed coarse-to-fine updates, pixels equal to Node's `generate`, WebGPU vs WASM,
// cancel. Driven through the engine client the app uses (exposed on the lab page), against the built-in packs.
import { expect, type Page, test } from '@playwright/test';
import type { GenerateRequest } from '../src/core/generate/var-pipeline';
import { VarPipeline } from '../src/core/generate/var-pipeline';
import { nodeBackend } from '../src/node/ort-backends';
import { openPackDir } from '../src/node/pack-dir';
import type { GenerateParams } from '../src/shared/engine-api';
import { DEMO_DEFAULTS } from '../src/shared/sampling-presets';
import { engineParams, openLab, tryGenerate } from '../src/testing/lab/lab-client';

interface PageRun {
  readonly updates: { si: number; pn: number; previews: number; previewHash: number; stateLocation: string }[];
  readonly images: { width: number; seed: number; ids: number[]; rgba: number[] }[];
  readonly backend: string;
  readonly totalMs: number;
  readonly firstPreviewMs: number;
}

/** Runs a generation in the page and returns its updates (with a hash of each preview) and the final pixels. */
function generateInPage(page: Page, params: GenerateParams): Promise<PageRun> {
  return page.evaluate(async (p) => {
    const engine = (window as unknown as { varEngine: import('../src/testing/lab/lab-api').LabEngine }).varEngine;
    const updates: PageRun['updates'] = [];
    const hash = (data: Uint8ClampedArray) => data.reduce((h, v) => (Math.imul(h, 31) + v) >>> 0, 7);
    const result = await engine.generate(p, {
      onScale: (u) => {
        updates.push({
          si: u.si,
          pn: u.pn,
          stateLocation: u.stateLocation,
          previews: u.previews?.length ?? 0,
          previewHash: u.previews ? hash(u.previews[0]?.data ?? new Uint8ClampedArray()) : 0,
        });
      },
    });
    return {
      updates,
      images: result.images.map((i) => ({
        width: i.rgba.width,
        seed: i.seed,
        ids: Array.from(i.ids),
        rgba: Array.from(i.rgba.data),
      })),
      backend: result.backend,
      totalMs: result.timings.totalMs,
      firstPreviewMs: result.timings.firstPreviewMs,
    };
  }, params);
}

/** The same generation in Node (onnxruntime-web WASM, the CLI's default backend), as RGBA like the engine returns. */
async function generateInNode(packDir: string, request: GenerateRequest): Promise<number[][]> {
  const pipeline = await VarPipeline.load(await openPackDir(packDir), await nodeBackend('wasm', 1));
  const { images } = await pipeline.generate(request);
  await pipeline.release();
  const plane = images.size * images.size;
  return Array.from({ length: images.batch }, (_, b) =>
    Array.from({ length: plane * 4 }, (_, k) => {
      const c = k % 4;
      return c === 3 ? 255 : Math.trunc((images.data[(b * 3 + c) * plane + (k >> 2)] as number) * 255);
    }),
  );
}

const settings = DEMO_DEFAULTS;

test.describe('engine on WASM (tiny pack)', () => {
  test('streams 10 coarse-to-fine updates and returns the pixels Node generate makes', async ({ page }) => {
    await openLab(page);
    for (const s of [
      { ...settings, seed: 3 },
      { cfg: 4, topK: 1, topP: 0, moreSmooth: false, seed: 0 },
    ]) {
      const run = await generateInPage(page, { modelId: 'tiny', classId: 207, count: 1, backend: 'wasm', ...s });
      expect(run.backend).toBe('wasm');
      expect(run.updates.map((u) => u.pn)).toEqual([1, 2, 3, 4, 5, 6, 8, 10, 13, 16]);
      // A preview for every scale but the last (the final image follows it), each different from the one before.
      const hashes = run.updates.slice(0, -1).map((u) => u.previewHash);
      expect(run.updates.slice(0, -1).every((u) => u.previews === 1)).toBe(true);
      expect(new Set(hashes).size).toBe(hashes.length);
      const node = await generateInNode('public/models/tiny', { ...s, labels: [207] });
      const ours = run.images[0]?.rgba ?? [];
      let differing = 0;
      for (let i = 0; i < ours.length; i++) if (ours[i] !== node[0]?.[i]) differing++;
      expect(differing, `pixels differing from Node generate (seed ${s.seed}, top-k ${s.topK})`).toBe(0);
      console.info(
        `tiny WASM in Chromium: total ${run.totalMs.toFixed(0)} ms, first preview ${run.firstPreviewMs.toFixed(0)} ms`,
      );
    }
  });

  test('a cancel stops the run within a scale, and the next run completes', async ({ page }) => {
    await openLab(page);
    const runs: [GenerateParams, GenerateParams] = [
      engineParams('tiny', { seed: 1, backend: 'wasm' }),
      engineParams('tiny', { classId: 2, seed: 2, backend: 'wasm' }),
    ];
    const outcome = await page.evaluate(async ([firstParams, secondParams]) => {
      const engine = (window as unknown as { varEngine: import('../src/testing/lab/lab-api').LabEngine }).varEngine;
      const seen: number[] = [];
      const first = engine.generate(firstParams, {
        onScale: (u) => {
          seen.push(u.si);
          if (u.si === 2) void engine.cancel();
        },
      });
      const error = await first.then(
        () => null,
        (e: unknown) => ({ code: (e as { code?: string }).code, name: (e as Error).name }),
      );
      const second = await engine.generate(secondParams);
      return { error, seen, secondImages: second.images.length };
    }, runs);
    expect(outcome.error).toEqual({ code: 'E_ABORTED', name: 'VarError' });
    expect(Math.max(...outcome.seen)).toBeLessThanOrEqual(3);
    expect(outcome.secondImages).toBe(1);
  });

  test('an unknown model is a specific error', async ({ page }) => {
    await openLab(page);
    expect(await tryGenerate(page, engineParams('nope'))).toMatchObject({ ok: false, code: 'E_UNKNOWN_MODEL' });
  });
});

test.describe('engine on WebGPU (micro pack)', () => {
  test('one update per scale, and the final image equals the WASM run within 2/255', async ({ page }) => {
    await openLab(page);
    const params = { modelId: 'micro', classId: 980, count: 1, ...settings, seed: 5 } as const;
    const gpu = await generateInPage(page, { ...params, backend: 'webgpu' });
    const wasm = await generateInPage(page, { ...params, backend: 'wasm' });
    expect(gpu.backend).toBe('webgpu');
    expect(gpu.updates.map((u) => u.pn)).toEqual([1, 2, 3, 4]);
    // The KV cache, f_hat and the next input never came back to the CPU between scales.
    expect(gpu.updates.map((u) => u.stateLocation)).toEqual(['gpu-buffer', 'gpu-buffer', 'gpu-buffer', 'gpu-buffer']);
    expect(wasm.updates.every((u) => u.stateLocation === 'cpu')).toBe(true);
    expect(gpu.images[0]?.ids).toEqual(wasm.images[0]?.ids);
    const a = gpu.images[0]?.rgba ?? [];
    const b = wasm.images[0]?.rgba ?? [];
    expect(a.length).toBe(64 * 64 * 4);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
    console.info(
      `micro: WebGPU ${gpu.totalMs.toFixed(0)} ms (first preview ${gpu.firstPreviewMs.toFixed(0)} ms), WASM ${wasm.totalMs.toFixed(0)} ms; max pixel diff ${worst}`,
    );
    expect(worst).toBeLessThanOrEqual(2);
  });
});

test('a lost GPU device is a specific error, and the next request recovers on a fresh device', async ({ page }) => {
  await openLab(page);
  const outcome = await page.evaluate(
    async (params) => {
      const engine = (window as unknown as { varEngine: import('../src/testing/lab/lab-api').LabEngine }).varEngine;
      let lostDuringRun: string | null = null;
      const first = await engine
        .generate(params, {
          onScale: (u) => {
            if (u.si === 0) void engine.loseGpuDeviceForTesting();
          },
        })
        .then(
          () => 'completed',
          (e: unknown) => (e as { code?: string }).code ?? 'no code',
        );
      lostDuringRun = first;
      const second = await engine.generate(params);
      return { lostDuringRun, secondBackend: second.backend, secondImages: second.images.length };
    },
    engineParams('micro', { classId: 3, backend: 'webgpu' }),
  );
  expect(outcome.lostDuringRun).toBe('E_GPU_DEVICE_LOST');
  expect(outcome).toMatchObject({ secondBackend: 'webgpu', secondImages: 1 });
});

test('an fp16 pack is refused by name on an adapter without shader-f16, and runs on WASM', async ({ page }) => {
  await openLab(page);
  const gpu = await tryGenerate(page, engineParams('micro-fp16', { backend: 'webgpu' }));
  expect(gpu).toMatchObject({ ok: false, code: 'E_PACK_UNSUPPORTED' });
  expect(gpu.ok ? '' : gpu.message).toMatch(/needs the WebGPU feature shader-f16/);
  expect(await tryGenerate(page, engineParams('micro-fp16', { backend: 'wasm' }))).toMatchObject({
    ok: true,
    images: 1,
  });
});
