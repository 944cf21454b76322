// The page's only door to the engine: a comlink proxy of the worker, exposed as the same VarEngine interface.

import * as Comlink from 'comlink';
import type {
  DownloadCallbacks,
  GenerateCallbacks,
  GenerateParams,
  GenerationResult,
  LoadProgress,
  ScaleUpdate,
  VarEngine,
} from '../shared/engine-api';
import { hasErrorCode } from '../shared/errors';
import { installVarErrorTransfer } from '../web/comlink-errors';

export interface EngineClient extends VarEngine {
  /** Stops the worker at once (the hard way to abort everything); the client is unusable afterwards. */
  terminate(): void;
}

/** Starts the app's engine worker (a module worker, so Vite bundles it and its ORT import). */
function startEngineWorker(): Worker {
  return new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module', name: 'var-engine' });
}

/**
 * A client over workers made by `startWorker`, whose remote is a `W` (a VarEngine, or more for test builds), and
 * access to the current worker's remote for what `W` adds. A lost GPU device cannot be revived inside a worker
 * (ORT's WebGPU backend keeps the device it started with): the next request gets a fresh worker, hence a device.
 */
export function connectEngineWorker<W extends VarEngine>(
  startWorker: () => Worker,
): { client: EngineClient; remote: () => Comlink.Remote<W> } {
  installVarErrorTransfer();
  const start = () => {
    const worker = startWorker();
    return { worker, remote: Comlink.wrap<W>(worker) };
  };
  let current = start();
  const onError = (error: unknown): never => {
    if (hasErrorCode(error, 'E_GPU_DEVICE_LOST')) {
      current.worker.terminate();
      current = start();
    }
    throw error;
  };
  // The comlink proxy of a W is assignable to one of a VarEngine, but TypeScript cannot see that for a generic W.
  const engine = (): Comlink.Remote<VarEngine> => current.remote as unknown as Comlink.Remote<VarEngine>;
  const client: EngineClient = {
    capabilities: () => engine().capabilities(),
    listModels: () => engine().listModels(),
    // Callbacks cross the boundary as one comlink proxy with both methods always present (the worker cannot see
    // which optional ones exist); the previews inside updates arrive transferred.
    generate: (params: GenerateParams, callbacks: GenerateCallbacks = {}): Promise<GenerationResult> =>
      engine()
        .generate(
          params,
          Comlink.proxy({
            onProgress: (p: LoadProgress) => callbacks.onProgress?.(p),
            onScale: (u: ScaleUpdate) => callbacks.onScale?.(u),
          }),
        )
        .catch(onError),
    cancel: () => engine().cancel(),
    downloadModel: (modelId: string, callbacks: DownloadCallbacks = {}) =>
      engine().downloadModel(modelId, Comlink.proxy({ onProgress: (p: LoadProgress) => callbacks.onProgress?.(p) })),
    cancelDownload: () => engine().cancelDownload(),
    deleteModel: (modelId: string) => engine().deleteModel(modelId),
    storageUsage: () => engine().storageUsage(),
    terminate: () => current.worker.terminate(),
  };
  return { client, remote: () => current.remote };
}

export function createEngineClient(): EngineClient {
  return connectEngineWorker<VarEngine>(startEngineWorker).client;
}
