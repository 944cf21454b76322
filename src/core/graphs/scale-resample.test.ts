import { describe, expect, it } from 'vitest';
import { loadNpy } from '../../testing/fixtures';
import { areaMatrix, bicubicMatrix, kroneckerSquare, phiIndex, scaleOffsets } from './scale-resample';

const PATCH_NUMS = [1, 2, 3, 4, 5, 6, 8, 10, 13, 16];

const at = (a: ArrayLike<number>, i: number): number => a[i] as number;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

describe('interpolation matrices', () => {
  it.each(PATCH_NUMS.slice(0, -1))('bicubic %d→16 and area 16→%d equal the torch-derived fixtures to 1e-12', (pn) => {
    const bicubic = loadNpy(`interp/bicubic_${pn}to16.npy`, 'float64');
    expect(bicubic.shape).toEqual([16, pn]);
    expect(maxDiff(bicubicMatrix(pn, 16), bicubic.data)).toBeLessThanOrEqual(1e-12);
    if (pn === 1) return; // no area_16to1 fixture (scale 0 is never an area target)
    const area = loadNpy(`interp/area_16to${pn}.npy`, 'float64');
    expect(area.shape).toEqual([pn, 16]);
    expect(maxDiff(areaMatrix(16, pn), area.data)).toBeLessThanOrEqual(1e-12);
  });

  it('overshoots like torch (no clamp) and maps 16→16 to the identity (the last scale)', () => {
    const m = bicubicMatrix(2, 16);
    expect(m[0]).toBeCloseTo(1.1038, 4);
    expect(m[1]).toBeCloseTo(-0.1038, 4);
    const identity = (n: number) => Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0));
    expect([...bicubicMatrix(16, 16)]).toEqual([...identity(16)]);
    expect([...areaMatrix(16, 16)]).toEqual([...identity(16)]);
  });

  it('kroneckerSquare(M) applied to vec(X) equals M @ X @ Mᵀ', () => {
    const m = bicubicMatrix(3, 5); // 5×3
    const x = Float64Array.from({ length: 9 }, (_, i) => Math.sin(i + 1));
    const k = kroneckerSquare(m, 5, 3); // 25×9
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 5; j++) {
        let separable = 0;
        for (let a = 0; a < 3; a++)
          for (let b = 0; b < 3; b++) separable += at(m, i * 3 + a) * at(x, a * 3 + b) * at(m, j * 3 + b);
        let kron = 0;
        for (let c = 0; c < 9; c++) kron += at(k, (i * 5 + j) * 9 + c) * at(x, c);
        expect(Math.abs(kron - separable)).toBeLessThan(1e-6);
      }
    }
  });
});

describe('phiIndex', () => {
  it('reproduces the official table for 10 scales and 4 shared convs (float64 ties at si = 2 and 7)', () => {
    expect(PATCH_NUMS.map((_, si) => phiIndex(si, 10, 4))).toEqual([0, 0, 1, 1, 1, 2, 2, 3, 3, 3]);
  });

  it('covers other scale sets and conv counts', () => {
    // d36-s 512px set (10 scales) uses the same table; a 13-scale set spreads over all 4 convs in order.
    const thirteen = Array.from({ length: 13 }, (_, si) => phiIndex(si, 13, 4));
    expect(thirteen[0]).toBe(0);
    expect(thirteen[12]).toBe(3);
    expect([...thirteen].sort((a, b) => a - b)).toEqual(thirteen);
    expect(phiIndex(5, 10, 1)).toBe(0);
    // K ≠ 4: ticks linspace(1/(2K), 1 − 1/(2K), K); K = SN gives one conv per scale.
    expect(Array.from({ length: 10 }, (_, si) => phiIndex(si, 10, 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('matches numpy argmin over the official ticks for other (SN, K), ties to the first tick', () => {
    // np.argmin(np.abs(ticks − si/(SN−1))), ticks = np.linspace(1/3/K, 1 − 1/3/K, K) if K == 4 else
    // np.linspace(1/2/K, 1 − 1/2/K, K); tables computed with numpy 2.4.
    const table = (SN: number, K: number) => Array.from({ length: SN }, (_, si) => phiIndex(si, SN, K));
    expect(table(3, 2)).toEqual([0, 0, 1]); // si 1: at 0.5, ticks 0.25 / 0.75 tie exactly → the first
    expect(table(4, 2)).toEqual([0, 0, 1, 1]);
    expect(table(14, 2)).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
    expect(table(10, 3)).toEqual([0, 0, 0, 0, 1, 1, 1, 2, 2, 2]);
    expect(table(13, 4)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3]);
  });
});

describe('scaleOffsets', () => {
  it('gives the official begin offsets and L = 680', () => {
    expect(scaleOffsets(PATCH_NUMS)).toEqual({ begins: [0, 1, 5, 14, 30, 55, 91, 155, 255, 424], length: 680 });
  });
});
