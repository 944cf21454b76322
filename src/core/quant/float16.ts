// IEEE 754 half precision: float32 → fp16 bits (round to nearest even) and back, for fp16 weight packs.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** One float32 value as fp16 bits: round to nearest even, overflow to ±Inf, subnormals kept, NaN stays NaN. */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0); // Inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // too large: Inf
  if (e <= 0) {
    // Subnormal half (or zero): shift the implicit-one mantissa right, rounding to nearest even.
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let r = m >>> shift;
    if (rest > half || (rest === half && (r & 1) === 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and 0x7bff + 1 = 0x7c00 = Inf).
  if (rest > 0x1000 || (rest === 0x1000 && (r & 1) === 1)) r++;
  return sign | r;
}

/** fp16 bits → the exact float32 value. */
export function fromFloat16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1024 + mant) * 2 ** (exp - 25);
}

export function float32ToFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toFloat16Bits(values[i] as number);
  return out;
}

export function float16ToFloat32(bits: Uint16Array): Float32Array {
  return Float32Array.from(bits, fromFloat16Bits);
}
