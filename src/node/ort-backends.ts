// Inference backends for Node: onnxruntime-web's WASM (the runtime the browser uses) or onnxruntime-node's CPU EP.

import { availableParallelism } from 'node:os';
import type { InferenceBackend } from '../core/generate/backend';
import { VarError } from '../shared/errors';

export type NodeBackendName = 'wasm' | 'native';

/** `threads` defaults to every core the machine has. */
export async function nodeBackend(name: NodeBackendName, threads = availableParallelism()): Promise<InferenceBackend> {
  if (name === 'wasm') {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = threads;
    return { name: 'wasm', ort, executionProviders: ['wasm'], deviceResident: false };
  }
  let ort: typeof import('onnxruntime-node');
  try {
    ort = await import('onnxruntime-node');
  } catch (error) {
    throw new VarError(
      'E_NO_BACKEND',
      `onnxruntime-node could not be loaded (${error instanceof Error ? error.message : String(error)}); use --backend wasm`,
    );
  }
  return {
    name: 'native',
    ort,
    executionProviders: ['cpu'],
    deviceResident: false,
    sessionOptions: {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      // The CPU EP fuses int8 DequantizeLinear → MatMul (q8 packs) into MatMulNBits and, by default, runs it with
      // int8-quantized activations (accuracy level 4): about 1 % off what WASM and WebGPU compute from the same pack.
      // Level 0 keeps float32 activations, so native numbers describe the pack, not a CPU-only approximation.
      extra: { session: { qdq_matmulnbits_accuracy_level: '0' } },
    },
  };
}
