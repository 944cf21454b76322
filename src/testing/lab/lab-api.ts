// Contract of the test build's lab page: the ORT lab worker (run one ONNX model on a chosen backend and report what
// ran where) and the engine with its test hooks.

import type { EngineClient } from '../../app/engine-client';

/** Where the test build serves the lab page (Vite keeps the HTML's path under the project root). */
export const LAB_PAGE_PATH = '/src/testing/lab/ort-lab.html';

/** Settings of a fresh engine in the test worker (lab page query: `?models=<url>&chunk=<bytes>`). */
export interface TestEngineOptions {
  /** The models folder (e.g. a test server's, to count and cut requests); default the build's. */
  readonly modelsUrl?: string;
  /** The store's chunk size for new files (small, so resuming inside a file is tested with small packs). */
  readonly chunkBytes?: number;
}

/** GPU-resident ORT outputs the engine received, and how many it disposed. */
export interface GpuTensorStats {
  readonly created: number;
  readonly disposed: number;
  readonly live: number;
}

/** What the test engine worker adds to the app's engine. */
export interface EngineTestHooks {
  /** Counts of `gpu-buffer` output tensors since the worker started. */
  gpuTensorStatsForTesting(): Promise<GpuTensorStats>;
  /** The next ORT session run throws RangeError(message), as an allocation failure inside the worker would. */
  failNextRunForTesting(message: string): Promise<void>;
  /** Ends the worker from the inside (self.close()), as a crash would; the client must notice and replace it. */
  closeWorkerForTesting(): Promise<void>;
  /** Destroys the engine's GPU device, as a driver reset would (end-to-end test of the recovery). */
  loseGpuDeviceForTesting(): Promise<void>;
  /**
   * Replaces the engine by a fresh one (no models index, manifests or sessions in memory; the same IndexedDB store
   * and the same ORT runtime) with these settings.
   */
  configureForTesting(options: TestEngineOptions): Promise<void>;
}

/** `window.varEngine` on the lab page. */
export type LabEngine = EngineClient & EngineTestHooks;

export type LabBackend = 'webgpu' | 'wasm';
export type LabDataType = 'float32' | 'int32' | 'int64' | 'bool';

/** A tensor in transit; `data` is base64 so the same object can cross Playwright's evaluate boundary. */
export interface LabTensor {
  readonly type: LabDataType;
  readonly dims: readonly number[];
  readonly data: string;
}

export interface LabRunRequest {
  readonly model: string;
  readonly externalData?: readonly { readonly path: string; readonly data: string }[];
  readonly feeds: Readonly<Record<string, LabTensor>>;
  readonly backend: LabBackend;
  /** Runs timed after the first (warm-up) run; 0 = run once. */
  readonly timedRuns?: number;
}

export interface LabRunResult {
  readonly outputs: Readonly<Record<string, LabTensor>>;
  readonly webgpuAdapter: string | null;
  readonly sessionMs: number;
  readonly firstRunMs: number;
  readonly timedRunMs: readonly number[];
}

export interface OrtLab {
  run(request: LabRunRequest): Promise<LabRunResult>;
}
