// The page's only door to the engine: a comlink proxy of the worker, exposed as the same VarEngine interface.

import * as Comlink from 'comlink';
import type {
  GenerateCallbacks,
  GenerateParams,
  GenerationResult,
  LoadProgress,
  ScaleUpdate,
  VarEngine,
} from '../shared/engine-api';
import { hasErrorCode } from '../shared/errors';
import { installVarErrorTransfer } from '../web/comlink-errors';

/** What the worker exposes beyond VarEngine: a hook for the lost-device test (never called by the app). */
interface WorkerEngine extends VarEngine {
  loseGpuDeviceForTesting(): Promise<void>;
}

export interface EngineClient extends VarEngine {
  /** Stops the worker at once (the hard way to abort everything); the client is unusable afterwards. */
  terminate(): void;
  /** Destroys the engine's GPU device, as a driver reset would (end-to-end tests of the recovery). */
  loseGpuDeviceForTesting(): Promise<void>;
}

function startWorker(): { worker: Worker; remote: Comlink.Remote<WorkerEngine> } {
  const worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), {
    type: 'module',
    name: 'var-engine',
  });
  return { worker, remote: Comlink.wrap<WorkerEngine>(worker) };
}

export function createEngineClient(): EngineClient {
  installVarErrorTransfer();
  let current = startWorker();
  // A lost GPU device cannot be revived inside the worker (ORT's WebGPU backend keeps the device it started with):
  // the next request gets a fresh worker, hence a fresh device.
  const onError = (error: unknown): never => {
    if (hasErrorCode(error, 'E_GPU_DEVICE_LOST')) {
      current.worker.terminate();
      current = startWorker();
    }
    throw error;
  };
  return {
    capabilities: () => current.remote.capabilities(),
    listModels: () => current.remote.listModels(),
    // Callbacks cross the boundary as one comlink proxy with both methods always present (the worker cannot see
    // which optional ones exist); the previews inside updates arrive transferred.
    generate: (params: GenerateParams, callbacks: GenerateCallbacks = {}): Promise<GenerationResult> =>
      current.remote
        .generate(
          params,
          Comlink.proxy({
            onProgress: (p: LoadProgress) => callbacks.onProgress?.(p),
            onScale: (u: ScaleUpdate) => callbacks.onScale?.(u),
          }),
        )
        .catch(onError),
    cancel: () => current.remote.cancel(),
    terminate: () => current.worker.terminate(),
    loseGpuDeviceForTesting: () => current.remote.loseGpuDeviceForTesting(),
  };
}
