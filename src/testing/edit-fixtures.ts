// The edit goldens (fixtures/edit, fixtures README §7) as the pipeline takes them.

import { decode as decodePng } from 'fast-png';
import type { Pixels } from '../core/generate/edit-input';
import { fixtureBytes } from './fixtures';

/** A fixture PNG as 8-bit pixels. */
export function fixturePixels(name: string): Pixels {
  const png = decodePng(fixtureBytes(name));
  if (png.depth !== 8) throw new Error(`${name}: expected 8 bits per channel`);
  return { data: png.data, width: png.width, height: png.height, channels: png.channels };
}

/** edit_input.png as (1, 3, 256, 256) float32 in [0, 1] (uint8 / 255; the golden's x is that · 2 − 1). */
export function editInputImage(): Float32Array {
  const png = fixturePixels('edit/edit_input.png');
  const size = png.width;
  const out = new Float32Array(3 * size * size);
  for (let c = 0; c < 3; c++)
    for (let p = 0; p < size * size; p++) out[c * size * size + p] = (png.data[p * png.channels + c] as number) / 255;
  return out;
}
