// Exact linear maps between VAR's token-map scales (bicubic up, area down) and the Phi index per scale.

/**
 * Bicubic upsampling matrix M (outSize × inSize, row-major, float64) with `out = M @ X @ Mᵀ` per channel equal to
 * torch `F.interpolate(x, size=outSize, mode='bicubic', align_corners=False)`: source coordinate
 * s = (d + 0.5)·in/out − 0.5 (not clamped), taps floor(s)−1 … floor(s)+2 clamped to [0, in−1], Keys kernel A = −0.75,
 * no antialias. (var.md §2.7)
 */
export function bicubicMatrix(inSize: number, outSize: number): Float64Array {
  const A = -0.75;
  // torch upsample_bicubic2d: cubic_convolution1 for |x| ≤ 1, cubic_convolution2 for 1 < |x| < 2.
  const near = (x: number): number => ((A + 2) * x - (A + 3)) * x * x + 1;
  const far = (x: number): number => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  const m = new Float64Array(outSize * inSize);
  const scale = inSize / outSize;
  for (let d = 0; d < outSize; d++) {
    const s = (d + 0.5) * scale - 0.5;
    const base = Math.floor(s);
    const t = s - base;
    const weights = [far(t + 1), near(t), near(1 - t), far(2 - t)];
    for (let k = 0; k < 4; k++) {
      const src = Math.min(Math.max(base - 1 + k, 0), inSize - 1);
      m[d * inSize + src] = (m[d * inSize + src] as number) + (weights[k] as number);
    }
  }
  return m;
}

/**
 * Area downsampling matrix (outSize × inSize, float64) = torch `F.interpolate(mode='area')` = adaptive average
 * pooling: output i averages inputs [floor(i·in/out), ceil((i+1)·in/out)) — overlapping, unequal windows when
 * `in` is not a multiple of `out`. (var.md §2.7)
 */
export function areaMatrix(inSize: number, outSize: number): Float64Array {
  const m = new Float64Array(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    const start = Math.floor((i * inSize) / outSize);
    const end = Math.ceil(((i + 1) * inSize) / outSize);
    for (let j = start; j < end; j++) m[i * inSize + j] = 1 / (end - start);
  }
  return m;
}

/**
 * Kronecker product M ⊗ M of a square-map matrix M (rows × cols): the 2-D separable map `M @ X @ Mᵀ` applied to a
 * row-major flattened X (cols² values) as one matrix (rows² × cols²), rounded to float32 for the graph.
 */
export function kroneckerSquare(m: Float64Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * rows * cols * cols);
  const width = cols * cols;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < rows; j++) {
      const row = (i * rows + j) * width;
      for (let a = 0; a < cols; a++) {
        const mia = m[i * cols + a] as number;
        if (mia === 0) continue;
        for (let b = 0; b < cols; b++) out[row + a * cols + b] = mia * (m[j * cols + b] as number);
      }
    }
  }
  return out;
}

/**
 * Index of the shared Phi conv for scale `si` of `scaleCount` (official `PhiPartiallyShared.__getitem__`):
 * argmin |ticks − si/(SN−1)| with ticks = linspace(1/(3K), 1−1/(3K), K) for K = 4, linspace(1/(2K), 1−1/(2K), K)
 * otherwise, in float64 as numpy computes it (the 10-scale ties at si = 2 and 7 are decided by that rounding).
 */
export function phiIndex(si: number, scaleCount: number, phiCount: number): number {
  if (phiCount === 1) return 0;
  const k = phiCount;
  const start = k === 4 ? 1 / 3 / k : 1 / 2 / k;
  const stop = k === 4 ? 1 - 1 / 3 / k : 1 - 1 / 2 / k;
  const step = (stop - start) / (k - 1);
  const at = scaleCount > 1 ? si / (scaleCount - 1) : 0;
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let i = 0; i < k; i++) {
    // numpy.linspace: i·step + start, and the endpoint set exactly to stop.
    const tick = i === k - 1 ? stop : i * step + start;
    const distance = Math.abs(tick - at);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = i;
    }
  }
  return best;
}

/** Token offset of each scale in the flattened sequence (`begin` in var.md §2.5) and the total length L. */
export function scaleOffsets(patchNums: readonly number[]): { begins: number[]; length: number } {
  const begins: number[] = [];
  let length = 0;
  for (const pn of patchNums) {
    begins.push(length);
    length += pn * pn;
  }
  return { begins, length };
}
