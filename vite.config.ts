// Vite config for the app (index.html at the root, the engine in a module worker).
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// Multi-threaded WASM needs cross-origin isolation on EVERY response, worker scripts included
// (with headers on the document only, ORT's pthread workers are blocked and session creation hangs).
const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  server: { host: '127.0.0.1', port: 5173, strictPort: true, headers: crossOriginIsolation },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true, headers: crossOriginIsolation },
  worker: { format: 'es' },
  // ORT ships its own wasm next to its .mjs; pre-bundling would move the .mjs away from the wasm.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: {
    target: 'es2022',
    outDir: 'dist',
    sourcemap: true,
    rollupOptions: {
      // The app, and the ORT lab developer page used by the WebGPU parity tests and browser benchmarks.
      input: { main: resolve(import.meta.dirname, 'index.html'), lab: resolve(import.meta.dirname, 'ort-lab.html') },
    },
  },
});
