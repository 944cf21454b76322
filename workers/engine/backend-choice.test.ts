import { describe, expect, it } from 'vitest';
import type { Capabilities } from '../../src/shared/capabilities';
import { chooseBackend } from './backend-choice';

const ADAPTER = {
  vendor: 'google',
  architecture: 'swiftshader',
  device: '',
  description: '',
  isFallbackAdapter: true,
  shaderF16: false,
  maxBufferSize: 2 ** 30,
  maxStorageBufferBindingSize: 2 ** 27,
};

function caps(backend: Capabilities['backend'], adapter = backend === 'webgpu'): Capabilities {
  return {
    backend,
    reason: backend === 'none' ? 'no WebAssembly here' : 'probed',
    webgpu: adapter ? ADAPTER : null,
    webgpuUnavailable: backend === 'webgpu' ? null : 'no adapter',
    wasm: backend !== 'none',
    crossOriginIsolated: true,
    hardwareConcurrency: 2,
    userAgent: 'test',
  };
}

describe('chooseBackend', () => {
  it('auto follows the probe', () => {
    expect(chooseBackend(caps('webgpu'), 'auto')).toBe('webgpu');
    expect(chooseBackend(caps('wasm'), 'auto')).toBe('wasm');
  });

  it('WASM by hand always runs; WebGPU by hand fails with the reason where there is none', () => {
    expect(chooseBackend(caps('webgpu'), 'wasm')).toBe('wasm');
    expect(() => chooseBackend(caps('wasm'), 'webgpu')).toThrow(/WebGPU was requested but is unavailable: no adapter/);
  });

  it('WebGPU by hand runs on a software adapter that auto passed over for WASM', () => {
    const software = caps('wasm', true);
    expect(chooseBackend(software, 'auto')).toBe('wasm');
    expect(chooseBackend(software, 'webgpu')).toBe('webgpu');
  });

  it('no backend at all is E_NO_BACKEND with the probe reason', () => {
    expect(() => chooseBackend(caps('none'), 'auto')).toThrow(expect.objectContaining({ code: 'E_NO_BACKEND' }));
  });
});
