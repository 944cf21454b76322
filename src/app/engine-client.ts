// The page's only door to the engine: a comlink proxy of the worker, typed as VarEngine.

import * as Comlink from 'comlink';
import type { VarEngine } from '../shared/engine-api';
import { installVarErrorTransfer } from '../web/comlink-errors';

export interface EngineClient {
  readonly engine: Comlink.Remote<VarEngine>;
  /** Stops the worker at once (the hard way to abort anything in flight). */
  terminate(): void;
}

export function createEngineClient(): EngineClient {
  installVarErrorTransfer();
  const worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), {
    type: 'module',
    name: 'var-engine',
  });
  return {
    engine: Comlink.wrap<VarEngine>(worker),
    terminate: () => worker.terminate(),
  };
}
