// Edit previews: the mask sampled to the model's view, and the layer that keeps the image outside the mask.
import { describe, expect, it } from 'vitest';
import { keepLayer, maskAtModelView, scaleBox } from './preview-composite';

describe('maskAtModelView', () => {
  it('samples the whole mask when the model sees all of the image', () => {
    // 4×2 mask, right half generated → 2×2 view: right column.
    const mask = Uint8Array.from([0, 0, 1, 1, 0, 0, 1, 1]);
    expect(Array.from(maskAtModelView(mask, 4, 2, null, 2))).toEqual([0, 1, 0, 1]);
    expect(Array.from(maskAtModelView(mask, 4, 2, null, 4))).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1]);
  });

  it('samples only the square the model sees', () => {
    // 6×2 mask; the model sees x in [2, 4): the first of those columns kept, the second generated.
    const mask = Uint8Array.from([1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1]);
    expect(Array.from(maskAtModelView(mask, 6, 2, { left: 2, top: 0, width: 2, height: 2 }, 2))).toEqual([0, 1, 0, 1]);
  });
});

describe('scaleBox', () => {
  it('takes an image-pixel box to mask pixels', () => {
    expect(scaleBox({ left: 100, top: 50, width: 1000, height: 1000 }, 2000, 500)).toEqual({
      left: 25,
      top: 12.5,
      width: 250,
      height: 250,
    });
    expect(scaleBox(null, 2000, 500)).toBeNull();
  });
});

describe('keepLayer', () => {
  it('is the image, opaque where the mask keeps it and transparent where it generates', () => {
    const image = Uint8ClampedArray.from([10, 20, 30, 255, 40, 50, 60, 255]);
    expect(Array.from(keepLayer(image, Uint8Array.from([0, 1])))).toEqual([10, 20, 30, 255, 40, 50, 60, 0]);
    expect(Array.from(image)).toEqual([10, 20, 30, 255, 40, 50, 60, 255]);
  });
});
