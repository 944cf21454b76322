// float32 arrays ↔ IEEE half-precision bit arrays, for fp16 weight packs (the scalar conversions live in pth/dtype.ts).

import { float32ToFloat16Bits, float16ToFloat32 as halfToFloat } from '../pth/dtype';

/** Round to nearest even, overflow to ±Inf, subnormals kept, NaN stays NaN. */
export function float32ToFloat16(values: Float32Array): Uint16Array {
  return Uint16Array.from(values, float32ToFloat16Bits);
}

export function float16ToFloat32(bits: Uint16Array): Float32Array {
  return Float32Array.from(bits, halfToFloat);
}
