// The engine: implements VarEngine in whatever thread it runs in (the worker, or in-thread in tests).
//
// Layers: models index → pack manifest (fetch) → pack files (fetch, verified; cache layer to come) → ORT sessions
// (VarPipeline on WebGPU or WASM). One generation at a time owns the device; a new request cancels the running one.

import * as Comlink from 'comlink';
import * as ort from 'onnxruntime-web';
import type { InferenceBackend } from '../../src/core/generate/backend';
import type { DecodedImages, GenerateResult } from '../../src/core/generate/var-pipeline';
import { VarPipeline } from '../../src/core/generate/var-pipeline';
import type { PackManifest } from '../../src/core/pack/manifest';
import { unmetPackRequirements } from '../../src/core/pack/requirements';
import type { Capabilities } from '../../src/shared/capabilities';
import type {
  GenerateCallbacks,
  GenerateParams,
  GenerationResult,
  ModelInfo,
  Rgba,
  ScaleUpdate,
  VarEngine,
} from '../../src/shared/engine-api';
import { VarError } from '../../src/shared/errors';
import { fetchBytes } from './fetch-file';
import { fetchPackManifest, httpPackSource } from './http-pack';
import { probeCapabilities } from './probe-capabilities';

/**
 * Previews decode f_hat area-downsampled to at most this latent side (64 px images; nine of them cost at most 110/256
 * of one full decode), and smaller when the budget below says so.
 */
export const PREVIEW_MAX_LATENT = 4;
/**
 * Previews may take at most this share of the time spent so far (≤ 25 % on top of the model work). Measured with
 * `npm run bench:browser`: fixed 64 px previews cost 48 % on the tiny model, where the decoder outweighs the
 * transformer, but about 17 % on d16 by FLOPs; the budget picks the size each time instead.
 */
const PREVIEW_BUDGET = 0.2;
const MAX_IMAGES = 8;
/**
 * How long a new preview waits for the page to take the previous one before it is dropped. A responsive page acks
 * in a few ms; a page that is busy (or a heavily loaded machine) costs at most this per scale, and never delays the
 * final image: the last scale neither waits nor sends a preview.
 */
const PREVIEW_GRACE_MS = 250;

interface Run {
  readonly id: number;
  readonly signal: { aborted: boolean; reason?: unknown };
  done: Promise<unknown>;
}

interface LoadedPipeline {
  readonly key: string;
  readonly pipeline: VarPipeline;
  readonly backend: 'webgpu' | 'wasm';
  readonly sessionMs: number;
}

export interface EngineOptions {
  /** Folder holding `index.json` and one folder per pack (default: `models/` under the app's base URL). */
  readonly modelsUrl?: string;
}

export class Engine implements VarEngine {
  private capabilitiesPromise: Promise<Capabilities> | undefined;
  private modelsPromise: Promise<ModelInfo[]> | undefined;
  /** The manifests read for the models index, by model id: loading a model does not fetch its manifest again. */
  private readonly manifests = new Map<string, PackManifest>();
  private loaded: LoadedPipeline | undefined;
  private current: Run | undefined;
  private runCounter = 0;
  /** Set when the WebGPU device was lost: this worker cannot use WebGPU again (the client starts a new worker). */
  private deviceLost: string | undefined;
  /** Rejects with E_GPU_DEVICE_LOST when the device is lost: ORT's pending GPU work may then never settle. */
  private deviceLostSignal: Promise<never> | undefined;
  private readonly modelsUrl: string;

  constructor(options: EngineOptions = {}) {
    // VITE_MODELS_URL (build time) points the app at packs hosted elsewhere; by default they sit beside the app.
    const configured = (import.meta.env.VITE_MODELS_URL as string | undefined) ?? `${import.meta.env.BASE_URL}models/`;
    this.modelsUrl =
      options.modelsUrl ?? new URL(configured.endsWith('/') ? configured : `${configured}/`, self.location.origin).href;
  }

  capabilities(): Promise<Capabilities> {
    this.capabilitiesPromise ??= probeCapabilities();
    return this.capabilitiesPromise;
  }

  listModels(): Promise<ModelInfo[]> {
    this.modelsPromise ??= this.readModelsIndex().catch((error: unknown) => {
      this.modelsPromise = undefined; // a failed index read is retried next time
      throw error;
    });
    return this.modelsPromise;
  }

  async cancel(): Promise<void> {
    const run = this.current;
    if (!run) return;
    run.signal.aborted = true;
    run.signal.reason = 'cancelled';
    await run.done.catch(() => undefined);
  }

  async generate(params: GenerateParams, callbacks: GenerateCallbacks = {}): Promise<GenerationResult> {
    // The latest request wins: stop the running one (within one scale), then start.
    await this.cancel();
    const run: Run = { id: ++this.runCounter, signal: { aborted: false }, done: Promise.resolve() };
    this.current = run;
    const work = this.run(run, params, callbacks);
    run.done = work;
    try {
      return await work;
    } finally {
      if (this.current === run) this.current = undefined;
    }
  }

  private async run(run: Run, params: GenerateParams, callbacks: GenerateCallbacks): Promise<GenerationResult> {
    if (!Number.isInteger(params.count) || params.count < 1 || params.count > MAX_IMAGES) {
      throw new VarError('E_BAD_SETTINGS', `Number of images must be 1 to ${MAX_IMAGES}, got ${params.count}`);
    }
    const backend = await this.chooseBackend(params.backend ?? 'auto');
    if (backend === 'webgpu' && this.deviceLost) throw deviceLostError(this.deviceLost);
    const loaded = await this.load(params.modelId, backend, callbacks);
    if (run.signal.aborted) throw new VarError('E_ABORTED', 'Generation was cancelled');
    const start = performance.now();
    let firstPreviewMs = 0;
    let delivering: Promise<unknown> | undefined;
    const previewBudget = new PreviewBudget(PREVIEW_BUDGET);
    let result: GenerateResult;
    try {
      const generation = loaded.pipeline.generate(
        { ...params, labels: Array.from({ length: params.count }, () => params.classId) },
        {
          signal: run.signal,
          onScale: async (e) => {
            // Let queued messages (a cancel, a new request) in: ORT's WASM runs can resolve in microtasks only, so
            // without this the worker would not see them until the whole generation has finished.
            await yieldToEventLoop();
            // Never queue previews: if the page is still taking the previous one after a short grace, this one is
            // dropped; the last scale gets none because the final image follows at once.
            const last = e.si === e.scaleCount - 1;
            if (delivering && !last) await Promise.race([delivering, sleep(PREVIEW_GRACE_MS)]);
            let previews: Rgba[] | null = null;
            const wanted = params.previews !== false && !last;
            if (wanted && !delivering) {
              const latent = previewBudget.latentFor(e.pn, e.elapsedMs, params.previewMaxLatent ?? PREVIEW_MAX_LATENT);
              const t = performance.now();
              previews = toRgba(await e.decodePreview(latent));
              previewBudget.spent(latent, performance.now() - t);
            }
            if (previews && firstPreviewMs === 0) firstPreviewMs = performance.now() - start;
            const update: ScaleUpdate = {
              runId: run.id,
              si: e.si,
              scaleCount: e.scaleCount,
              pn: e.pn,
              scaleMs: e.timings.transformerMs + e.timings.samplingMs + e.timings.quantizerMs,
              elapsedMs: e.elapsedMs,
              stateLocation: e.stateLocation,
              previews,
            };
            const transfer = previews ? previews.map((p) => p.data.buffer as ArrayBuffer) : [];
            const delivery = Promise.resolve(callbacks.onScale?.(Comlink.transfer(update, transfer))).catch(
              () => undefined,
            );
            if (previews) {
              delivering = delivery;
              void delivery.finally(() => {
                if (delivering === delivery) delivering = undefined;
              });
            }
          },
        },
      );
      // A lost device can leave ORT's pending GPU work unsettled forever: stop waiting as soon as it is reported.
      const lost = loaded.backend === 'webgpu' ? this.deviceLostSignal : undefined;
      result = await (lost ? Promise.race([generation, lost]) : generation);
    } catch (error) {
      throw this.translateRunError(error, loaded);
    }
    const images = toRgba(result.images).map((rgba, i) => ({
      rgba,
      seed: (params.seed + i) >>> 0,
      classId: params.classId,
      ids: result.ids[i] as Int32Array,
    }));
    const out: GenerationResult = {
      runId: run.id,
      images,
      backend: loaded.backend,
      timings: { sessionMs: loaded.sessionMs, firstPreviewMs, totalMs: result.totalMs, decodeMs: result.decodeMs },
    };
    return Comlink.transfer(
      out,
      images.map((i) => i.rgba.data.buffer as ArrayBuffer),
    );
  }

  private async chooseBackend(choice: 'auto' | 'webgpu' | 'wasm'): Promise<'webgpu' | 'wasm'> {
    const caps = await this.capabilities();
    if (choice === 'wasm') return 'wasm';
    if (caps.backend === 'webgpu') return 'webgpu';
    if (choice === 'webgpu') {
      throw new VarError(
        'E_NO_BACKEND',
        `WebGPU was requested but is unavailable: ${caps.webgpuUnavailable ?? caps.reason}`,
      );
    }
    if (caps.backend === 'none') throw new VarError('E_NO_BACKEND', caps.reason);
    return 'wasm';
  }

  /** The session layer: one pipeline at a time (a model switch releases the previous one's GPU memory). */
  private async load(
    modelId: string,
    backend: 'webgpu' | 'wasm',
    callbacks: GenerateCallbacks,
  ): Promise<LoadedPipeline> {
    const key = `${modelId}|${backend}`;
    if (this.loaded?.key === key) return this.loaded;
    const model = (await this.listModels()).find((m) => m.id === modelId);
    if (!model) throw new VarError('E_UNKNOWN_MODEL', `No model pack "${modelId}" in ${this.modelsUrl}index.json`);
    if (this.loaded) {
      const previous = this.loaded;
      this.loaded = undefined;
      await previous.pipeline.release();
    }
    const manifest = this.manifests.get(modelId) ?? (await fetchPackManifest(model.url));
    if (backend === 'webgpu') {
      // An fp16 pack on an adapter without shader-f16 would compute zeros silently (JSEP): refuse it by name.
      const caps = await this.capabilities();
      const unmet = unmetPackRequirements(manifest, { shaderF16: caps.webgpu?.shaderF16 ?? false });
      if (unmet.length > 0) {
        throw new VarError(
          'E_PACK_UNSUPPORTED',
          `${manifest.label} needs the WebGPU feature ${unmet.join(', ')}, which this GPU does not have: choose its q4 or q8 pack, or the WASM backend`,
          { unmet },
        );
      }
    }
    const totalBytes = manifest.files.reduce((n, f) => n + f.bytes, 0);
    const done = new Map<string, number>();
    const pack = httpPackSource(model.url, manifest, (file, loaded) => {
      done.set(file, loaded);
      const loadedBytes = [...done.values()].reduce((a, b) => a + b, 0);
      callbacks.onProgress?.({ modelId, phase: 'download', file, loadedBytes, totalBytes });
    });
    const t0 = performance.now();
    const pipeline = await VarPipeline.load(pack, this.backendFor(backend));
    if (backend === 'webgpu' && !this.deviceLostSignal) {
      this.deviceLostSignal = this.watchDevice();
      this.deviceLostSignal.catch(() => undefined); // observed by runs; no unhandled rejection when none is running
    }
    callbacks.onProgress?.({ modelId, phase: 'session', file: '', loadedBytes: totalBytes, totalBytes });
    this.loaded = { key, pipeline, backend, sessionMs: performance.now() - t0 };
    return this.loaded;
  }

  private backendFor(name: 'webgpu' | 'wasm'): InferenceBackend {
    // Threaded WASM needs cross-origin isolation; without it ORT would warn and fall back to one thread anyway.
    ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
    return name === 'webgpu'
      ? { name, ort, executionProviders: ['webgpu'], deviceResident: true }
      : { name, ort, executionProviders: ['wasm'], deviceResident: false };
  }

  /** Records a device loss (driver reset, GPU memory reclaimed, destroy()) as soon as the browser reports it. */
  private async watchDevice(): Promise<never> {
    const device = await ort.env.webgpu.device;
    const info = await device.lost;
    this.deviceLost = info.message || String(info.reason);
    const loaded = this.loaded;
    this.loaded = undefined;
    if (loaded) void loaded.pipeline.release().catch(() => undefined);
    throw deviceLostError(this.deviceLost);
  }

  /** For the end-to-end test of the recovery: destroys the device ORT uses, as a driver reset would. */
  async loseGpuDeviceForTesting(): Promise<void> {
    (await ort.env.webgpu.device).destroy();
  }

  /** A lost GPU device becomes E_GPU_DEVICE_LOST (the client then restarts the worker); other errors pass through. */
  private translateRunError(error: unknown, loaded: LoadedPipeline): unknown {
    if (error instanceof VarError) return error;
    const message = error instanceof Error ? error.message : String(error);
    if (
      loaded.backend === 'webgpu' &&
      (this.deviceLost || /device (is |was )?lost|GPUDevice|DeviceLost/i.test(message))
    ) {
      if (this.loaded === loaded) this.loaded = undefined;
      return deviceLostError(this.deviceLost ?? message);
    }
    return new VarError('E_INTERNAL', `Generation failed: ${message}`, { message });
  }

  private async readModelsIndex(): Promise<ModelInfo[]> {
    const indexUrl = new URL('index.json', this.modelsUrl).href;
    const bytes = await fetchBytes(indexUrl, undefined);
    let index: { packs?: unknown };
    try {
      index = JSON.parse(new TextDecoder().decode(bytes)) as { packs?: unknown };
    } catch {
      throw new VarError('E_PACK_FORMAT', `${indexUrl} is not JSON`);
    }
    const names = Array.isArray(index.packs) ? index.packs.filter((p): p is string => typeof p === 'string') : [];
    const models = await Promise.all(
      names.map(async (name) => {
        const url = new URL(`${name}/`, this.modelsUrl).href;
        const m = await fetchPackManifest(url);
        this.manifests.set(m.name, m);
        return {
          id: m.name,
          label: m.label,
          randomWeights: m.randomWeights,
          imageSize: m.imageSize,
          patchNums: m.patchNums,
          numClasses: m.numClasses,
          bytes: m.files.reduce((n, f) => n + f.bytes, 0),
          url,
        } satisfies ModelInfo;
      }),
    );
    return models;
  }
}

function deviceLostError(reason: string): VarError {
  return new VarError(
    'E_GPU_DEVICE_LOST',
    'The GPU device was lost (a driver reset, or the system reclaimed GPU memory). The engine restarts: generate again.',
    { reason },
  );
}

/** Picks each preview's latent size so that previews stay within a share of the elapsed time. */
class PreviewBudget {
  private spentMs = 0;
  private msPerLatentCell = 0;

  constructor(private readonly share: number) {}

  latentFor(pn: number, elapsedMs: number, maxLatent: number): number {
    let latent = Math.max(1, Math.min(pn, maxLatent));
    const budget = this.share * elapsedMs - this.spentMs;
    // Decoder time grows with the latent area; the smallest preview (1×1) is always allowed.
    while (latent > 1 && this.msPerLatentCell > 0 && latent * latent * this.msPerLatentCell > budget) latent--;
    return latent;
  }

  spent(latent: number, ms: number): void {
    this.spentMs += ms;
    this.msPerLatentCell = ms / (latent * latent);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves after the event loop has run once (a MessageChannel task: no 4 ms timer clamp). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** (B, 3, H, W) float [0, 1] → one RGBA image each, uint8(x·255) truncated as the official demo. */
function toRgba(images: DecodedImages): Rgba[] {
  const { data, batch, size } = images;
  const plane = size * size;
  return Array.from({ length: batch }, (_, b) => {
    const rgba = new Uint8ClampedArray(plane * 4);
    for (let p = 0; p < plane; p++) {
      rgba[p * 4] = Math.trunc((data[b * 3 * plane + p] as number) * 255);
      rgba[p * 4 + 1] = Math.trunc((data[(b * 3 + 1) * plane + p] as number) * 255);
      rgba[p * 4 + 2] = Math.trunc((data[(b * 3 + 2) * plane + p] as number) * 255);
      rgba[p * 4 + 3] = 255;
    }
    return { width: size, height: size, data: rgba };
  });
}
