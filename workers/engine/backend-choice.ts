// Which backend a run uses: the user's choice resolved against what the probe found.

import type { Capabilities } from '../../src/shared/capabilities';
import type { BackendChoice } from '../../src/shared/engine-api';
import { VarError } from '../../src/shared/errors';

export function chooseBackend(caps: Capabilities, choice: BackendChoice): 'webgpu' | 'wasm' {
  if (choice === 'wasm') return 'wasm';
  if (caps.backend === 'webgpu') return 'webgpu';
  if (choice === 'webgpu') {
    throw new VarError(
      'E_NO_BACKEND',
      `WebGPU was requested but is unavailable: ${caps.webgpuUnavailable ?? caps.reason}`,
    );
  }
  if (caps.backend === 'none') throw new VarError('E_NO_BACKEND', caps.reason);
  return 'wasm';
}
