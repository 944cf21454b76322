// The transformer graph's inputs for one scale (shared by the loop and the teacher-forced fidelity report).

import type { Tensor, TensorConstructor } from 'onnxruntime-common';
import { VAR_IO } from '../graphs/var-transformer';

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
