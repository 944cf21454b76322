// The engine: implements VarEngine in whatever thread it runs in (the worker, or in-thread in tests).

import type { Capabilities } from '../../src/shared/capabilities';
import type { VarEngine } from '../../src/shared/engine-api';
import { probeCapabilities } from './probe-capabilities';

export class Engine implements VarEngine {
  private capabilitiesPromise: Promise<Capabilities> | undefined;

  capabilities(): Promise<Capabilities> {
    this.capabilitiesPromise ??= probeCapabilities();
    return this.capabilitiesPromise;
  }
}
