// What the engine found on this device: probed once in the worker, frozen, shown by the page.

export type BackendName = 'webgpu' | 'wasm';

export interface WebGpuAdapterInfo {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** A software or otherwise degraded adapter (SwiftShader in headless CI). */
  readonly isFallbackAdapter: boolean;
  readonly shaderF16: boolean;
  readonly maxBufferSize: number;
  readonly maxStorageBufferBindingSize: number;
}

export interface Capabilities {
  /** The backend the engine will run on, and why, in words a person can act on. */
  readonly backend: BackendName | 'none';
  readonly reason: string;
  /** null when no adapter was found; `webgpuUnavailable` then says why. */
  readonly webgpu: WebGpuAdapterInfo | null;
  readonly webgpuUnavailable: string | null;
  readonly wasm: boolean;
  /** Multi-threaded WASM needs cross-origin isolation (COOP/COEP on every response). */
  readonly crossOriginIsolated: boolean;
  readonly hardwareConcurrency: number;
  readonly userAgent: string;
}
