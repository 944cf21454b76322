// The top-k / top-p filter equals the official keep-masks exactly; sampling frequencies follow the filtered softmax.
import { describe, expect, it } from 'vitest';
import { loadNpy } from '../../testing/fixtures';
import { Rng } from './rng';
import { filterTopKTopP, sampleRows } from './sampler';

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
