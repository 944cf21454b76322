// The edit mask as a person paints it (pure, no DOM): one byte a pixel (1 = generate), brush strokes, rectangles,
// invert, clear, an undo stack, and the mask as RGBA at any size (what the engine takes: white = generate).

import type { Rgba } from '../../shared/engine-api';

/** The longest side the mask is painted at: finer than any model's 256 px view of the image, and cheap to redraw. */
export const MASK_MAX_SIDE = 512;

/** Undo steps kept (a 512 × 512 mask is 256 kB a step). */
const MAX_UNDO = 32;

/** The painting size for an image of width × height: its own size, scaled down to MASK_MAX_SIDE on its longer side. */
export function maskSize(width: number, height: number, maxSide = MASK_MAX_SIDE): { width: number; height: number } {
  const s = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * s)), height: Math.max(1, Math.round(height * s)) };
}

/** A point in mask pixels (fractional) from a pointer position over an element showing the whole mask. */
export function toMaskPoint(
  clientX: number,
  clientY: number,
  box: { readonly left: number; readonly top: number; readonly width: number; readonly height: number },
  mask: { readonly width: number; readonly height: number },
): { x: number; y: number } {
  return {
    x: box.width > 0 ? ((clientX - box.left) / box.width) * mask.width : 0,
    y: box.height > 0 ? ((clientY - box.top) / box.height) * mask.height : 0,
  };
}

export class MaskPainter {
  private mask: Uint8Array;
  private readonly undoStack: Uint8Array[] = [];
  /** The mask as the open stroke began (null when no stroke is open). */
  private strokeStart: Uint8Array | null = null;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new RangeError(`a mask is at least 1×1 whole pixels, not ${width}×${height}`);
    }
    this.mask = new Uint8Array(width * height);
  }

  /** 1 = generate, 0 = keep; row-major. */
  get data(): Readonly<Uint8Array> {
    return this.mask;
  }

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  /** Share of the pixels to generate, in [0, 1]. */
  coverage(): number {
    let n = 0;
    for (const v of this.mask) n += v;
    return n / this.mask.length;
  }

  /** Starts a stroke: everything painted until endStroke() is one undo step. */
  beginStroke(): void {
    this.endStroke();
    this.strokeStart = this.mask.slice();
  }

  /**
   * Paints a round brush of `radius` mask pixels along x0,y0 → x1,y1 (a dot when both ends are the same): every
   * pixel whose centre lies within `radius` of the segment gets `value`. Outside a stroke it is its own undo step.
   */
  paintSegment(x0: number, y0: number, x1: number, y1: number, radius: number, value: 0 | 1): void {
    const own = this.strokeStart === null;
    if (own) this.beginStroke();
    // At least the pixel under the pointer, however small the brush.
    const r = Math.max(radius, 0.5);
    const dx = x1 - x0;
    const dy = y1 - y0;
    const length2 = dx * dx + dy * dy;
    const [xa, xb] = this.span(Math.min(x0, x1) - r, Math.max(x0, x1) + r, this.width);
    const [ya, yb] = this.span(Math.min(y0, y1) - r, Math.max(y0, y1) + r, this.height);
    for (let y = ya; y < yb; y++) {
      for (let x = xa; x < xb; x++) {
        const px = x + 0.5;
        const py = y + 0.5;
        // The nearest point of the segment to the pixel centre.
        const t = length2 > 0 ? Math.min(1, Math.max(0, ((px - x0) * dx + (py - y0) * dy) / length2)) : 0;
        const ex = px - (x0 + t * dx);
        const ey = py - (y0 + t * dy);
        if (ex * ex + ey * ey <= r * r) this.mask[y * this.width + x] = value;
      }
    }
    if (own) this.endStroke();
  }

  /** Ends the open stroke; a stroke that changed nothing leaves no undo step. */
  endStroke(): void {
    const before = this.strokeStart;
    if (before === null) return;
    this.strokeStart = null;
    if (!equal(before, this.mask)) this.remember(before);
  }

  /** Sets every pixel whose centre lies inside the rectangle with corners x0,y0 and x1,y1 (any order) to `value`. */
  rect(x0: number, y0: number, x1: number, y1: number, value: 0 | 1): void {
    const [xa, xb] = this.centresWithin(Math.min(x0, x1), Math.max(x0, x1), this.width);
    const [ya, yb] = this.centresWithin(Math.min(y0, y1), Math.max(y0, y1), this.height);
    this.change((m) => {
      for (let y = ya; y < yb; y++) m.fill(value, y * this.width + xa, y * this.width + xb);
    });
  }

  invert(): void {
    this.change((m) => {
      for (let i = 0; i < m.length; i++) m[i] = 1 - (m[i] as number);
    });
  }

  clear(): void {
    this.change((m) => m.fill(0));
  }

  /** Puts back the mask as it was before the last step; false when there is nothing to undo. */
  undo(): boolean {
    this.endStroke();
    const last = this.undoStack.pop();
    if (!last) return false;
    this.mask = last;
    return true;
  }

  /**
   * The mask as RGBA of width × height (white = generate, black = keep, opaque), nearest neighbour: at the image's
   * own size it has exactly the image's aspect ratio, which the engine requires.
   */
  toRgba(width: number, height: number): Rgba {
    const data = new Uint8ClampedArray(width * height * 4);
    const columns = Uint32Array.from({ length: width }, (_, x) =>
      Math.min(this.width - 1, Math.floor(((x + 0.5) * this.width) / width)),
    );
    for (let y = 0; y < height; y++) {
      const row = Math.min(this.height - 1, Math.floor(((y + 0.5) * this.height) / height)) * this.width;
      for (let x = 0; x < width; x++) {
        const v = this.mask[row + (columns[x] as number)] ? 255 : 0;
        const o = (y * width + x) * 4;
        data[o] = v;
        data[o + 1] = v;
        data[o + 2] = v;
        data[o + 3] = 255;
      }
    }
    return { width, height, data };
  }

  /** One undoable step: `edit` changes a copy; a step that changes nothing is not remembered. */
  private change(edit: (m: Uint8Array) => void): void {
    this.endStroke();
    const before = this.mask.slice();
    edit(this.mask);
    if (!equal(before, this.mask)) this.remember(before);
  }

  private remember(before: Uint8Array): void {
    this.undoStack.push(before);
    if (this.undoStack.length > MAX_UNDO) this.undoStack.shift();
  }

  /** Whole pixels [a, b) touched by the interval [lo, hi], clamped to [0, n). */
  private span(lo: number, hi: number, n: number): [number, number] {
    return [Math.max(0, Math.floor(lo)), Math.min(n, Math.ceil(hi))];
  }

  /** Pixels [a, b) whose centres (i + 0.5) lie in [lo, hi], clamped to [0, n). */
  private centresWithin(lo: number, hi: number, n: number): [number, number] {
    const a = Math.max(0, Math.ceil(lo - 0.5));
    const b = Math.min(n, Math.floor(hi - 0.5) + 1);
    return [a, Math.max(a, b)];
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
