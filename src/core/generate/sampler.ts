// Token sampling as the official sample_with_top_k_top_p_ (VAR models/helpers.py), with our own seeded generator.

import type { Rng } from './rng';

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
  const sorted = new Float32Array(V);
  const order = new Uint32Array(V);
  // torch compares the float32 cumsum with the Python float 1 − top_p, which becomes a float32 scalar.
  const pThreshold = Math.fround(1 - settings.topP);
  for (let r = 0; r < rows; r++) {
    const row = logits_BlV.subarray(r * V, (r + 1) * V);
    if (settings.topK > 0 && settings.topK < V) {
      sorted.set(row);
      sorted.sort();
      const kth = sorted[V - settings.topK] as number;
      for (let v = 0; v < V; v++) if ((row[v] as number) < kth) row[v] = Number.NEGATIVE_INFINITY;
    }
    if (settings.topP > 0) {
      // Only finite entries matter: −∞ ones sort first with probability 0, so the cumsum is still 0 there and
      // they are removed either way. After top-k 900 this sorts 900 entries instead of V.
      let n = 0;
      for (let v = 0; v < V; v++) if ((row[v] as number) !== Number.NEGATIVE_INFINITY) order[n++] = v;
      const kept = order.subarray(0, n);
      // Ascending by value, ties by index (torch's sort is stable).
      kept.sort((a, b) => (row[a] as number) - (row[b] as number) || a - b);
      const max = row[kept[n - 1] as number] as number;
      let sum = 0;
      for (let i = 0; i < n; i++) sum += Math.exp((row[kept[i] as number] as number) - max);
      let cumsum = 0;
      for (let i = 0; i < n - 1; i++) {
        const v = kept[i] as number;
        cumsum += Math.exp((row[v] as number) - max) / sum;
        if (Math.fround(cumsum) <= pThreshold) row[v] = Number.NEGATIVE_INFINITY;
        else break; // cumsum only grows: everything after stays
      }
    }
  }
}

/**
 * Draws one token per row from softmax(logits) by inverse CDF with one uniform draw per token, in row order.
 * Entries at −∞ have probability 0. Returns the ids (rows).
 */
export function sampleRows(logits_BlV: Float32Array, V: number, rng: Rng): Int32Array {
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
