// The widget's engine connection: the app's engine client (connectEngineWorker) over the same worker file, typed with
// what the worker also exposes for the widget (StoreImportEngine, for storage access). The import is a client call
// like the others: it fails with E_WORKER_DIED if the worker dies during it, and the next one runs on a new worker.

import { connectEngineWorker, type EngineClient, startEngineWorker } from '../app/engine-client';
import type { ImportingWorkerEngine, StoreImportEngine } from '../shared/store-import';

export function connectWidgetEngine(): { readonly engine: EngineClient; readonly importer: () => StoreImportEngine } {
  const { client, call } = connectEngineWorker<ImportingWorkerEngine>(startEngineWorker);
  return {
    engine: client,
    importer: () => ({
      importStoredModel: (pack, source, callbacks) => call((e) => e.importStoredModel(pack, source, callbacks)),
    }),
  };
}
