// The capability probe's decisions, over fake navigator.gpu objects (the real one is exercised by e2e tests).
import { describe, expect, it } from 'vitest';
import { probeCapabilities } from './probe-capabilities';

const base = { crossOriginIsolated: false, hardwareConcurrency: 2, userAgent: 'test', hasWebAssembly: true };

function fakeGpu(adapter: Partial<GPUAdapter> | null | Error): GPU {
  return {
    requestAdapter: async () => {
      if (adapter instanceof Error) throw adapter;
      return adapter as GPUAdapter | null;
    },
  } as unknown as GPU;
}

const swiftshader = {
  info: { vendor: 'google', architecture: 'swiftshader', device: '', description: '', isFallbackAdapter: true },
  features: new Set<string>(),
  limits: { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 27 },
} as unknown as GPUAdapter;

describe('probeCapabilities', () => {
  it('falls back to WASM and says navigator.gpu is missing', async () => {
    const caps = await probeCapabilities({ ...base, gpu: undefined });
    expect(caps.backend).toBe('wasm');
    expect(caps.webgpu).toBeNull();
    expect(caps.reason).toMatch(/WebAssembly on the CPU, because WebGPU is unavailable: .*navigator\.gpu is missing/);
    expect(Object.isFrozen(caps)).toBe(true);
  });

  it('falls back to WASM when no adapter is returned, or requestAdapter throws', async () => {
    const none = await probeCapabilities({ ...base, gpu: fakeGpu(null) });
    expect(none.backend).toBe('wasm');
    expect(none.webgpuUnavailable).toMatch(/no GPU adapter/);
    const thrown = await probeCapabilities({ ...base, gpu: fakeGpu(new Error('device lost')) });
    expect(thrown.webgpuUnavailable).toBe('requestAdapter() failed: device lost');
  });

  it('prefers WASM to a software fallback adapter, says why, and still reports the adapter', async () => {
    const caps = await probeCapabilities({ ...base, gpu: fakeGpu(swiftshader) });
    expect(caps.backend).toBe('wasm');
    expect(caps.reason).toBe(
      'WebGPU is a software adapter here (google swiftshader): using WASM, ~100× faster. Choose WebGPU by hand to use it anyway.',
    );
    expect(caps.webgpu).toMatchObject({
      isFallbackAdapter: true,
      shaderF16: false,
      maxStorageBufferBindingSize: 2 ** 27,
    });
  });

  it('uses a software adapter when there is no WebAssembly to prefer', async () => {
    const caps = await probeCapabilities({ ...base, hasWebAssembly: false, gpu: fakeGpu(swiftshader) });
    expect(caps.backend).toBe('webgpu');
    expect(caps.reason).toMatch(/a software fallback adapter: correct but slow; WebAssembly is unavailable/);
  });

  it('picks WebGPU on a hardware adapter and reports shader-f16 when it has it', async () => {
    const f16 = {
      ...swiftshader,
      features: new Set(['shader-f16']),
      info: { ...swiftshader.info, isFallbackAdapter: false },
    };
    const caps = await probeCapabilities({ ...base, gpu: fakeGpu(f16 as unknown as GPUAdapter) });
    expect(caps.backend).toBe('webgpu');
    expect(caps.webgpu?.shaderF16).toBe(true);
    expect(caps.reason).toBe('WebGPU on google swiftshader.');
  });

  it('says plainly when nothing can run', async () => {
    const caps = await probeCapabilities({ ...base, hasWebAssembly: false, gpu: undefined });
    expect(caps.backend).toBe('none');
    expect(caps.reason).toMatch(/^Neither WebGPU nor WebAssembly is available/);
  });
});
