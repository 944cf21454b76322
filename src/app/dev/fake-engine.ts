// A stand-in engine for working on the page without models (only with ?fake-engine=1, labelled on the page):
// it runs no network, simulates downloads, and paints smooth patterns coarse to fine. Never the default.

import type { Capabilities } from '../../shared/capabilities';
import type {
  GenerateCallbacks,
  GenerateParams,
  GenerationResult,
  ModelInfo,
  Rgba,
  ScaleUpdate,
} from '../../shared/engine-api';
import { type ErrorCode, VarError } from '../../shared/errors';
import type { EngineClient } from '../engine-client';

export interface FakeEngineOptions {
  /** Milliseconds per scale. */
  readonly scaleMs?: number;
  /** Fail at the fourth scale with this code. */
  readonly failWith?: ErrorCode;
  /** Drop the previews of every n-th scale (0: never), like a real engine that falls behind. */
  readonly dropEvery?: number;
}

const PATCH_NUMS = [1, 2, 3, 4, 5, 6, 8, 10, 13, 16];
const SIZE = 256;

const MODELS: readonly ModelInfo[] = Object.freeze([
  {
    id: 'fake-d16',
    label: 'Fake d16 (patterns)',
    randomWeights: false,
    imageSize: SIZE,
    patchNums: PATCH_NUMS,
    numClasses: 1000,
    bytes: 1_240_000_000,
    url: '/models/fake-d16/',
  },
  {
    id: 'fake-tiny',
    label: 'Fake tiny (noise)',
    randomWeights: true,
    imageSize: SIZE,
    patchNums: PATCH_NUMS,
    numClasses: 1000,
    bytes: 12_400_000,
    url: '/models/fake-tiny/',
  },
]);

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Deterministic [0, 1) numbers from a seed (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A smooth full-resolution picture for (class, seed): a few coloured blobs over a gradient. */
function paint(classId: number, seed: number, noise: boolean): Uint8ClampedArray {
  const r = rng(classId * 7919 + seed * 104729 + 1);
  const out = new Uint8ClampedArray(SIZE * SIZE * 4);
  const hue = (classId * 137.5) % 360;
  const blobs = Array.from({ length: 5 }, () => ({
    x: r() * SIZE,
    y: r() * SIZE,
    s: 30 + r() * 70,
    c: [r() * 255, r() * 255, r() * 255],
  }));
  const base = [128 + 100 * Math.cos((hue * Math.PI) / 180), 128 + 100 * Math.cos(((hue - 120) * Math.PI) / 180), 140];
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const o = (y * SIZE + x) * 4;
      let [cr, cg, cb] = [base[0] ?? 0, base[1] ?? 0, (base[2] ?? 0) * (y / SIZE)];
      for (const b of blobs) {
        const w = Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (2 * b.s * b.s));
        cr += w * ((b.c[0] ?? 0) - cr);
        cg += w * ((b.c[1] ?? 0) - cg);
        cb += w * ((b.c[2] ?? 0) - cb);
      }
      out[o] = noise ? r() * 255 : cr;
      out[o + 1] = noise ? r() * 255 : cg;
      out[o + 2] = noise ? r() * 255 : cb;
      out[o + 3] = 255;
    }
  }
  return out;
}

/** The picture as a pn×pn token map, shown at full size (each token a flat block), like VAR's coarse scales. */
function atScale(full: Uint8ClampedArray, pn: number, last: boolean): Rgba {
  if (last) return { width: SIZE, height: SIZE, data: full.slice() };
  const data = new Uint8ClampedArray(SIZE * SIZE * 4);
  for (let y = 0; y < SIZE; y++) {
    const sy = Math.min(SIZE - 1, Math.floor((Math.floor((y * pn) / SIZE) + 0.5) * (SIZE / pn)));
    for (let x = 0; x < SIZE; x++) {
      const sx = Math.min(SIZE - 1, Math.floor((Math.floor((x * pn) / SIZE) + 0.5) * (SIZE / pn)));
      const s = (sy * SIZE + sx) * 4;
      data.set(full.subarray(s, s + 4), (y * SIZE + x) * 4);
    }
  }
  return { width: SIZE, height: SIZE, data };
}

export function createFakeEngine(options: FakeEngineOptions = {}): EngineClient {
  const scaleMs = options.scaleMs ?? 250;
  const loaded = new Set<string>();
  let running: { cancelled: boolean; done: Promise<unknown> } | null = null;
  let nextRunId = 1;

  const check = (run: { cancelled: boolean }) => {
    if (run.cancelled) throw new VarError('E_ABORTED', 'Generation cancelled');
  };

  async function generate(params: GenerateParams, callbacks: GenerateCallbacks = {}): Promise<GenerationResult> {
    // The latest request wins, as in the real engine: the running one rejects with E_ABORTED first.
    const previous = running;
    if (previous) {
      previous.cancelled = true;
      await previous.done.catch(() => undefined);
    }
    const run = { cancelled: false, done: Promise.resolve() as Promise<unknown> };
    const work = (async (): Promise<GenerationResult> => {
      const model = MODELS.find((m) => m.id === params.modelId);
      if (!model) throw new VarError('E_BAD_SETTINGS', `Unknown model ${params.modelId}`);
      const runId = nextRunId++;
      const t0 = performance.now();
      if (!loaded.has(model.id)) {
        // Like the real engine: bytes count the whole pack, `file` is the one in flight.
        let before = 0;
        for (const [file, share] of [
          ['transformer.data', 0.8],
          ['decoder.data', 0.2],
        ] as const) {
          const size = Math.round(model.bytes * share);
          for (let step = 0; step <= 10; step++) {
            check(run);
            callbacks.onProgress?.({
              modelId: model.id,
              phase: 'download',
              file,
              loadedBytes: before + (size * step) / 10,
              totalBytes: model.bytes,
            });
            await sleep(60);
          }
          before += size;
        }
        for (const file of ['transformer.onnx', 'quantizer.onnx', 'decoder.onnx']) {
          check(run);
          callbacks.onProgress?.({ modelId: model.id, phase: 'session', file, loadedBytes: 0, totalBytes: 0 });
          await sleep(200);
        }
        loaded.add(model.id);
      }
      const sessionMs = performance.now() - t0;
      const pictures = Array.from({ length: params.count }, (_, i) =>
        paint(params.classId, params.seed + i, model.randomWeights),
      );
      let firstPreviewMs = 0;
      let last = performance.now();
      const pns = model.patchNums;
      for (const [si, pn] of pns.entries()) {
        check(run);
        await sleep(scaleMs * (0.5 + si / pns.length));
        check(run);
        if (options.failWith && si === 3) throw new VarError(options.failWith, `Fake engine failure at scale 4`);
        const dropped = options.dropEvery ? si % options.dropEvery === options.dropEvery - 1 : false;
        const now = performance.now();
        const update: ScaleUpdate = {
          runId,
          si,
          scaleCount: pns.length,
          pn,
          scaleMs: now - last,
          elapsedMs: now - t0,
          stateLocation: 'cpu',
          previews: dropped ? null : pictures.map((p) => atScale(p, pn, si === pns.length - 1)),
        };
        last = now;
        if (si === 0) firstPreviewMs = now - t0;
        callbacks.onScale?.(update);
      }
      const totalMs = performance.now() - t0;
      return {
        runId,
        backend: 'wasm',
        images: pictures.map((p, i) => ({
          rgba: { width: SIZE, height: SIZE, data: p },
          seed: params.seed + i,
          classId: params.classId,
          ids: new Int32Array(680),
        })),
        timings: { sessionMs, firstPreviewMs, totalMs, decodeMs: 0 },
      };
    })();
    run.done = work;
    running = run;
    try {
      return await work;
    } finally {
      if (running === run) running = null;
    }
  }

  return {
    loseGpuDeviceForTesting: async () => undefined, // the fake has no GPU device
    capabilities: async (): Promise<Capabilities> =>
      Object.freeze({
        backend: 'wasm',
        reason: 'Fake engine (?fake-engine=1): nothing is inferred; the pictures are painted patterns.',
        webgpu: null,
        webgpuUnavailable: 'not probed: this is the fake engine',
        wasm: true,
        crossOriginIsolated: globalThis.crossOriginIsolated,
        hardwareConcurrency: navigator.hardwareConcurrency,
        userAgent: navigator.userAgent,
      }),
    listModels: async () => MODELS.map((m) => ({ ...m })),
    generate,
    cancel: async () => {
      if (running) running.cancelled = true;
    },
    terminate: () => {
      if (running) running.cancelled = true;
    },
  };
}
