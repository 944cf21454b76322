// Token sampling as the official sample_with_top_k_top_p_ (VAR models/helpers.py), with our own seeded generator.

import type { Rng } from './rng';

/** The one method the sampler draws with (tests inject fixed uniforms through it). */
export type UniformSource = Pick<Rng, 'nextFloat'>;

export interface SamplingSettings {
  /** Keep logits ≥ the k-th largest (ties kept); 0 or ≥ V = off. */
  readonly topK: number;
  /** Keep the smallest set whose ascending cumulative probability exceeds 1 − top_p; 0 = off. */
  readonly topP: number;
}

/**
 * Filters each row of `logits_BlV` (rows × V) in place, setting removed entries to −∞, exactly as the official:
 * top-k: `logits < topk(logits, k).values.amin()` removed; top-p: ascending sort, softmax, cumsum, remove where
 * `cumsum ≤ 1 − top_p`, never the largest.
 */
export function filterTopKTopP(logits_BlV: Float32Array, V: number, settings: SamplingSettings): void {
  const rows = logits_BlV.length / V;
  const scratch = new Float32Array(V);
  // torch compares the float32 cumsum with the Python float 1 − top_p, which becomes a float32 scalar.
  const pThreshold = Math.fround(1 - settings.topP);
  for (let r = 0; r < rows; r++) {
    const row = logits_BlV.subarray(r * V, (r + 1) * V);
    if (settings.topK > 0 && settings.topK < V) {
      scratch.set(row);
      const kth = selectAscending(scratch, V - settings.topK);
      for (let v = 0; v < V; v++) if ((row[v] as number) < kth) row[v] = Number.NEGATIVE_INFINITY;
    }
    if (settings.topP > 0) removeTopPTail(row, scratch, pThreshold);
  }
}

/**
 * top-p on one row: with the finite values sorted ascending (−∞ entries have probability 0, so the cumsum is still
 * 0 there and they stay removed), drop the prefix whose cumulative probability is ≤ the threshold, never the last.
 * Ties at the cut are split as torch's stable sort splits them: lower indices first.
 */
function removeTopPTail(row: Float32Array, scratch: Float32Array, pThreshold: number): void {
  let n = 0;
  for (let v = 0; v < row.length; v++)
    if ((row[v] as number) !== Number.NEGATIVE_INFINITY) scratch[n++] = row[v] as number;
  const sorted = scratch.subarray(0, n).sort();
  const max = sorted[n - 1] as number;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp((sorted[i] as number) - max);
  let cumsum = 0;
  let removed = 0;
  for (let i = 0; i < n - 1; i++) {
    cumsum += Math.exp((sorted[i] as number) - max) / sum;
    if (Math.fround(cumsum) > pThreshold) break; // cumsum only grows: everything after stays
    removed = i + 1;
  }
  if (removed === 0) return;
  const cut = sorted[removed - 1] as number;
  let equalToCut = 0;
  for (let i = removed - 1; i >= 0 && sorted[i] === cut; i--) equalToCut++;
  for (let v = 0; v < row.length; v++) {
    const x = row[v] as number;
    if (x < cut) row[v] = Number.NEGATIVE_INFINITY;
    else if (x === cut && equalToCut > 0) {
      row[v] = Number.NEGATIVE_INFINITY;
      equalToCut--;
    }
  }
}

/** The value at position `k` of `a` sorted ascending (quickselect; reorders `a`). O(V) instead of a full sort. */
function selectAscending(a: Float32Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    // Median of three as the pivot keeps already-sorted inputs linear.
    const mid = (lo + hi) >> 1;
    const x = a[lo] as number;
    const y = a[mid] as number;
    const z = a[hi] as number;
    const pivot = Math.max(Math.min(x, y), Math.min(Math.max(x, y), z)); // median of x, y, z
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const t = a[i] as number;
        a[i] = a[j] as number;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k] as number;
  }
  return a[k] as number;
}

/**
 * Draws one token per row from softmax(logits) by inverse CDF with one uniform draw per token, in row order.
 * Entries at −∞ have probability 0. Returns the ids (rows).
 */
export function sampleRows(logits_BlV: Float32Array, V: number, rng: UniformSource): Int32Array {
  const rows = logits_BlV.length / V;
  const ids = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const row = logits_BlV.subarray(r * V, (r + 1) * V);
    let max = Number.NEGATIVE_INFINITY;
    let argmax = 0;
    for (let v = 0; v < V; v++) {
      if ((row[v] as number) > max) {
        max = row[v] as number;
        argmax = v;
      }
    }
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp((row[v] as number) - max);
    const u = rng.nextFloat() * sum;
    let acc = 0;
    let chosen = argmax; // rounding can leave u ≥ acc at the end: fall back to the mode, never to a removed token
    for (let v = 0; v < V; v++) {
      const p = Math.exp((row[v] as number) - max);
      if (p === 0) continue;
      acc += p;
      if (u < acc) {
        chosen = v;
        break;
      }
    }
    ids[r] = chosen;
  }
  return ids;
}
