// The one engine interface the page sees, whether the engine runs in a worker (comlink) or in-thread (tests).

import type { Capabilities } from './capabilities';

export interface VarEngine {
  /** Probes the device once; later calls return the same frozen table. */
  capabilities(): Promise<Capabilities>;
}
