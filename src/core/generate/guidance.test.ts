// CFG and more_smooth pinned to the official formulas (VAR models/var.py autoregressive_infer_cfg, models/helpers.py
// gumbel_softmax_with_rng) with values computed outside this code. The Gumbel noise comes from injected uniforms.
//
// Expected soft-token weights: numpy float64, the official formula written out (the script, kept here so the
// numbers can be regenerated):
//   tau(si, SN) = max(0.27 * (1 - 0.95 * si / (SN - 1)), 0.005)
//   g = -log(E), E = -log(1 - u)              # E ~ Exponential(1) by the inverse CDF of the uniform u
//   y = softmax((logits * (1 + si / (SN - 1)) + g) / tau)      # -inf logits → weight 0
import { describe, expect, it } from 'vitest';
import { guidanceRatio, gumbelSoftmaxRows, gumbelTau, mixGuidance } from './guidance';
import type { UniformSource } from './sampler';

/** Hands out `values` in order and counts the draws; throws when more are taken than given. */
function uniforms(values: readonly number[]): UniformSource & { readonly drawn: () => number } {
  let i = 0;
  return {
    nextFloat() {
      if (i >= values.length) throw new Error(`draw ${i + 1} of ${values.length}`);
      return values[i++] as number;
    },
    drawn: () => i,
  };
}

// u giving Gumbel noise exactly −1, 0, +1: E = e, 1, 1/e.
const NOISE_MINUS_1 = 1 - Math.exp(-Math.E);
const NOISE_0 = 1 - Math.exp(-1);
const NOISE_PLUS_1 = 1 - Math.exp(-1 / Math.E);

function expectWeights(actual: Float32Array, expected: readonly number[]): void {
  expect(actual.length).toBe(expected.length);
  // The weights are stored as float32: 1e-7 is a few float32 steps at these magnitudes.
  for (const [i, w] of expected.entries())
    expect(Math.abs((actual[i] as number) - w), `weight ${i}`).toBeLessThan(1e-7);
}

describe('guidanceRatio (official t = cfg · si / (SN − 1))', () => {
  it('is 0 at the first scale, cfg at the last, linear between', () => {
    expect(guidanceRatio(4, 0, 10)).toBe(0);
    expect(guidanceRatio(4, 9, 10)).toBe(4);
    expect(guidanceRatio(4, 3, 10)).toBeCloseTo(4 / 3, 15);
    expect(guidanceRatio(1.5, 6, 10)).toBe(1);
    // One scale: the official code divides by num_stages_minus_1 = 0; our loop never guides a single scale.
    expect(guidanceRatio(4, 0, 1)).toBe(0);
  });
});

describe('mixGuidance (official (1 + t) · cond − t · uncond, float32)', () => {
  it('mixes the first half (cond) with the second half (uncond)', () => {
    // t = 0.5: 1.5 · 2 − 0.5 · 1 = 2.5 and 1.5 · (−1) − 0.5 · 3 = −3 (all exact in float32).
    expect(Array.from(mixGuidance(Float32Array.of(2, -1, 1, 3), 0.5))).toEqual([2.5, -3]);
    // t = 0 (the first scale): the cond logits unchanged, whatever the uncond half holds.
    expect(Array.from(mixGuidance(Float32Array.of(0.1, 7, 99, -99), 0))).toEqual([Math.fround(0.1), 7]);
  });

  it('rounds like torch: t and 1 + t as float32 scalars, each product rounded to float32', () => {
    // numpy: f = np.float32; t = 4/9; f(1+t)*c − f(t)*u with c, u float32 arrays. The second value differs from
    // the once-rounded float64 result (−11.833333969116211).
    const t = 4 / 9;
    const mixed = mixGuidance(Float32Array.of(1.1, -7.3, 30.7, 0.3, 2.9, -11.1), t);
    expect(Array.from(mixed)).toEqual([1.4555555582046509, -11.833333015441895, 49.27777862548828]);
  });
});

describe('gumbelTau (official max(0.27 · (1 − 0.95 · si/(SN−1)), 0.005))', () => {
  it('follows the temperature schedule over the 10 scales', () => {
    const expected = [0.27, 0.2415, 0.213, 0.1845, 0.156, 0.1275, 0.099, 0.0705, 0.042, 0.0135];
    for (const [si, tau] of expected.entries()) expect(gumbelTau(si, 10), `si ${si}`).toBeCloseTo(tau, 14);
  });

  it('uses ratio 0 for a single scale and never goes below 0.005', () => {
    expect(gumbelTau(0, 1)).toBe(0.27);
    // Unreachable inside a run (the schedule ends at 0.0135), kept so the formula stays the official one.
    expect(gumbelTau(20, 10)).toBe(0.005);
  });
});

describe('gumbelSoftmaxRows (official gumbel_softmax_with_rng(logits · (1 + si/(SN−1)), τ, hard=False))', () => {
  it('scales the logits by 1 + si/(SN−1) (zero noise, last scale: × 2 at τ = 0.0135)', () => {
    const rng = uniforms([NOISE_0, NOISE_0]);
    // numpy: [0.08990341410149429, 0.9100965858985057]; without the × 2 it would be [0.2391, 0.7609].
    expectWeights(
      gumbelSoftmaxRows(Float32Array.of(0, 0.015625), 2, 9, 10, rng),
      [0.08990341410149429, 0.9100965858985057],
    );
    // si = 3: × 4/3 at τ = 0.1845.
    const rng3 = uniforms([NOISE_0, NOISE_0]);
    expectWeights(
      gumbelSoftmaxRows(Float32Array.of(0, 0.125), 2, 3, 10, rng3),
      [0.28836412455945765, 0.7116358754405423],
    );
  });

  it('uses scale 1 and τ 0.27 for a single scale (no division by SN − 1 = 0)', () => {
    // numpy: softmax([0, 0.125] / 0.27)
    expectWeights(
      gumbelSoftmaxRows(Float32Array.of(0, 0.125), 2, 0, 1, uniforms([NOISE_0, NOISE_0])),
      [0.3862831624923703, 0.6137168375076296],
    );
  });

  it('subtracts the row maximum before exp (logits of 100 / τ 0.27 ≈ 370 would overflow)', () => {
    // numpy: softmax([100, 100.5] / 0.27)
    expectWeights(
      gumbelSoftmaxRows(Float32Array.of(100, 100.5), 2, 0, 10, uniforms([NOISE_0, NOISE_0])),
      [0.13565561497010054, 0.8643443850298995],
    );
  });

  it('keeps a −∞ entry at weight 0 even when its noise is +∞ (u = 0 gives −log(−log 1) = +∞)', () => {
    // Without the −∞ guard, −∞ + ∞ = NaN would spread over the row. numpy (si 5): [0, 0.04521…, 0.95478…].
    const weights = gumbelSoftmaxRows(
      Float32Array.of(Number.NEGATIVE_INFINITY, 0, 0.25),
      3,
      5,
      10,
      uniforms([0, 0.5, 0.5]),
    );
    expectWeights(weights, [0, 0.04521277079104021, 0.9547872292089599]);
  });

  it('adds −log(−log(1 − u)) noise to each entry in order (zero logits, τ = 0.27)', () => {
    const rng = uniforms([NOISE_MINUS_1, NOISE_0, NOISE_PLUS_1]);
    // numpy: softmax([−1, 0, 1] / 0.27)
    expectWeights(
      gumbelSoftmaxRows(new Float32Array(3), 3, 0, 10, rng),
      [0.0005918051973963822, 0.024025744597835033, 0.9753824502047685],
    );
  });

  it('combines scale, noise and temperature; one draw per entry, −∞ entries included and given weight 0', () => {
    // Two rows at si = 2 (× 1.2222, τ = 0.213); row 1's −∞ entry still takes its draw (torch draws the noise
    // for the whole (l, V) tensor), so row 2 starts at the 4th uniform.
    const logits = Float32Array.of(0.0625, -0.03125, 0, 0, 0.03125, Number.NEGATIVE_INFINITY);
    const rng = uniforms([0.55, 0.6, 0.65, 0.7, 0.4, 0.2]);
    const weights = gumbelSoftmaxRows(logits, 3, 2, 10, rng);
    expect(rng.drawn()).toBe(6);
    expectWeights(
      weights,
      [0.6669229829022153, 0.20413191516073143, 0.12894510193705325, 0.014709374727763248, 0.9852906252722368, 0],
    );
    expect(weights[5]).toBe(0);
  });
});
