// Which backend a run uses: the user's choice resolved against what the probe found.

import type { Capabilities } from '../../src/shared/capabilities';
import type { BackendChoice } from '../../src/shared/engine-api';
import { VarError } from '../../src/shared/errors';

/**
 * 'auto' follows the probe (which prefers WASM to a software WebGPU adapter); 'webgpu' runs on any adapter the probe
 * found, a software one included; 'wasm' always runs.
 */
export function chooseBackend(caps: Capabilities, choice: BackendChoice): 'webgpu' | 'wasm' {
  if (choice === 'wasm') return 'wasm';
  if (choice === 'webgpu' && caps.webgpu) return 'webgpu';
  if (choice === 'auto' && caps.backend === 'webgpu') return 'webgpu';
  if (choice === 'webgpu') {
    throw new VarError(
      'E_NO_BACKEND',
      `WebGPU was requested but is unavailable: ${caps.webgpuUnavailable ?? caps.reason}`,
    );
  }
  if (caps.backend === 'none') throw new VarError('E_NO_BACKEND', caps.reason);
  return 'wasm';
}
