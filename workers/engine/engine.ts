// The engine: implements VarEngine in whatever thread it runs in (the worker, or in-thread in tests). It only
// orchestrates the layers, each in its own module:
//   models-index (index.json → manifests) → sessions (pack files fetched and verified by http-pack → ORT sessions)
//   run-queue (one run at a time, the latest wins) · previews (live updates within a budget) · device-watch (lost GPU)

import * as Comlink from 'comlink';
import type { Capabilities } from '../../src/shared/capabilities';
import type {
  GenerateCallbacks,
  GenerateParams,
  GenerationResult,
  ModelInfo,
  VarEngine,
} from '../../src/shared/engine-api';
import { VarError } from '../../src/shared/errors';
import { chooseBackend } from './backend-choice';
import { DeviceWatch, deviceLostError } from './device-watch';
import { ModelsIndex } from './models-index';
import { PreviewStream } from './previews';
import { probeCapabilities } from './probe-capabilities';
import { rgbaBuffers, toRgba } from './rgba';
import { type Run, RunQueue } from './run-queue';
import { ortWebGpuDevice, Sessions } from './sessions';

const MAX_IMAGES = 8;

export interface EngineOptions {
  /** Folder holding `index.json` and one folder per pack (default: `models/` under the app's base URL). */
  readonly modelsUrl?: string;
}

export class Engine implements VarEngine {
  private capabilitiesPromise: Promise<Capabilities> | undefined;
  private readonly models: ModelsIndex;
  private readonly sessions = new Sessions();
  private readonly runs = new RunQueue();
  private readonly device = new DeviceWatch();

  constructor(options: EngineOptions = {}) {
    // VITE_MODELS_URL (build time) points the app at packs hosted elsewhere; by default they sit beside the app.
    const configured = (import.meta.env.VITE_MODELS_URL as string | undefined) ?? `${import.meta.env.BASE_URL}models/`;
    this.models = new ModelsIndex(
      options.modelsUrl ?? new URL(configured.endsWith('/') ? configured : `${configured}/`, self.location.origin).href,
    );
  }

  capabilities(): Promise<Capabilities> {
    this.capabilitiesPromise ??= probeCapabilities();
    return this.capabilitiesPromise;
  }

  listModels(): Promise<ModelInfo[]> {
    return this.models.list();
  }

  cancel(): Promise<void> {
    return this.runs.cancel();
  }

  generate(params: GenerateParams, callbacks: GenerateCallbacks = {}): Promise<GenerationResult> {
    return this.runs.start((run) => this.run(run, params, callbacks));
  }

  private async run(run: Run, params: GenerateParams, callbacks: GenerateCallbacks): Promise<GenerationResult> {
    if (!Number.isInteger(params.count) || params.count < 1 || params.count > MAX_IMAGES) {
      throw new VarError('E_BAD_SETTINGS', `Number of images must be 1 to ${MAX_IMAGES}, got ${params.count}`);
    }
    const capabilities = await this.capabilities();
    const backend = chooseBackend(capabilities, params.backend ?? 'auto');
    if (backend === 'webgpu' && this.device.lostReason) throw deviceLostError(this.device.lostReason);
    const model = await this.models.get(params.modelId);
    const loaded = await this.sessions.load({
      modelId: params.modelId,
      packUrl: model.info.url,
      manifest: model.manifest,
      backend,
      capabilities,
      ...(callbacks.onProgress ? { onProgress: (p) => callbacks.onProgress?.(p) } : {}),
    });
    if (backend === 'webgpu') this.device.watch(ortWebGpuDevice(), () => void this.sessions.release().catch(() => {}));
    if (run.signal.aborted) throw new VarError('E_ABORTED', 'Generation was cancelled');

    const previews = new PreviewStream({
      runId: run.id,
      enabled: params.previews !== false,
      ...(params.previewMaxLatent !== undefined ? { maxLatent: params.previewMaxLatent } : {}),
      deliver: (update) => callbacks.onScale?.(update),
    });
    const labels = Array.from({ length: params.count }, () => params.classId);
    let result: Awaited<ReturnType<typeof loaded.pipeline.generate>>;
    try {
      const generation = loaded.pipeline.generate(
        { ...params, labels },
        { signal: run.signal, onScale: previews.onScale },
      );
      result = await (loaded.backend === 'webgpu' ? this.device.race(generation) : generation);
    } catch (error) {
      throw this.runError(error, loaded);
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
      timings: {
        sessionMs: loaded.sessionMs,
        firstPreviewMs: previews.firstPreviewMs,
        totalMs: result.totalMs,
        decodeMs: result.decodeMs,
      },
    };
    return Comlink.transfer(out, rgbaBuffers(images.map((i) => i.rgba)));
  }

  /** A lost GPU device becomes E_GPU_DEVICE_LOST (the client then restarts the worker); other errors pass through. */
  private runError(error: unknown, loaded: Parameters<Sessions['forget']>[0]): unknown {
    if (error instanceof VarError) return error;
    const lost = loaded.backend === 'webgpu' ? this.device.asDeviceLoss(error) : undefined;
    if (lost) {
      this.sessions.forget(loaded);
      return lost;
    }
    const message = error instanceof Error ? error.message : String(error);
    return new VarError('E_INTERNAL', `Generation failed: ${message}`, { message });
  }
}
