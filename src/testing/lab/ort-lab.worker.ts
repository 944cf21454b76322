// Worker entry for the ORT lab: only wires it to comlink.

import * as Comlink from 'comlink';
import { installVarErrorTransfer } from '../../web/comlink-errors';
import { OrtLabImpl } from './ort-lab';

installVarErrorTransfer();
Comlink.expose(new OrtLabImpl());
