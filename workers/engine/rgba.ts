// Decoded images (planar float [0, 1]) → RGBA pixels for canvases and PNGs.

import type { DecodedImages } from '../../src/core/generate/var-pipeline';
import type { Rgba } from '../../src/shared/engine-api';

/** (B, 3, H, W) float [0, 1] → one RGBA image each, uint8(x·255) truncated as the official demo. */
export function toRgba(images: DecodedImages): Rgba[] {
  const { data, batch, size } = images;
  const plane = size * size;
  return Array.from({ length: batch }, (_, b) => {
    const rgba = new Uint8ClampedArray(plane * 4);
    for (let p = 0; p < plane; p++) {
      rgba[p * 4] = Math.trunc((data[b * 3 * plane + p] as number) * 255);
      rgba[p * 4 + 1] = Math.trunc((data[(b * 3 + 1) * plane + p] as number) * 255);
      rgba[p * 4 + 2] = Math.trunc((data[(b * 3 + 2) * plane + p] as number) * 255);
      rgba[p * 4 + 3] = 255;
    }
    return { width: size, height: size, data: rgba };
  });
}

/** The buffers to transfer (not copy) across the worker boundary. */
export function rgbaBuffers(images: readonly Rgba[]): ArrayBuffer[] {
  return images.map((i) => i.data.buffer as ArrayBuffer);
}
