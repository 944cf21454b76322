// 4-bit block quantization in com.microsoft.MatMulNBits' layout: packed nibbles, a float32 scale per block, zero points.
//
// Layout (contrib_defs.cc MatMulNBits, opset 1; the JSEP shader matmulnbits.ts reads the same): the weight is the
// (N, K) = (out, in) matrix, row n cut into k_blocks = K / blockSize blocks. B is uint8 [N, k_blocks, blockSize / 2],
// two values a byte, the lower index in the low nibble. Scales are float32 [N · k_blocks]. Zero points, when given,
// are 4-bit too, packed the same way per row: uint8 [N · ceil(k_blocks / 2)]; without them the zero point is 8.
// Dequantized value = (q − zero_point) · scale.

import { VarError } from '../../shared/errors';

export interface Q4Options {
  /** Values per block: a power of 2 ≥ 16 (JSEP's MatMulNBits) that divides K. */
  readonly blockSize: number;
  /**
   * true: asymmetric blocks (min/max mapped to 0/15 with a 4-bit zero point each); false: symmetric blocks (zero point
   * 8 implied, the value of largest magnitude mapped to −8), which stores no zero points.
   */
  readonly zeroPoints: boolean;
}

export interface Q4Matrix {
  readonly n: number;
  readonly k: number;
  readonly blockSize: number;
  /** uint8 [N, k_blocks, blockSize / 2]. */
  readonly packed: Uint8Array;
  /** float32 [N · k_blocks]. */
  readonly scales: Float32Array;
  /** uint8 [N · ceil(k_blocks / 2)], absent for symmetric blocks. */
  readonly zeroPoints?: Uint8Array;
}

/** Checks a block size against K: JSEP runs powers of 2 ≥ 16, and a block may not straddle rows (K % blockSize = 0). */
export function checkQ4BlockSize(k: number, blockSize: number): void {
  if (!(blockSize >= 16 && (blockSize & (blockSize - 1)) === 0)) {
    throw new VarError('E_INTERNAL', `4-bit block size must be a power of 2 ≥ 16, got ${blockSize}`);
  }
  if (k % blockSize !== 0) {
    throw new VarError('E_INTERNAL', `4-bit block size ${blockSize} does not divide K = ${k}`);
  }
}

/** The largest power-of-2 block ≤ `preferred` that divides K (K = 64 with 128 preferred → 64); 0 when none ≥ 16. */
export function q4BlockSizeFor(k: number, preferred: number): number {
  for (let b = preferred; b >= 16; b >>= 1) if (k % b === 0) return b;
  return 0;
}

/** Quantizes a row-major (N, K) float32 matrix (a torch Linear weight as stored: out × in), rounding to nearest. */
export function quantizeQ4(weight: Float32Array, n: number, k: number, options: Q4Options): Q4Matrix {
  const { blockSize, zeroPoints: asymmetric } = options;
  checkQ4BlockSize(k, blockSize);
  if (weight.length !== n * k) throw new VarError('E_INTERNAL', `weight has ${weight.length} values, not ${n}×${k}`);
  const kBlocks = k / blockSize;
  const blob = blockSize / 2;
  const packed = new Uint8Array(n * kBlocks * blob);
  const scales = new Float32Array(n * kBlocks);
  const zpPerRow = Math.ceil(kBlocks / 2);
  const zeroPoints = asymmetric ? new Uint8Array(n * zpPerRow) : undefined;
  const q = new Uint8Array(blockSize);
  for (let row = 0; row < n; row++) {
    for (let block = 0; block < kBlocks; block++) {
      const start = row * k + block * blockSize;
      let zp = 8;
      let scale: number;
      if (asymmetric) {
        let lo = 0; // the range always holds 0, so an all-positive block still dequantizes 0 exactly-ish
        let hi = 0;
        for (let i = 0; i < blockSize; i++) {
          const v = weight[start + i] as number;
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        scale = Math.fround((hi - lo) / 15);
        zp = scale === 0 ? 8 : Math.min(15, Math.max(0, Math.round(-lo / scale)));
      } else {
        // The value of largest magnitude maps to −8 (all 16 levels used; ORT's MlasQuantizeBlockwise does the same).
        let extreme = 0;
        for (let i = 0; i < blockSize; i++) {
          const v = weight[start + i] as number;
          if (Math.abs(v) > Math.abs(extreme)) extreme = v;
        }
        scale = Math.fround(extreme / -8);
      }
      const inv = scale === 0 ? 0 : 1 / scale;
      for (let i = 0; i < blockSize; i++) {
        q[i] = Math.min(15, Math.max(0, Math.round((weight[start + i] as number) * inv) + zp));
      }
      const out = (row * kBlocks + block) * blob;
      for (let i = 0; i < blob; i++) packed[out + i] = (q[2 * i] as number) | ((q[2 * i + 1] as number) << 4);
      scales[row * kBlocks + block] = scale;
      if (zeroPoints) {
        const at = row * zpPerRow + (block >> 1);
        zeroPoints[at] = (zeroPoints[at] as number) | (zp << (4 * (block & 1)));
      }
    }
  }
  return { n, k, blockSize, packed, scales, ...(zeroPoints ? { zeroPoints } : {}) };
}

/** The (N, K) float32 matrix a Q4Matrix stands for (what MatMulNBits multiplies by), for tests and error reports. */
export function dequantizeQ4(m: Q4Matrix): Float32Array {
  const kBlocks = m.k / m.blockSize;
  const zpPerRow = Math.ceil(kBlocks / 2);
  const out = new Float32Array(m.n * m.k);
  for (let row = 0; row < m.n; row++) {
    for (let block = 0; block < kBlocks; block++) {
      const scale = m.scales[row * kBlocks + block] as number;
      const zp = m.zeroPoints ? ((m.zeroPoints[row * zpPerRow + (block >> 1)] as number) >> (4 * (block & 1))) & 15 : 8;
      const base = (row * kBlocks + block) * (m.blockSize / 2);
      for (let i = 0; i < m.blockSize; i++) {
        const byte = m.packed[base + (i >> 1)] as number;
        const q = i & 1 ? byte >> 4 : byte & 15;
        out[row * m.k + block * m.blockSize + i] = Math.fround((q - zp) * scale);
      }
    }
  }
  return out;
}

/** Bytes a 4-bit (N, K) matrix takes in a pack: packed values, float32 scales and, if any, packed zero points. */
export function q4Bytes(n: number, k: number, blockSize: number, zeroPoints: boolean): number {
  const kBlocks = k / blockSize;
  return n * kBlocks * (blockSize / 2) + 4 * n * kBlocks + (zeroPoints ? n * Math.ceil(kBlocks / 2) : 0);
}
