// The inference backend the loop is given: an onnxruntime API (web or node; both implement onnxruntime-common) + EPs.

import type { InferenceSession, TensorConstructor } from 'onnxruntime-common';

/** What the loop needs of an onnxruntime module (`import * as ort from 'onnxruntime-web'` or 'onnxruntime-node'). */
export interface OrtApi {
  readonly Tensor: TensorConstructor;
  readonly InferenceSession: {
    create(model: Uint8Array, options?: InferenceSession.SessionOptions): Promise<InferenceSession>;
  };
}

export interface InferenceBackend {
  /** 'wasm', 'webgpu' or 'native' (onnxruntime-node CPU): reported with every result. */
  readonly name: string;
  readonly ort: OrtApi;
  readonly executionProviders: NonNullable<InferenceSession.SessionOptions['executionProviders']>;
  /**
   * Keep per-scale tensors (KV cache, f_hat, next_input) on the device between runs (`gpu-buffer` outputs fed back
   * as inputs). Only for GPU execution providers.
   */
  readonly deviceResident: boolean;
  /** Extra session options (threads, logging). */
  readonly sessionOptions?: InferenceSession.SessionOptions;
}
