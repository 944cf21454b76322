// Worker entry of the test build's engine: the app's engine plus the hooks end-to-end tests need. Only the lab page
// (test build) starts it; the app's worker (workers/engine.worker.ts) has no test hooks.

import * as Comlink from 'comlink';
import * as ort from 'onnxruntime-web';
import { Engine } from '../../../workers/engine/engine';
import { installVarErrorTransfer } from '../../web/comlink-errors';
import type { EngineTestHooks } from './lab-api';

class TestEngine extends Engine implements EngineTestHooks {
  /** Destroys the device ORT uses, as a driver reset would (the lost-device recovery test). */
  async loseGpuDeviceForTesting(): Promise<void> {
    (await ort.env.webgpu.device).destroy();
  }
}

installVarErrorTransfer();
Comlink.expose(new TestEngine());
