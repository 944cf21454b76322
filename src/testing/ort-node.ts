// Test helpers (Node only): ORT-web WASM sessions over built models, the quantizer chain, error measures.
// Fixture files are read through ./fixtures.

import * as ort from 'onnxruntime-web';
import { lookupCodebook } from '../core/generate/codebook';
import { scaleOffsets } from '../core/graphs/scale-resample';
import { quantizerStepFeeds } from '../core/graphs/vq-quantizer';
import type { BuiltModel } from '../core/onnx/graph-builder';

/** A WASM session (single thread: deterministic and fair to the 2-core CI) over a built model. */
export async function createSession(built: BuiltModel): Promise<ort.InferenceSession> {
  ort.env.wasm.numThreads = 1;
  return ort.InferenceSession.create(built.model, {
    executionProviders: ['wasm'],
    externalData: [...built.externalData].map(([path, data]) => ({ path, data })),
  });
}

export function f32(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims);
}

export function i32(data: Int32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('int32', data, dims);
}

export function outputData(outputs: ort.InferenceSession.ReturnType, name: string): Float32Array {
  const tensor = outputs[name];
  if (tensor === undefined) throw new Error(`No output ${name}`);
  return tensor.data as Float32Array;
}

/** max |a − b| over equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`Length mismatch: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

export interface ChainResult {
  /** f_hat after every scale, (B, C, S, S) each. */
  readonly fHats: Float32Array[];
  /** next_input after every scale but the last, (B, pn_{si+1}², C) each. */
  readonly nextInputs: Float32Array[];
}

/**
 * Runs the quantizer step graph over all scales for B rows of token ids (rows of length L, all scales concatenated),
 * the way the generation loop chains it (ids looked up in `codebook` (V, C) on the CPU).
 */
export async function runQuantizerChain(
  session: ort.InferenceSession,
  codebook: Float32Array,
  idsBL: Int32Array,
  batch: number,
  patchNums: readonly number[],
  phiCount: number,
  channels: number,
): Promise<ChainResult> {
  const { begins, length } = scaleOffsets(patchNums);
  const S = patchNums[patchNums.length - 1] as number;
  let fHat: ort.Tensor = new ort.Tensor('float32', new Float32Array(batch * channels * S * S), [batch, channels, S, S]);
  const fHats: Float32Array[] = [];
  const nextInputs: Float32Array[] = [];
  for (let si = 0; si < patchNums.length; si++) {
    const n = (patchNums[si] as number) ** 2;
    const ids = new Int32Array(batch * n);
    for (let row = 0; row < batch; row++) {
      const start = row * length + (begins[si] as number);
      ids.set(idsBL.subarray(start, start + n), row * n);
    }
    const feeds = quantizerStepFeeds(patchNums, si, phiCount);
    const out = await session.run({
      h_BnC: new ort.Tensor('float32', lookupCodebook(codebook, channels, ids), [batch, n, channels]),
      f_hat: fHat,
      up_matrix: new ort.Tensor('float32', feeds.upMatrix.data, feeds.upMatrix.dims),
      down_matrix: new ort.Tensor('float32', feeds.downMatrix.data, feeds.downMatrix.dims),
      phi_index: new ort.Tensor('int32', Int32Array.of(feeds.phiIndex), []),
    });
    fHat = out.f_hat_out as ort.Tensor;
    fHats.push(fHat.data as Float32Array);
    if (si < patchNums.length - 1) nextInputs.push(out.next_input?.data as Float32Array);
  }
  return { fHats, nextInputs };
}
