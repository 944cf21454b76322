// Worker entry of the test build's engine: the app's engine plus the hooks end-to-end tests need. Only the lab page
// (test build) starts it; the app's worker (workers/engine.worker.ts) has no test hooks.

import * as Comlink from 'comlink';
import * as ort from 'onnxruntime-web';
import { defaultModelsUrl, Engine } from '../../../workers/engine/engine';
import { ModelStore } from '../../../workers/engine/store/model-store';
import type { DownloadCallbacks, GenerateCallbacks, GenerateParams, VarEngine } from '../../shared/engine-api';
import { installVarErrorTransfer } from '../../web/comlink-errors';
import type { EngineTestHooks, TestEngineOptions } from './lab-api';

/** The app's engine, by delegation, so a test can swap it for a fresh one with other settings in the same worker. */
class TestEngine implements VarEngine, EngineTestHooks {
  private engine = new Engine();

  async configureForTesting(options: TestEngineOptions): Promise<void> {
    await this.engine.cancel();
    this.engine = new Engine({
      modelsUrl: options.modelsUrl ?? defaultModelsUrl(),
      store: { store: new ModelStore(options.chunkBytes ? { chunkBytes: options.chunkBytes } : {}) },
    });
  }

  async loseGpuDeviceForTesting(): Promise<void> {
    (await ort.env.webgpu.device).destroy();
  }

  capabilities() {
    return this.engine.capabilities();
  }
  listModels() {
    return this.engine.listModels();
  }
  generate(params: GenerateParams, callbacks?: GenerateCallbacks) {
    return this.engine.generate(params, callbacks);
  }
  cancel() {
    return this.engine.cancel();
  }
  downloadModel(modelId: string, callbacks?: DownloadCallbacks) {
    return this.engine.downloadModel(modelId, callbacks);
  }
  cancelDownload() {
    return this.engine.cancelDownload();
  }
  deleteModel(modelId: string) {
    return this.engine.deleteModel(modelId);
  }
  storageUsage() {
    return this.engine.storageUsage();
  }
}

installVarErrorTransfer();
Comlink.expose(new TestEngine());
