// Live previews of an edit show the region being generated over the image as the model sees it: the kept part is
// drawn from the image itself (pure pixel work here; the final image is the model's own decode of every token).

/** A rectangle in some image's pixels. */
export interface Box {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/**
 * The mask as the model sees it: size × size values (1 = generate) sampled (nearest, at pixel centres) from a
 * maskWidth × maskHeight mask over `view`, the square of the mask the model sees (null: all of it).
 */
export function maskAtModelView(
  mask: Readonly<Uint8Array>,
  maskWidth: number,
  maskHeight: number,
  view: Box | null,
  size: number,
): Uint8Array {
  const v = view ?? { left: 0, top: 0, width: maskWidth, height: maskHeight };
  const out = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    const my = Math.min(maskHeight - 1, Math.max(0, Math.floor(v.top + ((y + 0.5) * v.height) / size)));
    for (let x = 0; x < size; x++) {
      const mx = Math.min(maskWidth - 1, Math.max(0, Math.floor(v.left + ((x + 0.5) * v.width) / size)));
      out[y * size + x] = mask[my * maskWidth + mx] as number;
    }
  }
  return out;
}

/** `view` (in image pixels) in the pixels of a mask painted at maskWidth for an image of imageWidth. */
export function scaleBox(view: Box | null, imageWidth: number, maskWidth: number): Box | null {
  if (!view) return null;
  const s = maskWidth / imageWidth;
  return { left: view.left * s, top: view.top * s, width: view.width * s, height: view.height * s };
}

/**
 * The layer drawn over each preview: the image (RGBA, the model's size) where the mask keeps it, transparent where
 * it generates, so only the generated region shows the preview.
 */
export function keepLayer(
  image: Readonly<Uint8ClampedArray>,
  maskView: Readonly<Uint8Array>,
): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(image);
  for (let i = 0; i < maskView.length; i++) out[4 * i + 3] = maskView[i] ? 0 : 255;
  return out;
}
