// The transformer graph's inputs for one scale (shared by the loop and the teacher-forced fidelity report).

import type { Tensor, TensorConstructor } from 'onnxruntime-common';
import { VAR_IO } from '../graphs/var-transformer';
import type { PackManifest } from '../pack/manifest';

export interface ScaleInputs {
  /** (2B,) int64: cond labels, then the null class for the uncond half. */
  readonly labels2B: Tensor;
  /** (B, l, Cvae): the quantizer's next input (zeros at the first scale). */
  readonly nextInput: Tensor;
  /** First token index of this scale and its token count (pn²). */
  readonly begin: number;
  readonly length: number;
  /** past_key_i / past_value_i of every layer. */
  readonly past: Readonly<Record<string, Tensor>>;
}

/**
 * The first scale's empty KV cache, (2B, H, 0, head_dim) per layer, in the graph's activation type (float16 for
 * packs whose manifest says so).
 */
export function emptyPast(
  T: TensorConstructor,
  manifest: Pick<PackManifest, 'var' | 'graphs'>,
  B: number,
): Record<string, Tensor> {
  const H = manifest.var.heads;
  const dims = [2 * B, H, 0, manifest.var.width / H];
  const empty = () =>
    manifest.graphs.transformer.activations === 'float16'
      ? new T('float16', new Uint16Array(0), dims)
      : new T('float32', new Float32Array(0), dims);
  const past: Record<string, Tensor> = {};
  for (let i = 0; i < manifest.var.depth; i++) {
    past[VAR_IO.pastKey(i)] = empty();
    past[VAR_IO.pastValue(i)] = empty();
  }
  return past;
}

export function transformerFeeds(T: TensorConstructor, s: ScaleInputs): Record<string, Tensor> {
  return {
    [VAR_IO.labels]: s.labels2B,
    [VAR_IO.nextInput]: s.nextInput,
    [VAR_IO.tokenBegin]: new T('int64', BigInt64Array.of(BigInt(s.begin)), [1]),
    [VAR_IO.tokenEnd]: new T('int64', BigInt64Array.of(BigInt(s.begin + s.length)), [1]),
    [VAR_IO.isFirst]: new T('bool', Uint8Array.of(s.begin === 0 ? 1 : 0), [1]),
    ...s.past,
  };
}
