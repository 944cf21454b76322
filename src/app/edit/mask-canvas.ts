// The image with its mask painted over it: pointer events (mouse, pen, touch: the canvas has `touch-action: none`)
// drive a MaskPainter; the mask shows as a translucent overlay, and the square the model sees is outlined.

import type { Rgba } from '../../shared/engine-api';
import { h } from '../ui/dom';
import { drawRgba } from '../ui/draw';
import { brushRadius, modelCrop } from './edit-state';
import { MaskPainter, maskSize, toMaskPoint } from './mask-painter';

export type MaskTool = 'brush' | 'erase' | 'rect';

/** Overlay colour where the mask generates (RGBA, alpha out of 255): visible on dark and light images. */
const MASK_RGBA = [255, 0, 110, 140] as const;

export interface MaskCanvas {
  /** The element to place in the page (image, overlay and crop outline, sized by CSS to the image's aspect). */
  readonly element: HTMLElement;
  /** Shows `image` with an empty mask; `modelSize` is the model's image side (for the outline of what it sees). */
  setImage(image: Rgba, modelSize: number): void;
  /** The current mask (null before an image). */
  readonly painter: MaskPainter | null;
  tool: MaskTool;
  /** Brush diameter in pixels of a 256 px view of the image (the slider's value). */
  brushSize: number;
  enabled: boolean;
  /** Redraws the overlay after the mask changed from outside (invert, clear, undo). */
  redraw(): void;
}

export function createMaskCanvas(options: { onChange: () => void }): MaskCanvas {
  const image = h('canvas', { className: 'edit-image', attrs: { 'aria-hidden': 'true' } });
  const overlay = h('canvas', {
    className: 'edit-mask',
    testid: 'edit.mask',
    attrs: {
      role: 'img',
      'aria-label': 'The image with the mask painted over it: drag to paint where it should change',
    },
  });
  const crop = h('div', { className: 'edit-crop', attrs: { 'aria-hidden': 'true' } });
  crop.hidden = true;
  const element = h('div', { className: 'edit-canvas' }, [image, overlay, crop]);

  let painter: MaskPainter | null = null;
  let pixels: ImageData | null = null;
  /** The pointer painting now, and where it started and last was (mask pixels). */
  let drag: { id: number; start: { x: number; y: number }; last: { x: number; y: number } } | null = null;

  const state = {
    tool: 'brush' as MaskTool,
    brushSize: 32,
    enabled: true,
  };

  function redraw(): void {
    const ctx = overlay.getContext('2d');
    if (!painter || !pixels || !ctx) return;
    const mask = painter.data;
    const px = pixels.data;
    for (let i = 0; i < mask.length; i++) {
      const on = mask[i] === 1;
      px[4 * i] = MASK_RGBA[0];
      px[4 * i + 1] = MASK_RGBA[1];
      px[4 * i + 2] = MASK_RGBA[2];
      px[4 * i + 3] = on ? MASK_RGBA[3] : 0;
    }
    ctx.putImageData(pixels, 0, 0);
    // The rectangle being dragged, before it is committed.
    if (drag && state.tool === 'rect') {
      const { start, last } = drag;
      ctx.lineWidth = Math.max(1, painter.width / 256);
      ctx.setLineDash([4 * ctx.lineWidth, 3 * ctx.lineWidth]);
      ctx.strokeStyle = 'white';
      ctx.strokeRect(start.x, start.y, last.x - start.x, last.y - start.y);
      ctx.strokeStyle = 'black';
      ctx.lineDashOffset = 4 * ctx.lineWidth;
      ctx.strokeRect(start.x, start.y, last.x - start.x, last.y - start.y);
      ctx.setLineDash([]);
      ctx.lineDashOffset = 0;
    }
  }

  const point = (e: PointerEvent) =>
    painter ? toMaskPoint(e.clientX, e.clientY, overlay.getBoundingClientRect(), painter) : { x: 0, y: 0 };

  function paint(from: { x: number; y: number }, to: { x: number; y: number }): void {
    if (!painter) return;
    painter.paintSegment(
      from.x,
      from.y,
      to.x,
      to.y,
      brushRadius(state.brushSize, painter),
      state.tool === 'erase' ? 0 : 1,
    );
  }

  overlay.addEventListener('pointerdown', (e) => {
    // One pointer paints at a time (a second finger does nothing); only the main mouse button paints.
    if (!painter || !state.enabled || drag || (e.pointerType === 'mouse' && e.button !== 0)) return;
    e.preventDefault();
    overlay.setPointerCapture(e.pointerId);
    const p = point(e);
    drag = { id: e.pointerId, start: p, last: p };
    if (state.tool !== 'rect') {
      painter.beginStroke();
      paint(p, p);
    }
    redraw();
  });
  overlay.addEventListener('pointermove', (e) => {
    if (!drag || e.pointerId !== drag.id) return;
    const p = point(e);
    if (state.tool !== 'rect') paint(drag.last, p);
    drag.last = p;
    redraw();
  });
  const end = (e: PointerEvent, commit: boolean) => {
    if (!drag || e.pointerId !== drag.id || !painter) return;
    const { start } = drag;
    const p = e.type === 'pointerup' ? point(e) : drag.last;
    drag = null;
    if (state.tool === 'rect') {
      if (commit) painter.rect(start.x, start.y, p.x, p.y, 1);
    } else {
      painter.endStroke();
    }
    redraw();
    options.onChange();
  };
  overlay.addEventListener('pointerup', (e) => end(e, true));
  overlay.addEventListener('pointercancel', (e) => end(e, false));

  return {
    element,
    get painter() {
      return painter;
    },
    get tool() {
      return state.tool;
    },
    set tool(t: MaskTool) {
      state.tool = t;
      overlay.dataset.tool = t;
    },
    get brushSize() {
      return state.brushSize;
    },
    set brushSize(size: number) {
      state.brushSize = size;
    },
    get enabled() {
      return state.enabled;
    },
    set enabled(on: boolean) {
      state.enabled = on;
      overlay.dataset.disabled = String(!on);
    },
    setImage(rgba, modelSize) {
      const size = maskSize(rgba.width, rgba.height);
      painter = new MaskPainter(size.width, size.height);
      drag = null;
      for (const c of [image, overlay]) {
        c.width = size.width;
        c.height = size.height;
      }
      element.style.aspectRatio = `${rgba.width} / ${rgba.height}`;
      // Shown at the mask's size: a 40 MP photo need not stay on screen at full size.
      drawRgba(image, rgba);
      pixels = new ImageData(size.width, size.height);
      const c = modelCrop(rgba.width, rgba.height, modelSize);
      crop.hidden = c === null;
      if (c) {
        crop.style.left = `${(100 * c.left) / rgba.width}%`;
        crop.style.top = `${(100 * c.top) / rgba.height}%`;
        crop.style.width = `${(100 * c.width) / rgba.width}%`;
        crop.style.height = `${(100 * c.height) / rgba.height}%`;
      }
      redraw();
    },
    redraw,
  };
}
