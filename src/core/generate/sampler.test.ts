// The top-k / top-p filter equals the official keep-masks exactly; sampling frequencies follow the filtered softmax.
import { describe, expect, it } from 'vitest';
import { loadNpy } from '../../testing/fixtures';
import { Rng } from './rng';
import { filterTopKTopP, sampleRows, type UniformSource } from './sampler';
import { validateSettings } from './settings';

const V = 4096;
const CASES: [string, number, number][] = [
  ['e_keep_k900_p096.npy', 900, 0.96],
  ['e_keep_k900_p095.npy', 900, 0.95],
  ['e_keep_k0_p096.npy', 0, 0.96],
  ['e_keep_k900_p00.npy', 900, 0],
  ['e_keep_k1_p00.npy', 1, 0],
  ['e_keep_k50_p05.npy', 50, 0.5],
];

describe('filterTopKTopP', () => {
  it.each(CASES)('%s: keeps exactly the tokens the official filter keeps (top_k %d, top_p %d)', (file, topK, topP) => {
    const logits = Float32Array.from(loadNpy('e_logits_in.npy', 'float32').data);
    const keep = loadNpy(file, 'uint8').data;
    filterTopKTopP(logits, V, { topK, topP });
    const ours = Uint8Array.from(logits, (x) => (x === Number.NEGATIVE_INFINITY ? 0 : 1));
    const mismatches = ours.reduce((n, k, i) => n + (k === keep[i] ? 0 : 1), 0);
    expect(mismatches).toBe(0);
  });

  it('splits ties at the top-p cut by index, as a stable sort does', () => {
    // Probabilities ∝ e^x: the three equal smallest entries hold ≈ 2 % each; top-p 0.95 removes exactly two of them.
    const row = Float32Array.of(0, 2.5, 0, 2.5, 0, 3.25);
    const p = (x: number) => Math.exp(x) / (3 + 2 * Math.exp(2.5) + Math.exp(3.25));
    expect(2 * p(0)).toBeLessThan(0.05);
    expect(3 * p(0)).toBeGreaterThan(0.05);
    filterTopKTopP(row, 6, { topK: 0, topP: 0.95 });
    expect(Array.from(row)).toEqual([-Infinity, 2.5, -Infinity, 2.5, 0, 3.25]);
  });

  it('finds the k-th largest like a full sort on random rows (quickselect)', () => {
    const rng = new Rng(5);
    for (let trial = 0; trial < 50; trial++) {
      const row = Float32Array.from({ length: 257 }, () => Math.round(rng.nextFloat() * 40) / 4); // many ties
      const k = 1 + (rng.nextUint32() % 256);
      const expected = Float32Array.from(row).sort()[257 - k] as number;
      const filtered = Float32Array.from(row);
      filterTopKTopP(filtered, 257, { topK: k, topP: 0 });
      expect(Array.from(filtered)).toEqual(Array.from(row, (x) => (x < expected ? -Infinity : x)));
    }
  });

  it('keeps ties at the k-th value', () => {
    const row = Float32Array.of(1, 3, 3, 2, 3);
    filterTopKTopP(row, 5, { topK: 2, topP: 0 });
    expect(Array.from(row)).toEqual([-Infinity, 3, 3, -Infinity, 3]);
  });
});

// The official filter, models/helpers.py sample_with_top_k_top_p_ (fixtures' reference var.md §3.7):
//   top-k: remove = logits < logits.topk(k).values.amin(-1)          → ties at the k-th value survive
//   top-p: sorted = logits.sort(ascending); remove = softmax(sorted).cumsum(-1) <= (1 - top_p)  → a cumsum exactly at
//          1 − p is removed; remove[..., -1] = False → the most likely token always stays; 1 − p is a Python float
//          that torch casts to the tensor's float32 for the comparison.
// torch's CPU sort keeps equal values in index order, so ties at the top-p cut go lowest index first.
const NEG = Number.NEGATIVE_INFINITY;
const filtered = (row: readonly number[], topK: number, topP: number): number[] => {
  const a = Float32Array.from(row);
  filterTopKTopP(a, row.length, { topK, topP });
  return Array.from(a);
};

describe('filterTopKTopP at the boundaries (official behaviour stated per case)', () => {
  it('top-p removes a token whose cumulative probability equals 1 − p exactly (cumsum <= 1 − top_p)', () => {
    // Four equal logits: probabilities 0.25 each, cumsums 0.25, 0.5, 0.75, 1 exactly in any precision.
    expect(filtered([0, 0, 0, 0], 0, 0.5)).toEqual([NEG, NEG, 0, 0]); // 0.25 ≤ 0.5, 0.5 ≤ 0.5: two removed
    expect(filtered([0, 0, 0, 0], 0, 0.75)).toEqual([NEG, 0, 0, 0]); // 0.25 ≤ 0.25
    expect(filtered([0, 0, 0, 0], 0, 0.25)).toEqual([NEG, NEG, NEG, 0]); // 0.25, 0.5, 0.75 ≤ 0.75
  });

  it('top-p compares with 1 − p rounded to float32, as torch does with the Python float', () => {
    // 1 − (0.75 + 2⁻³⁰) = 0.25 − 2⁻³⁰ in float64, which rounds to 0.25 in float32: the 0.25 cumsum is ≤ it and goes.
    // Compared in float64 the cumsum would be above it and the token kept.
    expect(filtered([0, 0, 0, 0], 0, 0.75 + 2 ** -30)).toEqual([NEG, 0, 0, 0]);
  });

  it('top-p = 1 removes only tokens whose float32 probability is 0; top-p = 0 is off', () => {
    // 1 − 1 = 0: cumsum ≤ 0 only where softmax underflows in float32 (e⁻²⁰⁰ ≈ 1e-87 < 1.4e-45); e⁻⁵⁰ ≈ 2e-22 stays.
    expect(filtered([0, -50, -200], 0, 1)).toEqual([0, -50, NEG]);
    expect(filtered([3, 1, 2, -200], 0, 0)).toEqual([3, 1, 2, -200]); // top_p = 0: the official `if top_p > 0` skips
  });

  it('top-p never removes the most likely token, even when it alone is ≤ 1 − p', () => {
    // remove[..., -1] = False: a single finite token, and a row whose largest probability is tiny next to 1 − p.
    expect(filtered([NEG, 5, NEG], 0, 0.01)).toEqual([NEG, 5, NEG]);
    expect(filtered([0, 0, 0, 0], 0, 1e-6)).toEqual([NEG, NEG, NEG, 0]);
    // 1 − 1e-9 rounds to 1 in float32: every cumsum, the last one (1) included, is ≤ it; only that rule keeps the top.
    expect(filtered([0, 0, 0, 0], 0, 1e-9)).toEqual([NEG, NEG, NEG, 0]);
    expect(filtered([1, 3, 2], 0, 1e-9)).toEqual([NEG, 3, NEG]);
  });

  it('top-k keeps every tie at the k-th value, and all of an all-equal row', () => {
    expect(filtered([5, 4, 4, 4, 1], 2, 0)).toEqual([5, 4, 4, 4, NEG]); // threshold 4: three 4s stay
    expect(filtered([2, 2, 2], 1, 0)).toEqual([2, 2, 2]); // top-k 1 keeps all three: sampling then draws among them
    expect(filtered([2, 2, 2, 2], 2, 0.5)).toEqual([NEG, NEG, 2, 2]); // then top-p sees four equal tokens
  });

  it('top-k with k = V keeps the row; k > V (torch.topk raises) is treated as off and refused by the settings', () => {
    expect(filtered([3, 1, 2], 3, 0)).toEqual([3, 1, 2]); // threshold = the row's minimum: nothing is below it
    expect(filtered([3, 1, 2], 4, 0)).toEqual([3, 1, 2]);
    const ok = { cfg: 4, topP: 0, moreSmooth: false, seed: 0, labels: [0] };
    expect(() => validateSettings({ ...ok, topK: 3 }, { vocabSize: 3 })).not.toThrow();
    expect(() => validateSettings({ ...ok, topK: 4 }, { vocabSize: 3 })).toThrow(/^topK must be/);
  });

  it('handles rows that already hold −∞ (earlier filtering): they stay removed, probability 0', () => {
    // top-k: topk(3) of [−∞, 1, −∞, 2] is [2, 1, −∞]; nothing is < −∞, so nothing more is removed.
    expect(filtered([NEG, 1, NEG, 2], 3, 0)).toEqual([NEG, 1, NEG, 2]);
    expect(filtered([NEG, 1, NEG, 2], 1, 0)).toEqual([NEG, NEG, NEG, 2]);
    // top-p: the −∞ entries sort first with probability 0 (cumsum 0); the two equal finite ones hold 0.5 each.
    expect(filtered([NEG, 0, 0, NEG], 0, 0.5)).toEqual([NEG, NEG, 0, NEG]);
  });

  it('filters each row on its own', () => {
    const rows = Float32Array.of(0, 0, 0, 0, 9, 0, 0, 0);
    filterTopKTopP(rows, 4, { topK: 0, topP: 0.5 });
    // Row 2: 9 holds ≈ 0.9996 of the mass; the three 0s (cumsums ≈ 1.2e-4 … 3.7e-4) are all ≤ 0.5.
    expect(Array.from(rows)).toEqual([NEG, NEG, 0, 0, 9, NEG, NEG, NEG]);
  });
});

/** Hands out `values` in order and counts the draws. */
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

describe('sampleRows with given uniforms (inverse CDF of the filtered softmax)', () => {
  it('maps u in [k/4, (k+1)/4) to token k of four equal tokens (half-open intervals)', () => {
    const us = [0, 0.1, 0.25, 0.49, 0.5, 0.75, 0.999];
    const rng = uniforms(us);
    const ids = us.map(() => sampleRows(new Float32Array(4), 4, rng)[0]);
    expect(ids).toEqual([0, 0, 1, 1, 2, 3, 3]);
  });

  it('follows the probabilities, not the logits (softmax of [0, ln 3]: 1/4, 3/4)', () => {
    const row = Float32Array.of(0, Math.log(3));
    expect(
      Array.from(sampleRows(row, 2, uniforms([0.2499]))).concat(Array.from(sampleRows(row, 2, uniforms([0.2501])))),
    ).toEqual([0, 1]);
  });

  it('never draws a −∞ (removed) token, and falls back to the mode if rounding leaves u past the last one', () => {
    const row = Float32Array.of(NEG, 0, NEG, 0);
    expect(Array.from(sampleRows(row, 4, uniforms([0])))).toEqual([1]);
    expect(Array.from(sampleRows(row, 4, uniforms([0.5])))).toEqual([3]);
    // u = 1 (the generator gives < 1; u · sum ≥ the final cumulative sum models float rounding): the largest logit.
    expect(Array.from(sampleRows(Float32Array.of(NEG, 2, 1, NEG), 4, uniforms([1])))).toEqual([1]);
    expect(Array.from(sampleRows(Float32Array.of(NEG, 2, 2, NEG), 4, uniforms([1])))).toEqual([1]); // the first mode
  });

  it('subtracts the row maximum first (logits of 1000 do not overflow)', () => {
    expect(Array.from(sampleRows(Float32Array.of(1000, 1000), 2, uniforms([0.75])))).toEqual([1]);
  });

  it('draws each row from its own logits', () => {
    const rows = Float32Array.of(0, NEG, NEG, 0, NEG, 0);
    expect(Array.from(sampleRows(rows, 2, uniforms([0.5, 0.5, 0.5])))).toEqual([0, 1, 1]);
  });

  it('takes one draw per row, rows in order', () => {
    const rng = uniforms([0.9, 0.1, 0.6]);
    const rows = Float32Array.of(0, 0, 0, 0, 0, 0);
    expect(Array.from(sampleRows(rows, 2, rng))).toEqual([1, 0, 1]);
    expect(rng.drawn()).toBe(3);
  });
});

describe('Rng', () => {
  it('is deterministic per (seed, stream) and differs across seeds and streams', () => {
    const draw = (seed: number, stream: number) => {
      const r = new Rng(seed, stream);
      return Array.from({ length: 4 }, () => r.nextUint32());
    };
    expect(draw(0, 0)).toEqual(draw(0, 0));
    expect(draw(0, 0)).not.toEqual(draw(1, 0));
    expect(draw(0, 0)).not.toEqual(draw(0, 1));
    const r = new Rng(42);
    for (let i = 0; i < 1000; i++) {
      const u = r.nextFloat();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
    }
  });

  it('has a stable stream (a change here changes every sampled image: bump the pack/loop format if intended)', () => {
    const r = new Rng(0);
    expect(Array.from({ length: 3 }, () => r.nextUint32())).toMatchInlineSnapshot(`
      [
        1292791899,
        1284423797,
        2013314966,
      ]
    `);
  });
});

describe('sampleRows', () => {
  it('draws with the frequencies of the filtered softmax (chi-square, fixed seed)', () => {
    // One row of 4096 logits filtered with top-k 900 / top-p 0.95; 100k draws.
    const source = loadNpy('e_logits_in.npy', 'float32').data.slice(0, V);
    const filtered = Float32Array.from(source);
    filterTopKTopP(filtered, V, { topK: 900, topP: 0.95 });
    const max = Math.max(...filtered);
    const weights = Array.from(filtered, (x) => Math.exp(x - max));
    const total = weights.reduce((a, b) => a + b, 0);
    const draws = 100_000;
    const counts = new Float64Array(V);
    const rng = new Rng(1234);
    const batch = 1000;
    const tiled = new Float32Array(batch * V);
    for (let i = 0; i < batch; i++) tiled.set(filtered, i * V);
    for (let n = 0; n < draws / batch; n++)
      for (const id of sampleRows(tiled, V, rng)) counts[id] = (counts[id] as number) + 1;
    // Removed tokens are never drawn.
    for (let v = 0; v < V; v++) if (filtered[v] === Number.NEGATIVE_INFINITY) expect(counts[v]).toBe(0);
    // Pool tokens with expected count < 5 into one bin (the chi-square approximation needs it).
    let chi2 = 0;
    let bins = 0;
    let poolObserved = 0;
    let poolExpected = 0;
    for (let v = 0; v < V; v++) {
      const expected = ((weights[v] as number) / total) * draws;
      if (expected === 0) continue;
      if (expected < 5) {
        poolObserved += counts[v] as number;
        poolExpected += expected;
        continue;
      }
      chi2 += ((counts[v] as number) - expected) ** 2 / expected;
      bins++;
    }
    if (poolExpected > 0) {
      chi2 += (poolObserved - poolExpected) ** 2 / poolExpected;
      bins++;
    }
    // df = bins − 1; the 1e-6 upper quantile of chi-square is below df + 7.5·√(2·df) + 30 for df in the hundreds
    // (Wilson–Hilferty), so a correct sampler fails this with probability < 1e-6 (and never, with the fixed seed).
    const df = bins - 1;
    console.info(`chi-square ${chi2.toFixed(1)} on ${df} degrees of freedom`);
    expect(chi2).toBeLessThan(df + 7.5 * Math.sqrt(2 * df) + 30);
    // And it is not degenerate: at least the expected mass is spread (not always the mode).
    expect(counts.filter((c) => c > 0).length).toBeGreaterThan(100);
  });
});
