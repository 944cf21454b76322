// Worker entry: only wires the engine to comlink.

import * as Comlink from 'comlink';
import { installVarErrorTransfer } from '../src/web/comlink-errors';
import { Engine } from './engine/engine';

installVarErrorTransfer();
Comlink.expose(new Engine());
