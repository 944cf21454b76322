// Worker entry: only wires the engine to comlink, with the life lock the page's death watch waits on.

import * as Comlink from 'comlink';
import type { WorkerEngine } from '../src/shared/engine-api';
import { installVarErrorTransfer } from '../src/web/comlink-errors';
import { Engine } from './engine/engine';
import { holdLifeLock } from './engine/worker-life';

class WorkerEntry extends Engine implements WorkerEngine {
  holdLifeLock(name: string): Promise<void> {
    return holdLifeLock(name);
  }
}

installVarErrorTransfer();
Comlink.expose(new WorkerEntry());
