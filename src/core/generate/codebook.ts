// Token ids (or soft token weights, for more_smooth) → codebook vectors, on the CPU where sampling happens.

/** `codebook[ids]`: (n, C) rows of the (V, C) codebook, for every id in order. */
export function lookupCodebook(codebook_VC: Float32Array, C: number, ids: Int32Array): Float32Array {
  const out = new Float32Array(ids.length * C);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as number;
    out.set(codebook_VC.subarray(id * C, (id + 1) * C), i * C);
  }
  return out;
}

/**
 * `weights_nV @ codebook_VC` (more_smooth's soft embedding), accumulated in float32 order of the vocabulary.
 * Zero weights (filtered tokens) are skipped.
 */
export function mixCodebook(weights_nV: Float32Array, V: number, codebook_VC: Float32Array, C: number): Float32Array {
  const n = weights_nV.length / V;
  const out = new Float32Array(n * C);
  for (let i = 0; i < n; i++) {
    const acc = out.subarray(i * C, (i + 1) * C);
    for (let v = 0; v < V; v++) {
      const w = weights_nV[i * V + v] as number;
      if (w === 0) continue;
      for (let c = 0; c < C; c++) acc[c] = (acc[c] as number) + w * (codebook_VC[v * C + c] as number);
    }
  }
  return out;
}
