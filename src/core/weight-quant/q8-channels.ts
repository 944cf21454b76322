// 8-bit symmetric per-channel quantization for DequantizeLinear: int8 values, one float32 scale per channel.
//
// DequantizeLinear (opset 13+, per-axis form: a 1-D scale along `axis`, no zero point → 0) gives value = q · scale.
// Symmetric int8 uses [−127, 127] so that −q is always representable and the zero point stays 0 (what both WebGPU
// EPs and the CPU EP take without a zero-point input).

import { VarError } from '../../shared/errors';

export interface Q8Tensor {
  readonly dims: readonly number[];
  readonly axis: number;
  readonly values: Int8Array;
  /** float32 [dims[axis]]. */
  readonly scales: Float32Array;
}

/** Quantizes a C-order float32 tensor with one scale per index of `axis` (absmax / 127, round to nearest). */
export function quantizeQ8(data: Float32Array, dims: readonly number[], axis: number): Q8Tensor {
  const { outer, channels, inner } = split(dims, axis, data.length);
  const scales = new Float32Array(channels);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      let max = scales[c] as number;
      for (let i = 0; i < inner; i++) max = Math.max(max, Math.abs(data[base + i] as number));
      scales[c] = max;
    }
  }
  for (let c = 0; c < channels; c++) scales[c] = Math.fround((scales[c] as number) / 127);
  const values = new Int8Array(data.length);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const scale = scales[c] as number;
      const inv = scale === 0 ? 0 : 1 / scale;
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) {
        values[base + i] = Math.max(-127, Math.min(127, Math.round((data[base + i] as number) * inv)));
      }
    }
  }
  return { dims: [...dims], axis, values, scales };
}

/** The float32 tensor a Q8Tensor stands for (DequantizeLinear's output). */
export function dequantizeQ8(t: Q8Tensor): Float32Array {
  const { outer, channels, inner } = split(t.dims, t.axis, t.values.length);
  const out = new Float32Array(t.values.length);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const scale = t.scales[c] as number;
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) out[base + i] = Math.fround((t.values[base + i] as number) * scale);
    }
  }
  return out;
}

function split(dims: readonly number[], axis: number, length: number) {
  if (!(Number.isInteger(axis) && axis >= 0 && axis < dims.length)) {
    throw new VarError('E_INTERNAL', `axis ${axis} is outside a rank-${dims.length} tensor`);
  }
  const numel = dims.reduce((a, b) => a * b, 1);
  if (numel !== length) throw new VarError('E_INTERNAL', `${length} values for dims [${dims.join(', ')}]`);
  const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  return { outer, channels: dims[axis] as number, inner };
}
