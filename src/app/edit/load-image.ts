// A file, a drop or a gallery PNG → RGBA pixels for the Edit panel (decoded by the browser, no colour conversion).

import { checkEditSize } from '../../core/generate/edit-input';
import type { Rgba } from '../../shared/engine-api';
import { VarError } from '../../shared/errors';

/**
 * Decodes `blob` at its own size. E_BAD_IMAGE when the browser cannot read it as an image, or when it is over the
 * engine's limits (16384 px a side, 40 MP). Colour profiles are ignored (as the CLI's PNG reader does), so a PNG's
 * pixels arrive exactly as stored.
 */
export async function blobToRgba(blob: Blob, name: string): Promise<Rgba> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    throw new VarError('E_BAD_IMAGE', `${name} is not an image this browser can read`);
  }
  try {
    checkEditSize(bitmap.width, bitmap.height, 'image');
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new VarError('E_BAD_IMAGE', `${name}: this browser gave no 2D canvas to read it`);
    ctx.drawImage(bitmap, 0, 0);
    const { data } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    return { width: bitmap.width, height: bitmap.height, data };
  } finally {
    bitmap.close();
  }
}
