// RGBA from the engine → canvases: scaled up with smoothing off (crisp tokens), scaled down with smoothing on.

import type { Rgba } from '../../shared/engine-api';

/** An ImageData over the same pixels (no copy when they sit in a plain ArrayBuffer, as transferred ones do). */
export function toImageData(rgba: Rgba): ImageData {
  const { data, width, height } = rgba;
  const pixels =
    data.buffer instanceof ArrayBuffer
      ? new Uint8ClampedArray(data.buffer, data.byteOffset, data.length)
      : new Uint8ClampedArray(data);
  return new ImageData(pixels, width, height);
}

let scratch: HTMLCanvasElement | undefined;

/** Draws `rgba` over the whole of `canvas` (whose size is left as it is). */
export function drawRgba(canvas: HTMLCanvasElement, rgba: Rgba): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  if (rgba.width === canvas.width && rgba.height === canvas.height) {
    ctx.putImageData(toImageData(rgba), 0, 0);
    return;
  }
  scratch ??= document.createElement('canvas');
  scratch.width = rgba.width;
  scratch.height = rgba.height;
  scratch.getContext('2d')?.putImageData(toImageData(rgba), 0, 0);
  const upscaling = canvas.width >= rgba.width;
  ctx.imageSmoothingEnabled = !upscaling;
  ctx.imageSmoothingQuality = 'high';
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(scratch, 0, 0, canvas.width, canvas.height);
}

/** A PNG of `rgba` at its own size. */
export function rgbaToPngBlob(rgba: Rgba): Promise<Blob> {
  const canvas = document.createElement('canvas');
  canvas.width = rgba.width;
  canvas.height = rgba.height;
  canvas.getContext('2d')?.putImageData(toImageData(rgba), 0, 0);
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error('the browser could not encode a PNG'))),
      'image/png',
    ),
  );
}
