// Token sampling as an ONNX graph (issue 15: "sampling on the GPU vs reading back logits"): CFG mix, top-k and the
// inverse-CDF draw of src/core/generate/sampler.ts, run where the transformer's logits already are, so that only the
// B×l token ids come back to the CPU instead of the 2B×l×V logits.
//
// The uniforms are drawn by the JS generator (rng.ts) in the order sampleRows draws them and fed in, so the graph and
// the JS sampler pick the same ids from the same logits. What is exact and what is not:
// - CFG mix: float32 `(1+t)·cond − t·uncond`, each product and the difference rounded to float32, as mixGuidance.
// - top-k: `guided < kth largest` removed (ties kept), an exact comparison: identical to filterTopKTopP.
// - the draw: JS sums exp(x − max) in float64 and compares u·Σ with the float64 running sum; a graph on WebGPU has
//   float32 only (no float64 kernels). The graph keeps the sums and u·Σ as float32 pairs (below), so what is left
//   is exp's float32 rounding of each term (~6e-8 relative, random): ids can differ only when u·Σ lies within about
//   that of a CDF step (none in the tests' rows; token-sampler.test.ts).
// - top-p is not in the graph: its cut compares a float32 cumsum with 1 − top_p, and one token more or less at the cut
//   changes Σ and so the draw of about half the rows it touches (far from parity); the pipeline samples in JS then.
//   more_smooth (Gumbel soft weights over V) also stays in JS.
// Every index is computed as a count of 0/1 values in float32 (exact below 2^24), so no int64 arithmetic runs on
// the GPU (the native WebGPU EP truncates int64) and a parallel CumSum that is not monotone cannot skip a step.

import { GraphBuilder } from '../onnx/graph-builder';
import { VAR_IO } from './var-transformer';

/** Input and output names of the sampler graph; `logits` is the transformer's output name, so it is fed as is. */
export const SAMPLER_IO = {
  /** (2B, l, V) float32: cond rows, then uncond rows (the transformer's output, on the GPU when device-resident). */
  logits: VAR_IO.logits,
  /** 0-d float32: fround(1 + t), t = cfg·si/(SN−1). */
  condWeight: 'cfg_one_plus_t',
  /** 0-d float32: fround(t). */
  uncondWeight: 't',
  /** (1,) int64: k of top-k (1 ≤ k ≤ V); only in the graph built with topK. */
  topK: 'top_k',
  /** (B, l) float32: one uniform in [0, 1) per token, image by image in row order (sampleRows' draw order), rounded. */
  uniforms: 'uniforms_Bl',
  /** (B, l) float32: u − fround(u), the rest of each float64 uniform (u = hi + lo to 48 bits). */
  uniformsLo: 'uniforms_lo_Bl',
  /** (B, l) int32: the sampled token ids. */
  ids: 'ids_Bl',
} as const;

export interface TokenSamplerOptions {
  /**
   * With a top-k filter (a TopK node: on the native WebGPU EP it runs on the GPU; JSEP has no TopK kernel, so ORT
   * places that node on its CPU EP and copies the guided logits there). Without: CFG and the draw only (top_k off).
   */
  readonly topK: boolean;
}

/** Builds the sampler graph (no weights: a few kB, built when a pipeline needs it rather than stored in packs). */
export function buildTokenSamplerGraph(options: TokenSamplerOptions): Uint8Array {
  const g = new GraphBuilder(
    options.topK ? 'var_token_sampler_topk' : 'var_token_sampler',
    'VAR token sampling: CFG mix, top-k (ties kept), inverse-CDF draw with given uniforms (sampler.ts)',
  );
  const logits = g.input(SAMPLER_IO.logits, 'float32', ['B2', 'l', 'V']);
  const a = g.input(SAMPLER_IO.condWeight, 'float32', []);
  const t = g.input(SAMPLER_IO.uncondWeight, 'float32', []);
  const uniforms = g.input(SAMPLER_IO.uniforms, 'float32', ['B', 'l']);
  const uniformsLo = g.input(SAMPLER_IO.uniformsLo, 'float32', ['B', 'l']);
  const lastAxis = g.int64s([-1]);

  // ---- CFG: the first B rows are cond, the last B uncond (opset 17 Split without sizes: equal halves).
  const [cond, uncond] = g.node('Split', [logits], 2, { axis: 0 }) as [string, string];
  let guided = g.op('Sub', [g.op('Mul', [cond, a]), g.op('Mul', [uncond, t])]); // (B, l, V)

  // ---- top-k: keep x ≥ the k-th largest value of its row (torch: `logits < topk.values.amin()` → −∞).
  if (options.topK) {
    const k = g.input(SAMPLER_IO.topK, 'int64', [1]);
    const [values] = g.node('TopK', [guided, k], 2, { axis: -1, largest: 1, sorted: 1 }) as [string];
    const kth = g.op('ReduceMin', [values], { axes: [-1], keepdims: 1 });
    guided = g.op('Where', [g.op('Less', [guided, kth]), g.scalar(Number.NEGATIVE_INFINITY), guided]);
  }

  // ---- the draw: first v with u·Σp < p_0 + … + p_v, p = exp(x − max); the mode when rounding leaves none.
  // A float32 running sum drifts ~1e-7·Σ from JS's float64 one, enough to move ~5 in 10⁴ draws of a flat 4096-token
  // row by one token (emulated in JS: 30 of 60,000 rows). So the CDF is carried as an unevaluated float32 pair
  // hi + lo (hi = CumSum(p); lo = CumSum of each step's exact rounding error, TwoSum), u comes as a pair too, u·Σ is
  // an exact product (Dekker), and the comparison is made on the differences: 0 of 60,000 rows moved in the same
  // emulation. Exact whenever CumSum adds sequentially (ORT's CPU kernel, and JSEP's per-element loop).
  const max = g.op('ReduceMax', [guided], { axes: [-1], keepdims: 1 });
  const p = g.op('Exp', [g.op('Sub', [guided, max])]);
  const axis = g.constant('int64', [], BigInt64Array.of(-1n));
  const hi = g.op('CumSum', [p, axis]);
  const hiPrev = g.op('CumSum', [p, axis], { exclusive: 1 }); // hi shifted by one: 0, hi_0, …, hi_{V−2}
  const lo = g.op('CumSum', [twoSumError(g, hiPrev, p, hi), axis]);
  const last = (x: string) => g.op('Slice', [x, g.int64s([-1]), g.int64s([Number.MAX_SAFE_INTEGER]), lastAxis]);
  const sumHi = last(hi);
  const sumLo = last(lo);
  const u = g.op('Unsqueeze', [uniforms, lastAxis]);
  const uLo = g.op('Unsqueeze', [uniformsLo, lastAxis]);
  const [targetHi, productError] = twoProduct(g, u, sumHi);
  const targetLo = g.op('Add', [g.op('Add', [productError, g.op('Mul', [u, sumLo])]), g.op('Mul', [uLo, sumHi])]);
  // u·Σ < hi + lo  ⇔  (u·Σ)_hi − hi < lo − (u·Σ)_lo; the left difference is exact wherever the answer is close.
  const hit = asFloat(g, g.op('Less', [g.op('Sub', [targetHi, hi]), g.op('Sub', [lo, targetLo])]));
  const drawn = firstOne(g, hit);
  const mode = firstOne(g, asFloat(g, g.op('Equal', [guided, max])));
  const anyHit = g.op('Greater', [g.op('ReduceMax', [hit], { axes: [-1], keepdims: 1 }), g.scalar(0)]);
  const index = g.op('Where', [anyHit, drawn, mode]); // (B, l, 1), an integer in float32
  g.op('Cast', [g.op('Squeeze', [index, lastAxis])], { to: 6 }, { out: SAMPLER_IO.ids }); // 6 = INT32
  g.output(SAMPLER_IO.ids, 'int32', ['B', 'l']);
  return g.toModel().model;
}

/** Knuth's TwoSum: the exact rounding error of s = fl(a + b), i.e. (a + b) − s, in float32 (any magnitudes). */
function twoSumError(g: GraphBuilder, a: string, b: string, s: string): string {
  const bVirtual = g.op('Sub', [s, a]);
  const aVirtual = g.op('Sub', [s, bVirtual]);
  return g.op('Add', [g.op('Sub', [a, aVirtual]), g.op('Sub', [b, bVirtual])]);
}

/** Dekker's product without FMA: [p, e] with p = fl(a·b) and a·b = p + e exactly (float32, |a|, |b| < 2^100). */
function twoProduct(g: GraphBuilder, a: string, b: string): [string, string] {
  const p = g.op('Mul', [a, b]);
  const [aHi, aLo] = split(g, a);
  const [bHi, bLo] = split(g, b);
  const e1 = g.op('Sub', [g.op('Mul', [aHi, bHi]), p]);
  const e2 = g.op('Add', [e1, g.op('Mul', [aHi, bLo])]);
  const e3 = g.op('Add', [e2, g.op('Mul', [aLo, bHi])]);
  return [p, g.op('Add', [e3, g.op('Mul', [aLo, bLo])])];
}

/** Veltkamp's split of a float32 into two 12-bit halves (a = hi + lo exactly): c = (2^12 + 1)·a, hi = c − (c − a). */
function split(g: GraphBuilder, a: string): [string, string] {
  const c = g.op('Mul', [a, g.scalar(4097)]);
  const hi = g.op('Sub', [c, g.op('Sub', [c, a])]);
  return [hi, g.op('Sub', [a, hi])];
}

function asFloat(g: GraphBuilder, bool: string): string {
  return g.op('Cast', [bool], { to: 1 }); // 1 = FLOAT
}

/**
 * Index of the first 1 along the last axis of a 0/1 float tensor (its length when there is none), kept as a
 * (…, 1) float: the count of leading zeros, i.e. of positions whose running count of ones is still 0. Exact.
 */
function firstOne(g: GraphBuilder, ones: string): string {
  const running = g.op('CumSum', [ones, g.constant('int64', [], BigInt64Array.of(-1n))]);
  const leading = asFloat(g, g.op('Equal', [running, g.scalar(0)]));
  return g.op('ReduceSum', [leading, g.int64s([-1])], { keepdims: 1 });
}
