import { describe, expect, it } from 'vitest';
import { rgbaBuffers, toRgba } from './rgba';

describe('toRgba', () => {
  it('interleaves the planes of each image and truncates x·255 as the official demo', () => {
    // Two 1×1 images: planes R, G, B of image 0, then of image 1.
    const data = Float32Array.from([0, 1, 0.5, 0.999, 0.25, 0.0039]);
    const [a, b] = toRgba({ data, batch: 2, size: 1 });
    expect(a?.width).toBe(1);
    expect([...(a?.data ?? [])]).toEqual([0, 255, 127, 255]);
    expect([...(b?.data ?? [])]).toEqual([254, 63, 0, 255]);
  });

  it('lists each image buffer for transfer', () => {
    const images = toRgba({ data: new Float32Array(2 * 3 * 4), batch: 2, size: 2 });
    expect(rgbaBuffers(images)).toEqual(images.map((i) => i.data.buffer));
  });
});
