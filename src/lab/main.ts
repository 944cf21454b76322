// ORT lab page: exposes `window.ortLab` (a comlink proxy of the lab worker) and `window.varEngine` (the app's engine
// client) for end-to-end tests and browser benchmarks.

import * as Comlink from 'comlink';
import { createEngineClient, type EngineClient } from '../app/engine-client';
import type { OrtLab } from '../shared/lab-api';
import { installVarErrorTransfer } from '../web/comlink-errors';

declare global {
  interface Window {
    ortLab?: Comlink.Remote<OrtLab>;
    varEngine?: EngineClient;
  }
}

installVarErrorTransfer();
const worker = new Worker(new URL('../../workers/ort-lab.worker.ts', import.meta.url), {
  type: 'module',
  name: 'ort-lab',
});
window.ortLab = Comlink.wrap<OrtLab>(worker);
window.varEngine = createEngineClient();
const status = document.querySelector('[data-testid="lab.status"]');
if (status) status.textContent = 'ready';
