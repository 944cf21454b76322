import { describe, expect, it } from 'vitest';
import { constantMask, fitGeometry, fitImage, fitMask, scaleMasks } from './edit-input';

const PATCH_NUMS = [1, 2, 3, 4, 5, 6, 8, 10, 13, 16];

function boxMask(size: number, from: number, to: number): Float32Array {
  const m = new Float32Array(size * size);
  for (let y = from; y < to; y++) m.fill(1, y * size + from, y * size + to);
  return m;
}

describe('edit inputs', () => {
  it('VAR eval geometry: shorter side to round(1.125·S) (longer truncated), centre crop rounded half to even', () => {
    expect(fitGeometry(256, 256, 256)).toEqual({ mode: 'as-is', resized: [256, 256], crop: [0, 0] });
    expect(fitGeometry(512, 512, 256)).toEqual({ mode: 'var-eval', resized: [288, 288], crop: [16, 16] });
    expect(fitGeometry(600, 400, 256)).toEqual({ mode: 'var-eval', resized: [432, 288], crop: [88, 16] });
    expect(fitGeometry(333, 500, 256)).toEqual({ mode: 'var-eval', resized: [288, 432], crop: [16, 88] });
    // (289 − 256) / 2 = 16.5 → 16 (Python's round); 64-pixel models use 72.
    expect(fitGeometry(289, 288, 256).crop).toEqual([16, 16]);
    expect(fitGeometry(100, 100, 64)).toMatchObject({ resized: [72, 72], crop: [4, 4] });
  });

  it('fits any image to (3, S, S) in [0, 1]: a flat colour stays that colour, alpha over black, grey to RGB', () => {
    const rgba = { data: new Uint8Array(40 * 30 * 4), width: 40, height: 30, channels: 4 };
    for (let i = 0; i < 40 * 30; i++) rgba.data.set([200, 100, 50, 255], i * 4);
    const out = fitImage(rgba, 16);
    expect(out.length).toBe(3 * 256);
    expect(out[0]).toBeCloseTo(200 / 255, 6);
    expect(out[256 + 17]).toBeCloseTo(100 / 255, 6);
    expect(out[512 + 255]).toBeCloseTo(50 / 255, 6);
    const grey = fitImage({ data: new Uint8Array(16 * 16 * 2).fill(255), width: 16, height: 16, channels: 2 }, 16);
    expect(grey.every((v) => v === 1)).toBe(true);
  });

  it('refuses masks of another aspect ratio and images over the size limit', () => {
    const grey = (w: number, h: number) => ({ data: new Uint8Array(w * h), width: w, height: h, channels: 1 });
    expect(() => fitMask(grey(100, 50), 256, 256, 256)).toThrow(expect.objectContaining({ code: 'E_BAD_MASK' }));
    expect(fitMask(grey(128, 128), 256, 256, 256)).toHaveLength(256 * 256);
    expect(() => fitImage({ data: [], width: 20_000, height: 10, channels: 1 }, 256)).toThrow(
      expect.objectContaining({ code: 'E_BAD_IMAGE' }),
    );
    expect(() => fitImage({ data: [1, 2], width: 2, height: 2, channels: 1 }, 256)).toThrow(
      expect.objectContaining({ code: 'E_BAD_IMAGE' }),
    );
  });

  it('a mask at half resolution selects the same tokens as at full resolution', () => {
    const full = { data: Uint8Array.from(boxMask(256, 64, 192), (v) => v * 255), width: 256, height: 256, channels: 1 };
    const half = { data: Uint8Array.from(boxMask(128, 32, 96), (v) => v * 255), width: 128, height: 128, channels: 1 };
    const a = scaleMasks(fitMask(full, 256, 256, 256), 256, PATCH_NUMS);
    const b = scaleMasks(fitMask(half, 256, 256, 256), 256, PATCH_NUMS);
    expect(b.map((m) => Array.from(m))).toEqual(a.map((m) => Array.from(m)));
  });

  it('per scale: generated where the area average is ≥ 0.5 (exact halves count, as torch computes them)', () => {
    const counts = scaleMasks(boxMask(256, 64, 192), 256, PATCH_NUMS).map((m) => m.reduce((n, v) => n + v, 0));
    // fixtures/edit/edit_cases.json, in-painting's centre box.
    expect(counts).toEqual([0, 0, 1, 4, 9, 12, 16, 32, 49, 64]);
    expect(scaleMasks(constantMask(256, 0), 256, PATCH_NUMS).every((m) => m.every((v) => v === 0))).toBe(true);
    expect(scaleMasks(constantMask(256, 1), 256, PATCH_NUMS).every((m) => m.every((v) => v === 1))).toBe(true);
  });
});
