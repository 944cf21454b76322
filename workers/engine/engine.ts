// The engine: implements VarEngine in whatever thread it runs in (the worker, or in-thread in tests). It only
// orchestrates the layers, each in its own module:
//   model-catalog (models-index over the network, or the store offline) → store/ (pack files in IndexedDB: resumable,
//   verified downloads) → sessions (ORT sessions) · run-queue (one run at a time, the latest wins) · previews (live
//   updates within a budget) · device-watch (lost GPU)

import * as Comlink from 'comlink';
import { validateSettings } from '../../src/core/generate/settings';
import type { Capabilities } from '../../src/shared/capabilities';
import type {
  ConvertCallbacks,
  ConvertRequest,
  DownloadCallbacks,
  EditParams,
  GenerateCallbacks,
  GenerateParams,
  GenerationResult,
  ModelInfo,
  StorageUsage,
  VarEngine,
} from '../../src/shared/engine-api';
import { hasErrorCode, VarError } from '../../src/shared/errors';
import type {
  StoredPackRecord,
  StoredPackSource,
  StoreImportEngine,
  StoreImportResult,
} from '../../src/shared/store-import';
import { chooseBackend } from './backend-choice';
import { discardConversion, isConversionId, listInterruptedConversions } from './convert/interrupted-conversions';
import { ModelAdditions } from './convert/model-additions';
import { DeviceWatch, deviceLostError } from './device-watch';
import { runEdit } from './edit-run';
import { importStoredModel } from './import-stored-model';
import { ModelCatalog, modelInfo } from './model-catalog';
import { ModelsIndex } from './models-index';
import { PreviewStream } from './previews';
import { probeCapabilities } from './probe-capabilities';
import { rgbaBuffers, toRgba } from './rgba';
import { outOfMemory } from './run-errors';
import { type Run, RunQueue } from './run-queue';
import { type LoadedPipeline, ortWebGpuDevice, packProgress, Sessions } from './sessions';
import type { StoreContext } from './store/download-file';
import { ModelStore } from './store/model-store';
import { storageUsage } from './store/quota';
import { downloadPack } from './store/store-pack-source';
import { deleteStoredModel, listStoredModels, modelStatus } from './store/stored-models';

const MAX_IMAGES = 8;

export interface EngineOptions {
  /** Folder holding `index.json` and one folder per pack (default: `models/` under the app's base URL). */
  readonly modelsUrl?: string;
  /** The model store (default: the browser's IndexedDB, database namespace `var-web-store-v1`). */
  readonly store?: StoreContext;
}

/** The models folder the build points at: VITE_MODELS_URL, or `models/` beside the app. */
export function defaultModelsUrl(): string {
  const configured = (import.meta.env.VITE_MODELS_URL as string | undefined) ?? `${import.meta.env.BASE_URL}models/`;
  return new URL(configured.endsWith('/') ? configured : `${configured}/`, self.location.origin).href;
}

export class Engine implements VarEngine, StoreImportEngine {
  private capabilitiesPromise: Promise<Capabilities> | undefined;
  private readonly store: StoreContext;
  private readonly catalog: ModelCatalog;
  private readonly sessions: Sessions;
  private readonly runs = new RunQueue();
  private readonly device = new DeviceWatch();
  /** The running downloadModel(), if any (one at a time; a new one cancels it). */
  private download: AbortController | undefined;
  /** Models added in the page: converted checkpoints, hosted packs. */
  private readonly additions: ModelAdditions;

  constructor(options: EngineOptions = {}) {
    this.store = options.store ?? { store: new ModelStore() };
    this.catalog = new ModelCatalog(new ModelsIndex(options.modelsUrl ?? defaultModelsUrl()), this.store.store);
    this.sessions = new Sessions(this.store);
    this.additions = new ModelAdditions(this.store);
  }

  convertModel(request: ConvertRequest, callbacks: ConvertCallbacks = {}): Promise<ModelInfo> {
    return this.additions.convert(request, callbacks);
  }

  cancelConversion(): Promise<void> {
    return this.additions.cancel();
  }

  addModelPack(packUrl: string, callbacks: DownloadCallbacks = {}): Promise<ModelInfo> {
    return this.additions.addPack(packUrl, callbacks);
  }

  /** The embed widget's storage access (issue 14): see StoreImportEngine; the page reads the source store. */
  importStoredModel(
    pack: StoredPackRecord,
    source: StoredPackSource,
    callbacks: DownloadCallbacks = {},
  ): Promise<StoreImportResult> {
    return importStoredModel(this.store, this.catalog, pack, source, (p) => callbacks.onProgress?.(p));
  }

  capabilities(): Promise<Capabilities> {
    this.capabilitiesPromise ??= probeCapabilities();
    return this.capabilitiesPromise;
  }

  listModels(): Promise<ModelInfo[]> {
    return this.catalog.list();
  }

  async downloadModel(modelId: string, callbacks: DownloadCallbacks = {}): Promise<ModelInfo> {
    await this.cancelDownload();
    const abort = new AbortController();
    this.download = abort;
    try {
      const entry = await this.catalog.find(modelId);
      await downloadPack(this.store, entry.packUrl, entry.manifest, {
        signal: abort.signal,
        onFileProgress: packProgress(modelId, entry.manifest, (p) => callbacks.onProgress?.(p)),
      });
      return modelInfo(entry, await modelStatus(this.store.store, entry.manifest));
    } catch (error) {
      throw abort.signal.aborted && !hasErrorCode(error, 'E_ABORTED')
        ? new VarError('E_ABORTED', `The download of ${modelId} was cancelled; what arrived is kept`, { modelId })
        : error;
    } finally {
      if (this.download === abort) this.download = undefined;
    }
  }

  async cancelDownload(): Promise<void> {
    this.download?.abort('cancelled');
  }

  async deleteModel(modelId: string): Promise<StorageUsage> {
    if (isConversionId(modelId)) {
      await discardConversion(this.store.store, modelId, this.store.locks);
      return this.storageUsage();
    }
    // A loaded model keeps running from memory, but a deletion means "give the space back": release it too.
    if (this.sessions.holds(modelId)) {
      await this.runs.cancel();
      await this.sessions.release();
    }
    await deleteStoredModel(this.store.store, modelId, this.store.locks);
    return this.storageUsage();
  }

  async storageUsage(): Promise<StorageUsage> {
    const [figures, stored, conversions] = await Promise.all([
      storageUsage(this.store.estimate),
      listStoredModels(this.store.store),
      listInterruptedConversions(this.store.store),
    ]);
    return {
      ...figures,
      models: [
        ...stored
          .filter((m) => m.status.storedBytes > 0)
          .map((m) => ({ id: m.name, label: m.label, download: m.status })),
        ...conversions,
      ],
    };
  }

  cancel(): Promise<void> {
    return this.runs.cancel();
  }

  generate(params: GenerateParams, callbacks: GenerateCallbacks = {}): Promise<GenerationResult> {
    return this.runs.start((run) => this.run(run, params, callbacks));
  }

  edit(params: EditParams, callbacks: GenerateCallbacks = {}): Promise<GenerationResult> {
    return this.runs.start((run) => this.run(run, { ...params, count: 1 }, callbacks, params));
  }

  private async run(
    run: Run,
    params: Omit<GenerateParams, 'classId'> & { readonly classId: number | null },
    callbacks: GenerateCallbacks,
    edit?: EditParams,
  ): Promise<GenerationResult> {
    validateSettings({ ...params, labels: [params.classId ?? 0] }, { maxImages: MAX_IMAGES }); // before any model load
    const capabilities = await this.capabilities();
    const backend = chooseBackend(capabilities, params.backend ?? 'auto');
    if (backend === 'webgpu' && this.device.lostReason) throw deviceLostError(this.device.lostReason);
    const model = await this.catalog.find(params.modelId);
    const loaded = await this.sessions
      .load({
        modelId: params.modelId,
        packUrl: model.packUrl,
        manifest: model.manifest,
        backend,
        capabilities,
        signal: run.signal,
        onProgress: (p) => callbacks.onProgress?.(p),
      })
      .catch((error: unknown) => {
        throw outOfMemory(error) ?? error;
      });
    if (backend === 'webgpu') this.device.watch(ortWebGpuDevice(), () => void this.sessions.release().catch(() => {}));
    if (run.signal.aborted) throw new VarError('E_ABORTED', 'Generation was cancelled');

    const previews = new PreviewStream({
      runId: run.id,
      enabled: params.previews !== false,
      ...(params.previewMaxLatent !== undefined ? { maxLatent: params.previewMaxLatent } : {}),
      deliver: (update) => callbacks.onScale?.(update),
    });
    const classId = params.classId ?? -1;
    const labels = Array.from({ length: params.count }, () => classId);
    let result: Awaited<ReturnType<typeof loaded.pipeline.generate>> & { encodeMs?: number; tokenizeMs?: number };
    try {
      const options = { signal: run.signal, onScale: previews.onScale };
      const generation = edit
        ? runEdit(loaded.pipeline, edit, options)
        : loaded.pipeline.generate({ ...params, labels }, options);
      result = await (loaded.backend === 'webgpu' ? this.device.race(generation) : generation);
    } catch (error) {
      throw this.runError(error, loaded);
    }
    const images = toRgba(result.images).map((rgba, i) => ({
      rgba,
      seed: (params.seed + i) >>> 0,
      classId,
      ids: result.ids[i] as Int32Array,
    }));
    const out: GenerationResult = {
      runId: run.id,
      images,
      backend: loaded.backend,
      timings: {
        packMs: loaded.packMs,
        sessionMs: loaded.sessionMs,
        firstPreviewMs: previews.firstPreviewMs,
        totalMs: result.totalMs,
        decodeMs: result.decodeMs,
        ...(result.encodeMs === undefined ? {} : { encodeMs: result.encodeMs + (result.tokenizeMs ?? 0) }),
      },
    };
    return Comlink.transfer(out, rgbaBuffers(images.map((i) => i.rgba)));
  }

  /** A lost GPU device becomes E_GPU_DEVICE_LOST (the client then restarts the worker); other errors pass through. */
  private runError(error: unknown, loaded: LoadedPipeline): unknown {
    if (error instanceof VarError) return error;
    const lost = loaded.backend === 'webgpu' ? this.device.asDeviceLoss(error) : undefined;
    if (lost) {
      this.sessions.forget(loaded);
      return lost;
    }
    const oom = outOfMemory(error);
    if (oom) {
      this.sessions.forget(loaded);
      return oom;
    }
    const message = error instanceof Error ? error.message : String(error);
    return new VarError('E_INTERNAL', `Generation failed: ${message}`, { message });
  }
}
