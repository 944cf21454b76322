// Worker entry: only wires the engine to comlink, with the life lock the page's death watch waits on.

import * as Comlink from 'comlink';
import type { ImportingWorkerEngine } from '../src/shared/store-import';
import { installVarErrorTransfer } from '../src/web/comlink-errors';
import { Engine } from './engine/engine';
import { holdLifeLock } from './engine/worker-life';

class WorkerEntry extends Engine implements ImportingWorkerEngine {
  holdLifeLock(name: string): Promise<void> {
    return holdLifeLock(name);
  }
}

installVarErrorTransfer();
Comlink.expose(new WorkerEntry());
