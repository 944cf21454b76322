// The page's only door to the engine: a comlink proxy of the worker, exposed as the same VarEngine interface.

import * as Comlink from 'comlink';
import type {
  ConvertCallbacks,
  ConvertProgress,
  ConvertRequest,
  DownloadCallbacks,
  EditParams,
  GenerateCallbacks,
  GenerateParams,
  GenerationResult,
  LoadProgress,
  ScaleUpdate,
  VarEngine,
  WorkerEngine,
} from '../shared/engine-api';
import { hasErrorCode, VarError } from '../shared/errors';
import { installVarErrorTransfer } from '../web/comlink-errors';

export interface EngineClient extends VarEngine {
  /** Stops the worker at once (the hard way to abort everything); the client is unusable afterwards. */
  terminate(): void;
}

/** Starts the app's engine worker (a module worker, so Vite bundles it and its ORT import). */
export function startEngineWorker(): Worker {
  return new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module', name: 'var-engine' });
}

/**
 * A client over workers made by `startWorker`, whose remote is a `W` (the engine, or more for test builds), and
 * access to the current worker's remote for what `W` adds. The client outlives its workers: a worker that dies
 * (crash, kill, close: seen through a Web Lock it holds for its life) fails the request in flight with
 * E_WORKER_DIED; one whose GPU device was lost (ORT's WebGPU backend keeps the device it started with) or whose
 * WASM memory ran out fails it with E_GPU_DEVICE_LOST / E_OUT_OF_MEMORY. Each time a new worker takes over, so the
 * next request runs on a fresh one.
 */
export function connectEngineWorker<W extends WorkerEngine>(
  startWorker: () => Worker,
): {
  client: EngineClient;
  remote: () => Comlink.Remote<W>;
  /** A call of what `W` adds, with the client's guarantees (E_WORKER_DIED if the worker dies, restarts). */
  call: <T>(work: (remote: Comlink.Remote<W>) => Promise<T>) => Promise<T>;
} {
  installVarErrorTransfer();
  let terminated = false;
  interface Live {
    readonly worker: Worker;
    readonly remote: Comlink.Remote<W>;
    /** Rejects with E_WORKER_DIED when the worker ends (never settles while it lives). */
    readonly died: Promise<never>;
  }
  const start = (): Live => {
    const worker = startWorker();
    const remote = Comlink.wrap<W>(worker);
    const died = watchDeath(remote as unknown as Comlink.Remote<WorkerEngine>);
    died.catch(() => {
      // The dead worker's successor starts at once (unless the client was closed on purpose).
      if (!terminated && current.worker === worker) restart();
    });
    return { worker, remote, died };
  };
  let current = start();
  const restart = () => {
    current.worker.terminate();
    current = start();
  };
  // The comlink proxy of a W is assignable to one of a WorkerEngine, but TypeScript cannot see that for a generic W.
  const engine = (): Comlink.Remote<WorkerEngine> => current.remote as unknown as Comlink.Remote<WorkerEngine>;
  /** A call to the current worker that fails at once if that worker dies, and replaces a worker that cannot go on. */
  const call = <T>(work: (e: Comlink.Remote<WorkerEngine>) => Promise<T>): Promise<T> => {
    const live = current;
    return Promise.race([work(engine()), live.died]).catch((error: unknown) => {
      if (
        (hasErrorCode(error, 'E_GPU_DEVICE_LOST') || hasErrorCode(error, 'E_OUT_OF_MEMORY')) &&
        current === live &&
        !terminated
      ) {
        restart();
      }
      throw error;
    });
  };
  const client: EngineClient = {
    capabilities: () => call((e) => e.capabilities()),
    listModels: () => call((e) => e.listModels()),
    // Callbacks cross the boundary as one comlink proxy with both methods always present (the worker cannot see
    // which optional ones exist); the previews inside updates arrive transferred.
    edit: (params: EditParams, callbacks: GenerateCallbacks = {}): Promise<GenerationResult> =>
      call((e) =>
        e.edit(
          params,
          Comlink.proxy({
            onProgress: (p: LoadProgress) => callbacks.onProgress?.(p),
            onScale: (u: ScaleUpdate) => callbacks.onScale?.(u),
          }),
        ),
      ),
    generate: (params: GenerateParams, callbacks: GenerateCallbacks = {}): Promise<GenerationResult> =>
      call((e) =>
        e.generate(
          params,
          Comlink.proxy({
            onProgress: (p: LoadProgress) => callbacks.onProgress?.(p),
            onScale: (u: ScaleUpdate) => callbacks.onScale?.(u),
          }),
        ),
      ),
    cancel: () => call((e) => e.cancel()),
    downloadModel: (modelId: string, callbacks: DownloadCallbacks = {}) =>
      call((e) =>
        e.downloadModel(modelId, Comlink.proxy({ onProgress: (p: LoadProgress) => callbacks.onProgress?.(p) })),
      ),
    cancelDownload: () => call((e) => e.cancelDownload()),
    deleteModel: (modelId: string) => call((e) => e.deleteModel(modelId)),
    storageUsage: () => call((e) => e.storageUsage()),
    // Files in the request cross as structured clones (a File is a handle, not a copy of its bytes).
    convertModel: (request: ConvertRequest, callbacks: ConvertCallbacks = {}) =>
      call((e) =>
        e.convertModel(request, Comlink.proxy({ onProgress: (p: ConvertProgress) => callbacks.onProgress?.(p) })),
      ),
    cancelConversion: () => call((e) => e.cancelConversion()),
    addModelPack: (packUrl: string, callbacks: DownloadCallbacks = {}) =>
      call((e) =>
        e.addModelPack(packUrl, Comlink.proxy({ onProgress: (p: LoadProgress) => callbacks.onProgress?.(p) })),
      ),
    terminate: () => {
      terminated = true;
      current.worker.terminate();
    },
  };
  return {
    client,
    remote: () => current.remote,
    call: (work) => call(() => work(current.remote)),
  };
}

/**
 * Rejects with E_WORKER_DIED once the worker behind `remote` has ended: the worker holds a Web Lock for its life, and
 * this side's request for the same lock is granted only when it is gone. Without Web Locks it never settles.
 */
function watchDeath(remote: Comlink.Remote<WorkerEngine>): Promise<never> {
  const locks = (navigator as Navigator & { locks?: LockManager }).locks;
  return new Promise<never>((_, reject) => {
    if (!locks) return;
    const name = `var-web-engine-life-${crypto.randomUUID()}`;
    remote
      .holdLifeLock(name)
      .then(() =>
        locks.request(name, () =>
          reject(
            new VarError(
              'E_WORKER_DIED',
              'The engine stopped (its worker crashed or was closed). It has been restarted: generate again.',
            ),
          ),
        ),
      )
      .catch(() => undefined);
  });
}

export function createEngineClient(): EngineClient {
  return connectEngineWorker<WorkerEngine>(startEngineWorker).client;
}
