// The edit's inputs: any image brought to the model's size the way VAR's evaluation transform does, the mask alike,
// and the mask's per-scale token regions (the teacher-forcing rule of fixtures README §7).

import { VarError } from '../../shared/errors';

/** Pixels an edit input may have (either side ≤ MAX_EDIT_SIDE too): a 40 MP RGBA image is 160 MB decoded. */
export const MAX_EDIT_PIXELS = 40_000_000;
export const MAX_EDIT_SIDE = 16_384;

/** Decoded pixels, interleaved, 8 bits per channel (1 = grey, 2 = grey + alpha, 3 = RGB, 4 = RGBA). */
export interface Pixels {
  readonly data: ArrayLike<number>;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

/** How an image of width × height becomes size × size (the same geometry is applied to its mask). */
export interface FitGeometry {
  /** 'as-is': already size × size (the goldens' case); 'var-eval': VAR's evaluation transform. */
  readonly mode: 'as-is' | 'var-eval';
  /** The resized image's size before the centre crop. */
  readonly resized: readonly [number, number];
  /** Left and top of the crop in the resized image. */
  readonly crop: readonly [number, number];
}

/** Throws E_BAD_IMAGE (or E_BAD_MASK for `what` = 'mask') unless the pixels are a usable 8-bit image. */
export function checkPixels(p: Pixels, what: 'image' | 'mask'): void {
  const code = what === 'image' ? 'E_BAD_IMAGE' : 'E_BAD_MASK';
  if (![1, 2, 3, 4].includes(p.channels)) {
    throw new VarError(code, `the ${what} has ${p.channels} channels; expected grey, grey + alpha, RGB or RGBA`);
  }
  if (!Number.isInteger(p.width) || !Number.isInteger(p.height) || p.width < 1 || p.height < 1) {
    throw new VarError(code, `the ${what} is ${p.width}×${p.height} pixels; it must be at least 1×1`);
  }
  checkEditSize(p.width, p.height, what);
  if (p.data.length !== p.width * p.height * p.channels) {
    throw new VarError(
      code,
      `the ${what}'s pixel data has ${p.data.length} values, expected ${p.width * p.height * p.channels}`,
    );
  }
}

/** The size limit alone (callers check it from a file header before decoding anything). */
export function checkEditSize(width: number, height: number, what: 'image' | 'mask'): void {
  if (width > MAX_EDIT_SIDE || height > MAX_EDIT_SIDE || width * height > MAX_EDIT_PIXELS) {
    throw new VarError(
      what === 'image' ? 'E_BAD_IMAGE' : 'E_BAD_MASK',
      `the ${what} is ${width}×${height} pixels; at most ${MAX_EDIT_SIDE} a side and ${MAX_EDIT_PIXELS / 1e6} megapixels`,
      { width, height },
    );
  }
}

/**
 * VAR's evaluation transform (utils/data.py `build_dataset`, val_aug): Resize(round(1.125·S), LANCZOS) on the shorter
 * side (the longer side truncated, as torchvision computes it), then CenterCrop(S) (offsets rounded half to even, as
 * Python's round). An image that is already S × S is taken as it is (no resize: that is what the official
 * `img_to_idxBl` tokenises, and what the edit goldens did).
 */
export function fitGeometry(width: number, height: number, size: number): FitGeometry {
  if (width === size && height === size) return { mode: 'as-is', resized: [size, size], crop: [0, 0] };
  const short = Math.round(1.125 * size);
  const [w, h] =
    width <= height ? [short, Math.trunc((short * height) / width)] : [Math.trunc((short * width) / height), short];
  return { mode: 'var-eval', resized: [w, h], crop: [roundHalfEven((w - size) / 2), roundHalfEven((h - size) / 2)] };
}

/** The image as (3, size, size) float32 in [0, 1], planar RGB (alpha composited over black; grey copied to RGB). */
export function fitImage(p: Pixels, size: number): Float32Array {
  checkPixels(p, 'image');
  const g = fitGeometry(p.width, p.height, size);
  const out = new Float32Array(3 * size * size);
  for (let c = 0; c < 3; c++) {
    const plane = channelPlane(p, c);
    const fitted = g.mode === 'as-is' ? plane : resampleCrop(plane, p.width, p.height, g, size, true);
    for (let i = 0; i < size * size; i++) out[c * size * size + i] = (fitted[i] as number) / 255;
  }
  return out;
}

/**
 * The mask as (size, size) float32 in [0, 1] (1 = white = generate; the mean of its colour channels, times alpha),
 * through the same geometry as an image of imageWidth × imageHeight. Its aspect ratio must be the image's (within
 * 1 %); any resolution is fine.
 */
export function fitMask(p: Pixels, imageWidth: number, imageHeight: number, size: number): Float32Array {
  checkPixels(p, 'mask');
  const ratio = (p.width * imageHeight) / (p.height * imageWidth);
  if (Math.abs(ratio - 1) > 0.01) {
    throw new VarError(
      'E_BAD_MASK',
      `the mask is ${p.width}×${p.height}, the image ${imageWidth}×${imageHeight}: the mask must have the image's aspect ratio`,
      { mask: [p.width, p.height], image: [imageWidth, imageHeight] },
    );
  }
  const plane = new Float32Array(p.width * p.height);
  const colours = p.channels >= 3 ? 3 : 1;
  const alpha = p.channels === 2 || p.channels === 4 ? p.channels - 1 : -1;
  for (let i = 0; i < plane.length; i++) {
    let sum = 0;
    for (let c = 0; c < colours; c++) sum += p.data[i * p.channels + c] as number;
    const a = alpha < 0 ? 1 : (p.data[i * p.channels + alpha] as number) / 255;
    plane[i] = (sum / colours / 255) * a;
  }
  // The mask's geometry is the image's, scaled to the mask's resolution.
  const g = fitGeometry(p.width, p.height, size);
  const ig = fitGeometry(imageWidth, imageHeight, size);
  if (g.mode === 'as-is' && ig.mode === 'as-is') return plane;
  const geometry: FitGeometry = ig.mode === 'as-is' ? scaleOnly(size) : ig;
  const fitted = resampleCrop(plane, p.width, p.height, geometry, size, false);
  for (let i = 0; i < fitted.length; i++) fitted[i] = Math.min(1, Math.max(0, fitted[i] as number));
  return fitted;
}

/** A full mask (all 1: generate everything) or an empty one (all 0: keep the image), size × size. */
export function constantMask(size: number, value: 0 | 1): Float32Array {
  return new Float32Array(size * size).fill(value);
}

/**
 * Per scale, which tokens are generated (1) and which are the image's own (0): the mask area-averaged to pn × pn
 * (F.interpolate 'area'), generated where the average is ≥ 0.5.
 */
export function scaleMasks(mask: Float32Array, size: number, patchNums: readonly number[]): Uint8Array[] {
  if (mask.length !== size * size) throw new VarError('E_BAD_MASK', `the mask must have ${size}×${size} values`);
  // Window sums divided once (adaptive average pooling): a window half inside a box averages to exactly 0.5, as in
  // torch, where summing 1/n weights would round below it.
  return patchNums.map((pn) => {
    const out = new Uint8Array(pn * pn);
    for (let i = 0; i < pn; i++) {
      const [y0, y1] = areaWindow(i, size, pn);
      for (let j = 0; j < pn; j++) {
        const [x0, x1] = areaWindow(j, size, pn);
        let sum = 0;
        for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += mask[y * size + x] as number;
        out[i * pn + j] = sum / ((y1 - y0) * (x1 - x0)) >= 0.5 ? 1 : 0;
      }
    }
    return out;
  });
}

/** Input window [start, end) of output i in F.interpolate 'area' (adaptive average pooling) from inSize to outSize. */
function areaWindow(i: number, inSize: number, outSize: number): [number, number] {
  return [Math.floor((i * inSize) / outSize), Math.ceil(((i + 1) * inSize) / outSize)];
}

function scaleOnly(size: number): FitGeometry {
  return { mode: 'var-eval', resized: [size, size], crop: [0, 0] };
}

/** Channel c (0–2) of the pixels as floats 0–255, alpha composited over black. */
function channelPlane(p: Pixels, c: number): Float32Array {
  const n = p.width * p.height;
  const out = new Float32Array(n);
  const src = p.channels >= 3 ? c : 0;
  const alpha = p.channels === 2 || p.channels === 4 ? p.channels - 1 : -1;
  for (let i = 0; i < n; i++) {
    const v = p.data[i * p.channels + src] as number;
    out[i] = alpha < 0 ? v : Math.round((v * (p.data[i * p.channels + alpha] as number)) / 255);
  }
  return out;
}

/**
 * Resizes a plane to geometry.resized with PIL's Lanczos (a = 3, support widened by the scale when shrinking) and
 * returns only the size × size crop: only the crop's columns are computed in the first (horizontal) pass, so memory
 * is input height × size floats. `round8`: round and clamp to 0–255 after each pass, as PIL does for 8-bit images
 * (within one level of PIL's fixed-point result).
 */
function resampleCrop(
  plane: Float32Array,
  width: number,
  height: number,
  g: FitGeometry,
  size: number,
  round8: boolean,
): Float32Array {
  const [rw, rh] = g.resized;
  const [left, top] = g.crop;
  const xs = lanczosCoefficients(width, rw, left, size);
  const ys = lanczosCoefficients(height, rh, top, size);
  const finish = (v: number): number => (round8 ? Math.min(255, Math.max(0, Math.round(v))) : v);
  const horizontal = new Float32Array(height * size);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < size; x++) {
      const { start, weights } = xs[x] as Coefficients;
      let acc = 0;
      for (let k = 0; k < weights.length; k++) acc += (weights[k] as number) * (plane[row + start + k] as number);
      horizontal[y * size + x] = finish(acc);
    }
  }
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    const { start, weights } = ys[y] as Coefficients;
    for (let x = 0; x < size; x++) {
      let acc = 0;
      for (let k = 0; k < weights.length; k++)
        acc += (weights[k] as number) * (horizontal[(start + k) * size + x] as number);
      out[y * size + x] = finish(acc);
    }
  }
  return out;
}

interface Coefficients {
  readonly start: number;
  readonly weights: Float64Array;
}

/** PIL `precompute_coeffs` for LANCZOS, for outputs first … first + count − 1 of an inSize → outSize resize. */
function lanczosCoefficients(inSize: number, outSize: number, first: number, count: number): Coefficients[] {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 3 * filterScale;
  const out: Coefficients[] = [];
  for (let xx = first; xx < first + count; xx++) {
    const center = (xx + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    const weights = new Float64Array(Math.max(xmax, 0));
    let total = 0;
    for (let x = 0; x < weights.length; x++) {
      const w = lanczos((x + xmin - center + 0.5) / filterScale);
      weights[x] = w;
      total += w;
    }
    if (total !== 0) for (let x = 0; x < weights.length; x++) weights[x] = (weights[x] as number) / total;
    out.push({ start: xmin, weights });
  }
  return out;
}

function lanczos(x: number): number {
  if (x <= -3 || x >= 3) return 0;
  return sinc(x) * sinc(x / 3);
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

/** Python's round(): halves to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
