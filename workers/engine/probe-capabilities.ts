// Probes WebGPU and WASM once, in the worker, and explains the backend choice in plain words.

import type { Capabilities, WebGpuAdapterInfo } from '../../src/shared/capabilities';

interface ProbeEnvironment {
  readonly gpu: GPU | undefined;
  readonly crossOriginIsolated: boolean;
  readonly hardwareConcurrency: number;
  readonly userAgent: string;
  readonly hasWebAssembly: boolean;
}

function currentEnvironment(): ProbeEnvironment {
  return {
    gpu: 'gpu' in navigator ? navigator.gpu : undefined,
    crossOriginIsolated: self.crossOriginIsolated === true,
    hardwareConcurrency: navigator.hardwareConcurrency ?? 1,
    userAgent: navigator.userAgent,
    hasWebAssembly: typeof WebAssembly === 'object' && typeof WebAssembly.instantiate === 'function',
  };
}

async function probeWebGpu(gpu: GPU | undefined): Promise<{ info: WebGpuAdapterInfo | null; why: string | null }> {
  if (!gpu) {
    return {
      info: null,
      why: 'This browser does not expose WebGPU (navigator.gpu is missing). Chrome/Edge 113+ or Safari 26+ have it; on Linux Chromium it may need --enable-unsafe-webgpu.',
    };
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (error) {
    return { info: null, why: `requestAdapter() failed: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (!adapter) {
    return {
      info: null,
      why: 'WebGPU is present but no GPU adapter is available (blocklisted driver, disabled GPU, or a headless browser without a GPU).',
    };
  }
  // adapter.info is the current API; isFallbackAdapter moved from the adapter to the info object in 2025.
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const legacyFallback = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return {
    info: Object.freeze({
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      isFallbackAdapter: info.isFallbackAdapter ?? legacyFallback ?? false,
      shaderF16: adapter.features.has('shader-f16'),
      maxBufferSize: adapter.limits.maxBufferSize,
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    }),
    why: null,
  };
}

function adapterName(info: WebGpuAdapterInfo): string {
  const name = [info.vendor, info.architecture, info.device, info.description].filter((s) => s !== '').join(' ');
  return name === '' ? 'an unnamed adapter' : name;
}

export async function probeCapabilities(env: ProbeEnvironment = currentEnvironment()): Promise<Capabilities> {
  const { info, why } = await probeWebGpu(env.gpu);
  let backend: Capabilities['backend'];
  let reason: string;
  if (info && info.isFallbackAdapter && env.hasWebAssembly) {
    // Measured here: SwiftShader runs the tiny model in ~100 s where WASM takes ~1 s. WebGPU stays selectable by hand.
    backend = 'wasm';
    reason = `WebGPU is a software adapter here (${adapterName(info)}): using WASM, ~100× faster. Choose WebGPU by hand to use it anyway.`;
  } else if (info) {
    backend = 'webgpu';
    reason = info.isFallbackAdapter
      ? `WebGPU on ${adapterName(info)} (a software fallback adapter: correct but slow; WebAssembly is unavailable).`
      : `WebGPU on ${adapterName(info)}.`;
  } else if (env.hasWebAssembly) {
    backend = 'wasm';
    reason = `WebAssembly on the CPU, because WebGPU is unavailable: ${why ?? 'unknown reason'}`;
  } else {
    backend = 'none';
    reason = `Neither WebGPU nor WebAssembly is available in this browser. ${why ?? ''}`.trim();
  }
  return Object.freeze({
    backend,
    reason,
    webgpu: info,
    webgpuUnavailable: why,
    wasm: env.hasWebAssembly,
    crossOriginIsolated: env.crossOriginIsolated,
    hardwareConcurrency: env.hardwareConcurrency,
    userAgent: env.userAgent,
  });
}
