// The quantizer step's per-scale feeds (no ORT session: fast, part of the mutation run).
import { describe, expect, it } from 'vitest';
import { areaMatrix, bicubicMatrix, kroneckerSquare } from './scale-resample';
import { quantizerStepFeeds } from './vq-quantizer';

const PATCH_NUMS = [1, 2, 3, 4, 5, 6, 8, 10, 13, 16];

describe('quantizerStepFeeds', () => {
  it('matrix shapes per scale, identity maps at the last scale, Phi table', () => {
    const first = quantizerStepFeeds(PATCH_NUMS, 0, 4);
    expect(first.upMatrix.dims).toEqual([256, 1]);
    expect(first.downMatrix.dims).toEqual([4, 256]);
    const last = quantizerStepFeeds(PATCH_NUMS, 9, 4);
    expect(last.upMatrix.dims).toEqual([256, 256]);
    expect(last.upMatrix.data.every((v, i) => v === (i % 257 === 0 ? 1 : 0))).toBe(true);
    // The last scale's next_input is unused: its down map is the identity on 16×16.
    expect(last.downMatrix.dims).toEqual([256, 256]);
    expect(last.downMatrix.data.every((v, i) => v === (i % 257 === 0 ? 1 : 0))).toBe(true);
    expect(PATCH_NUMS.map((_, si) => quantizerStepFeeds(PATCH_NUMS, si, 4).phiIndex)).toEqual([
      0, 0, 1, 1, 1, 2, 2, 3, 3, 3,
    ]);
  });

  it('scale si: bicubic pn_si → 16 up, area 16 → pn_(si+1) down, as Kronecker squares', () => {
    for (const si of [1, 6, 8]) {
      const pn = PATCH_NUMS[si] as number;
      const next = PATCH_NUMS[si + 1] as number;
      const feeds = quantizerStepFeeds(PATCH_NUMS, si, 4);
      expect(feeds.upMatrix.dims).toEqual([256, pn * pn]);
      expect(Array.from(feeds.upMatrix.data)).toEqual(Array.from(kroneckerSquare(bicubicMatrix(pn, 16), 16, pn)));
      expect(feeds.downMatrix.dims).toEqual([next * next, 256]);
      expect(Array.from(feeds.downMatrix.data)).toEqual(Array.from(kroneckerSquare(areaMatrix(16, next), next, 16)));
    }
  });

  it('refuses a scale outside patch_nums', () => {
    expect(() => quantizerStepFeeds(PATCH_NUMS, 10, 4)).toThrow(/^Scale 10 is outside patch_nums \(10 scales\)$/);
    expect(() => quantizerStepFeeds([], 0, 4)).toThrow(RangeError);
  });
});
