// Worker entry of the test build's engine: the app's engine plus the hooks end-to-end tests need. Only the lab page
// (test build) starts it; the app's worker (workers/engine.worker.ts) has no test hooks.

import * as Comlink from 'comlink';
import * as ort from 'onnxruntime-web';
import { defaultModelsUrl, Engine } from '../../../workers/engine/engine';
import { ModelStore } from '../../../workers/engine/store/model-store';
import { holdLifeLock } from '../../../workers/engine/worker-life';
import type {
  ConvertCallbacks,
  ConvertRequest,
  DownloadCallbacks,
  EditParams,
  GenerateCallbacks,
  GenerateParams,
  WorkerEngine,
} from '../../shared/engine-api';
import { installVarErrorTransfer } from '../../web/comlink-errors';
import type { EngineTestHooks, TestEngineOptions } from './lab-api';
import { failNextRun, gpuTensorStats, instrumentOrt } from './ort-instrument';

/** The app's engine, by delegation, so a test can swap it for a fresh one with other settings in the same worker. */
class TestEngine implements WorkerEngine, EngineTestHooks {
  private engine = new Engine();

  async configureForTesting(options: TestEngineOptions): Promise<void> {
    await this.engine.cancel();
    this.engine = new Engine({
      modelsUrl: options.modelsUrl ?? defaultModelsUrl(),
      store: { store: new ModelStore(options.chunkBytes ? { chunkBytes: options.chunkBytes } : {}) },
    });
  }

  holdLifeLock(name: string): Promise<void> {
    return holdLifeLock(name);
  }

  async gpuTensorStatsForTesting() {
    return gpuTensorStats();
  }

  async failNextRunForTesting(message: string): Promise<void> {
    failNextRun(message);
  }

  async closeWorkerForTesting(): Promise<void> {
    setTimeout(() => self.close(), 0); // after this call's answer has gone out
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
  edit(params: EditParams, callbacks?: GenerateCallbacks) {
    return this.engine.edit(params, callbacks);
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
  convertModel(request: ConvertRequest, callbacks?: ConvertCallbacks) {
    return this.engine.convertModel(request, callbacks);
  }
  cancelConversion() {
    return this.engine.cancelConversion();
  }
  addModelPack(packUrl: string, callbacks?: DownloadCallbacks) {
    return this.engine.addModelPack(packUrl, callbacks);
  }
}

installVarErrorTransfer();
instrumentOrt();
Comlink.expose(new TestEngine());
