// Comparison of our images with the golden PNGs (fixtures `a_cfg{4,0}_image.png`: 256 × 768 RGB, the three images
// of a greedy run side by side, each byte uint8(x·255) truncated, x·255 in float32 as torch computes it).

import { decode as decodePng } from 'fast-png';
import { fixtureBytes } from './fixtures';

export interface PngParity {
  /** Bytes compared. */
  readonly bytes: number;
  /** Bytes whose truncated value differs from the golden byte. */
  readonly differing: number;
  /** Largest difference of a byte. */
  readonly maxByteDiff: number;
  /**
   * Only for float images: the largest distance (in [0, 1] image units) of our value from the interval
   * [g, g + 1)/255 that golden byte g was truncated from. A lower bound of |ours − torch's float| that needs no
   * float golden (the cfg 0 case has none): a correct port is within its float error of every interval.
   */
  readonly maxOutside: number;
}

interface GoldenPng {
  readonly data: ArrayLike<number>;
  readonly width: number;
  readonly channels: number;
}

function goldenPng(name: string): GoldenPng {
  const png = decodePng(fixtureBytes(name));
  if (png.depth !== 8 || png.channels !== 3) throw new Error(`${name}: expected 8-bit RGB`);
  return { data: png.data, width: png.width, channels: png.channels };
}

/**
 * Float images (B, 3, S, S) in [0, 1], planar, against golden PNG `name`; our image b is the golden's image
 * `goldenIndex[b]` (default b).
 */
export function compareFloatWithGoldenPng(
  images: Float32Array,
  batch: number,
  size: number,
  name: string,
  goldenIndex: readonly number[] = Array.from({ length: batch }, (_, b) => b),
): PngParity {
  const png = goldenPng(name);
  let differing = 0;
  let maxByteDiff = 0;
  let maxOutside = 0;
  for (let b = 0; b < batch; b++) {
    const column = (goldenIndex[b] as number) * size;
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const scaled = Math.fround((images[((b * 3 + c) * size + y) * size + x] as number) * 255);
          const theirs = png.data[(y * png.width + column + x) * png.channels + c] as number;
          const diff = Math.abs(Math.trunc(scaled) - theirs);
          if (diff > 0) differing++;
          maxByteDiff = Math.max(maxByteDiff, diff);
          maxOutside = Math.max(maxOutside, (theirs - scaled) / 255, (scaled - (theirs + 1)) / 255);
        }
      }
    }
  }
  return { bytes: batch * 3 * size * size, differing, maxByteDiff, maxOutside };
}

/** An RGB PNG of one image (as the CLI writes it) against image `goldenIndex` of golden PNG `name`. */
export function comparePngWithGoldenPng(ours: Uint8Array, name: string, goldenIndex: number): PngParity {
  const png = goldenPng(name);
  const image = decodePng(ours);
  const size = image.width;
  if (image.height !== size || image.channels !== 3) throw new Error('expected a square RGB image');
  let differing = 0;
  let maxByteDiff = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      for (let c = 0; c < 3; c++) {
        const mine = image.data[(y * size + x) * 3 + c] as number;
        const theirs = png.data[(y * png.width + goldenIndex * size + x) * png.channels + c] as number;
        const diff = Math.abs(mine - theirs);
        if (diff > 0) differing++;
        maxByteDiff = Math.max(maxByteDiff, diff);
      }
    }
  }
  return { bytes: 3 * size * size, differing, maxByteDiff, maxOutside: Number.NaN };
}
