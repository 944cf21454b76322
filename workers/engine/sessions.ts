// The session layer: one loaded pipeline (ORT sessions of a pack on one backend) at a time; a model or backend
// switch releases the previous one's memory first. Pack files come from the model store (read and verified, or
// downloaded into it first).

import * as ort from 'onnxruntime-web';
import type { InferenceBackend } from '../../src/core/generate/backend';
import { VarPipeline } from '../../src/core/generate/var-pipeline';
import type { PackManifest } from '../../src/core/pack/manifest';
import { unmetPackRequirements } from '../../src/core/pack/requirements';
import type { Capabilities } from '../../src/shared/capabilities';
import type { LoadProgress } from '../../src/shared/engine-api';
import { VarError } from '../../src/shared/errors';
import type { StoreContext } from './store/download-file';
import { type PackLoadOptions, storePackSource } from './store/store-pack-source';

export type RunBackend = 'webgpu' | 'wasm';

export interface LoadedPipeline {
  readonly key: string;
  readonly pipeline: VarPipeline;
  readonly backend: RunBackend;
  /** Reading (or downloading) and verifying the pack's files. */
  readonly packMs: number;
  /** Creating the ORT sessions from verified bytes. */
  readonly sessionMs: number;
}

export interface LoadRequest {
  readonly modelId: string;
  readonly packUrl: string;
  readonly manifest: PackManifest;
  readonly backend: RunBackend;
  readonly capabilities: Capabilities;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: LoadProgress) => void;
}

export class Sessions {
  private loaded: LoadedPipeline | undefined;

  constructor(private readonly store: StoreContext) {}

  /** The pipeline for `request`, loading it (and releasing the previous one) unless it is the one loaded. */
  async load(request: LoadRequest): Promise<LoadedPipeline> {
    const { modelId, manifest, backend } = request;
    const key = `${modelId}|${backend}`;
    if (this.loaded?.key === key) return this.loaded;
    await this.release();
    if (backend === 'webgpu') assertRunsOnWebGpu(manifest, request.capabilities);
    const t0 = performance.now();
    const options: PackLoadOptions = {
      ...(request.signal ? { signal: request.signal } : {}),
      onFileProgress: packProgress(modelId, manifest, request.onProgress),
    };
    const source = await storePackSource(this.store, request.packUrl, manifest, options);
    // Every file is read (and verified) before any session is created: nothing unverified reaches ORT, and the time
    // of the pack layer is measured apart from session creation.
    const files = new Map<string, Uint8Array>();
    for (const file of manifest.files) files.set(file.path, await source.file(file.path));
    const packMs = performance.now() - t0;
    // Each file is handed over once and dropped here, so its bytes can be freed as soon as ORT has them.
    const verified = {
      manifest,
      file: async (path: string) => {
        const bytes = files.get(path);
        files.delete(path);
        return bytes ?? source.file(path);
      },
    };
    const t1 = performance.now();
    const pipeline = await VarPipeline.load(verified, backendFor(backend));
    files.clear();
    const total = manifest.files.reduce((n, f) => n + f.bytes, 0);
    request.onProgress?.({
      modelId,
      phase: 'session',
      file: '',
      fileLoadedBytes: 0,
      fileBytes: 0,
      loadedBytes: total,
      totalBytes: total,
    });
    this.loaded = { key, pipeline, backend, packMs, sessionMs: performance.now() - t1 };
    return this.loaded;
  }

  /** True when `modelId` is the loaded model (on any backend). */
  holds(modelId: string): boolean {
    return this.loaded?.key.startsWith(`${modelId}|`) ?? false;
  }

  /** Forgets `loaded` if it is the current pipeline (after a failure that leaves it unusable). */
  forget(loaded: LoadedPipeline): void {
    if (this.loaded === loaded) this.loaded = undefined;
  }

  /** Releases the loaded pipeline's sessions and memory, if any. */
  async release(): Promise<void> {
    const previous = this.loaded;
    this.loaded = undefined;
    if (previous) await previous.pipeline.release();
  }
}

/** Per-file progress of a pack → LoadProgress with the pack's overall bytes. */
export function packProgress(
  modelId: string,
  manifest: PackManifest,
  onProgress: ((progress: LoadProgress) => void) | undefined,
): (path: string, done: number, total: number) => void {
  const totalBytes = manifest.files.reduce((n, f) => n + f.bytes, 0);
  const done = new Map<string, number>();
  return (file, fileLoadedBytes, fileBytes) => {
    done.set(file, fileLoadedBytes);
    const loadedBytes = [...done.values()].reduce((a, b) => a + b, 0);
    onProgress?.({ modelId, phase: 'download', file, fileLoadedBytes, fileBytes, loadedBytes, totalBytes });
  };
}

/** An fp16 pack on an adapter without shader-f16 would compute zeros silently (JSEP): refuse it by name. */
function assertRunsOnWebGpu(manifest: PackManifest, caps: Capabilities): void {
  const unmet = unmetPackRequirements(manifest, { shaderF16: caps.webgpu?.shaderF16 ?? false });
  if (unmet.length > 0) {
    throw new VarError(
      'E_PACK_UNSUPPORTED',
      `${manifest.label} needs the WebGPU feature ${unmet.join(', ')}, which this GPU does not have: choose its q4 or q8 pack, or the WASM backend`,
      { unmet },
    );
  }
}

function backendFor(name: RunBackend): InferenceBackend {
  // Threaded WASM needs cross-origin isolation; without it ORT would warn and fall back to one thread anyway.
  ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  return name === 'webgpu'
    ? { name, ort, executionProviders: ['webgpu'], deviceResident: true }
    : { name, ort, executionProviders: ['wasm'], deviceResident: false };
}

/** The device ORT's WebGPU backend runs on (after a WebGPU session was created). */
export function ortWebGpuDevice(): Promise<GPUDevice> {
  return ort.env.webgpu.device;
}
