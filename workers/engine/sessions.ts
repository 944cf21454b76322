// The session layer: one loaded pipeline (ORT sessions of a pack on one backend) at a time; a model or backend
// switch releases the previous one's memory first.

import * as ort from 'onnxruntime-web';
import type { InferenceBackend } from '../../src/core/generate/backend';
import { VarPipeline } from '../../src/core/generate/var-pipeline';
import type { PackManifest } from '../../src/core/pack/manifest';
import { unmetPackRequirements } from '../../src/core/pack/requirements';
import type { Capabilities } from '../../src/shared/capabilities';
import type { LoadProgress } from '../../src/shared/engine-api';
import { VarError } from '../../src/shared/errors';
import { httpPackSource } from './http-pack';

export type RunBackend = 'webgpu' | 'wasm';

export interface LoadedPipeline {
  readonly key: string;
  readonly pipeline: VarPipeline;
  readonly backend: RunBackend;
  readonly sessionMs: number;
}

export interface LoadRequest {
  readonly modelId: string;
  readonly packUrl: string;
  readonly manifest: PackManifest;
  readonly backend: RunBackend;
  readonly capabilities: Capabilities;
  readonly onProgress?: (progress: LoadProgress) => void;
}

export class Sessions {
  private loaded: LoadedPipeline | undefined;

  /** The pipeline for `request`, loading it (and releasing the previous one) unless it is the one loaded. */
  async load(request: LoadRequest): Promise<LoadedPipeline> {
    const { modelId, manifest, backend } = request;
    const key = `${modelId}|${backend}`;
    if (this.loaded?.key === key) return this.loaded;
    await this.release();
    if (backend === 'webgpu') assertRunsOnWebGpu(manifest, request.capabilities);
    const totalBytes = manifest.files.reduce((n, f) => n + f.bytes, 0);
    const done = new Map<string, number>();
    const pack = httpPackSource(request.packUrl, manifest, (file, loaded) => {
      done.set(file, loaded);
      const loadedBytes = [...done.values()].reduce((a, b) => a + b, 0);
      request.onProgress?.({ modelId, phase: 'download', file, loadedBytes, totalBytes });
    });
    const t0 = performance.now();
    const pipeline = await VarPipeline.load(pack, backendFor(backend));
    request.onProgress?.({ modelId, phase: 'session', file: '', loadedBytes: totalBytes, totalBytes });
    this.loaded = { key, pipeline, backend, sessionMs: performance.now() - t0 };
    return this.loaded;
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
