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
import { installVarErrorTransfer } from '../web/comlink-errors';

export interface EngineClient extends VarEngine {
  /** Stops the worker at once (the hard way to abort everything); the client is unusable afterwards. */
  terminate(): void;
}

export function createEngineClient(): EngineClient {
  installVarErrorTransfer();
  const worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), {
    type: 'module',
    name: 'var-engine',
  });
  const remote = Comlink.wrap<VarEngine>(worker);
  return {
    capabilities: () => remote.capabilities(),
    listModels: () => remote.listModels(),
    // Callbacks cross the boundary as one comlink proxy with both methods always present (the worker cannot see
    // which optional ones exist); the previews inside updates arrive transferred.
    generate: (params: GenerateParams, callbacks: GenerateCallbacks = {}): Promise<GenerationResult> =>
      remote.generate(
        params,
        Comlink.proxy({
          onProgress: (p: LoadProgress) => callbacks.onProgress?.(p),
          onScale: (u: ScaleUpdate) => callbacks.onScale?.(u),
        }),
      ),
    cancel: () => remote.cancel(),
    terminate: () => worker.terminate(),
  };
}
