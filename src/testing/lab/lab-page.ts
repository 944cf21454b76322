// ORT lab page (test build only): exposes `window.ortLab` (a comlink proxy of the lab worker) and `window.varEngine`
// (the app's engine client over the test engine worker, with its test hooks) for end-to-end tests and browser
// benchmarks.

import * as Comlink from 'comlink';
import { connectEngineWorker } from '../../app/engine-client';
import type { WorkerEngine } from '../../shared/engine-api';
import { installVarErrorTransfer } from '../../web/comlink-errors';
import type { EngineTestHooks, LabEngine, OrtLab } from './lab-api';

declare global {
  interface Window {
    ortLab?: Comlink.Remote<OrtLab>;
    varEngine?: LabEngine;
  }
}

installVarErrorTransfer();
const labWorker = new Worker(new URL('./ort-lab.worker.ts', import.meta.url), { type: 'module', name: 'ort-lab' });
window.ortLab = Comlink.wrap<OrtLab>(labWorker);

const { client, remote } = connectEngineWorker<WorkerEngine & EngineTestHooks>(
  () => new Worker(new URL('./engine-test.worker.ts', import.meta.url), { type: 'module', name: 'var-engine' }),
);
window.varEngine = {
  ...client,
  loseGpuDeviceForTesting: () => remote().loseGpuDeviceForTesting(),
  configureForTesting: (options) => remote().configureForTesting(options),
  gpuTensorStatsForTesting: () => remote().gpuTensorStatsForTesting(),
  failNextRunForTesting: (message) => remote().failNextRunForTesting(message),
  closeWorkerForTesting: () => remote().closeWorkerForTesting(),
};

async function start(): Promise<void> {
  const query = new URLSearchParams(location.search);
  const modelsUrl = query.get('models');
  const chunk = Number(query.get('chunk'));
  if (modelsUrl || chunk > 0) {
    await window.varEngine?.configureForTesting({
      ...(modelsUrl ? { modelsUrl } : {}),
      ...(chunk > 0 ? { chunkBytes: chunk } : {}),
    });
  }
  const status = document.querySelector('[data-testid="lab.status"]');
  if (status) status.textContent = 'ready';
}
void start();
