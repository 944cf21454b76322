// PNG files as 8-bit pixels for the edit inputs (CLI): the size is checked from the header before anything is decoded.

import { open, readFile } from 'node:fs/promises';
import { convertIndexedToRgb, decode as decodePng, hasPngSignature } from 'fast-png';
import { checkEditSize, type Pixels } from '../core/generate/edit-input';
import { VarError } from '../shared/errors';

/**
 * Reads a PNG (any colour type, 1–16 bits, palette, alpha) as 8-bit pixels. Anything else (another format, a damaged
 * file) is E_BAD_IMAGE / E_BAD_MASK naming the file; an image over the edit size limit is refused from its header
 * (the first 24 bytes), so a huge file is never decoded.
 */
export async function readPngPixels(path: string, what: 'image' | 'mask'): Promise<Pixels> {
  const code = what === 'image' ? 'E_BAD_IMAGE' : 'E_BAD_MASK';
  const head = new Uint8Array(24);
  const handle = await open(path, 'r').catch((error: unknown) => {
    throw new VarError(code, `cannot read the ${what} ${path}: ${(error as Error).message}`, { path });
  });
  try {
    await handle.read(head, 0, 24, 0);
  } finally {
    await handle.close();
  }
  if (!hasPngSignature(head) || String.fromCharCode(...head.subarray(12, 16)) !== 'IHDR') {
    throw new VarError(code, `the ${what} ${path} is not a PNG image`, { path });
  }
  const view = new DataView(head.buffer);
  checkEditSize(view.getUint32(16), view.getUint32(20), what);
  try {
    const png = decodePng(await readFile(path));
    if (png.palette) {
      const rgb = convertIndexedToRgb(png);
      return { data: rgb, width: png.width, height: png.height, channels: rgb.length / (png.width * png.height) };
    }
    let data: ArrayLike<number> = png.data;
    if (png.depth === 16) data = Uint8Array.from(png.data, (v) => v >> 8);
    else if (png.depth !== 8) {
      // 1, 2 or 4-bit grey: fast-png leaves the samples packed; unpack them to 0–255.
      data = unpackBits(png.data as Uint8Array, png.width, png.height, png.channels, png.depth);
    }
    return { data, width: png.width, height: png.height, channels: png.channels };
  } catch (error) {
    if (error instanceof VarError) throw error;
    throw new VarError(code, `the ${what} ${path} is not a readable PNG: ${(error as Error).message}`, { path });
  }
}

function unpackBits(packed: Uint8Array, width: number, height: number, channels: number, depth: number): Uint8Array {
  const perRow = width * channels;
  const rowBytes = Math.ceil((perRow * depth) / 8);
  const max = (1 << depth) - 1;
  const out = new Uint8Array(perRow * height);
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < perRow; i++) {
      const bit = i * depth;
      const byte = packed[y * rowBytes + (bit >> 3)] as number;
      const value = (byte >> (8 - depth - (bit & 7))) & max;
      out[y * perRow + i] = Math.round((value * 255) / max);
    }
  }
  return out;
}
