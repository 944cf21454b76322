// Classifier-free guidance and more_smooth's Gumbel softmax, as the official autoregressive_infer_cfg does them.

import type { UniformSource } from './sampler';

/** t = cfg·si/(SN−1): no guidance at the first scale, `cfg` at the last. */
export function guidanceRatio(cfg: number, si: number, scaleCount: number): number {
  return scaleCount > 1 ? (cfg * si) / (scaleCount - 1) : 0;
}

/**
 * `(1+t)·cond − t·uncond` for the first B rows (cond) and the last B rows (uncond) of logits_2BlV, in float32 as
 * torch computes it (each product and the difference rounded to float32; t and 1+t are float32 scalars).
 */
export function mixGuidance(logits_2BlV: Float32Array, t: number): Float32Array {
  const half = logits_2BlV.length / 2;
  const out = new Float32Array(half);
  const a = Math.fround(1 + t);
  const b = Math.fround(t);
  for (let i = 0; i < half; i++) {
    out[i] = Math.fround(a * (logits_2BlV[i] as number)) - Math.fround(b * (logits_2BlV[half + i] as number));
  }
  return out;
}

/** more_smooth's temperature at scale si: max(0.27·(1 − 0.95·si/(SN−1)), 0.005). */
export function gumbelTau(si: number, scaleCount: number): number {
  const ratio = scaleCount > 1 ? si / (scaleCount - 1) : 0;
  return Math.max(0.27 * (1 - ratio * 0.95), 0.005);
}

/**
 * gumbel_softmax(filtered_logits·(1 + si/(SN−1)), τ, hard=False) per row: the soft token weights whose product with
 * the codebook replaces the hard embedding. Filtered (−∞) entries get weight 0. Draws one uniform per entry.
 */
export function gumbelSoftmaxRows(
  filtered_lV: Float32Array,
  V: number,
  si: number,
  scaleCount: number,
  rng: UniformSource,
): Float32Array {
  const rows = filtered_lV.length / V;
  const scale = 1 + (scaleCount > 1 ? si / (scaleCount - 1) : 0);
  const tau = gumbelTau(si, scaleCount);
  const out = new Float32Array(filtered_lV.length);
  const z = new Float64Array(V);
  for (let r = 0; r < rows; r++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let v = 0; v < V; v++) {
      const logit = filtered_lV[r * V + v] as number;
      // -log(Exponential(1)) noise; 1 − u keeps the argument of log in (0, 1].
      const gumbel = -Math.log(-Math.log(1 - rng.nextFloat()));
      const value = logit === Number.NEGATIVE_INFINITY ? logit : (logit * scale + gumbel) / tau;
      z[v] = value;
      if (value > max) max = value;
    }
    let sum = 0;
    for (let v = 0; v < V; v++) {
      const e = Math.exp((z[v] as number) - max);
      z[v] = e;
      sum += e;
    }
    for (let v = 0; v < V; v++) out[r * V + v] = (z[v] as number) / sum;
  }
  return out;
}
