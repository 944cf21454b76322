// ORT lab page: exposes `window.ortLab` (a comlink proxy of the lab worker) for tests and benchmarks.

import * as Comlink from 'comlink';
import type { OrtLab } from '../shared/lab-api';
import { installVarErrorTransfer } from '../web/comlink-errors';

declare global {
  interface Window {
    ortLab?: Comlink.Remote<OrtLab>;
  }
}

installVarErrorTransfer();
const worker = new Worker(new URL('../../workers/ort-lab.worker.ts', import.meta.url), {
  type: 'module',
  name: 'ort-lab',
});
window.ortLab = Comlink.wrap<OrtLab>(worker);
const status = document.querySelector('[data-testid="lab.status"]');
if (status) status.textContent = 'ready';
