// The scale strip: one thumbnail per scale of the selected image, kept after the run; a thumbnail shows that
// scale large in the image's canvas (buttons, so the keyboard reaches them).

import type { Rgba, ScaleUpdate } from '../../shared/engine-api';
import { byTestId, h } from './dom';
import { drawRgba } from './draw';

const THUMB_PX = 96;

export interface ScaleStrip {
  /** Clears the strip for a run of `count` images. */
  start(count: number): void;
  /** Keeps the update's previews (a dropped preview leaves its scale out). */
  add(u: ScaleUpdate): void;
  /** The final images are the last scale's (its preview may have been dropped). */
  finish(finals: readonly Rgba[], scaleCount: number, pn: number): void;
  /** Shows the thumbnails of image i. */
  showImage(i: number): void;
}

interface Scale {
  readonly si: number;
  readonly scaleCount: number;
  readonly pn: number;
  readonly images: readonly Rgba[];
}

export function createScaleStrip(
  root: HTMLElement,
  options: {
    onView: (image: number, si: number, rgba: Rgba, scaleCount: number) => void;
    /** The markup's test ids start with this ('strip': `strip`, `strip.box`…); the Edit panel has its own strip. */
    testIds?: string;
  },
): ScaleStrip {
  const ids = options.testIds ?? 'strip';
  const list = byTestId(root, ids, HTMLOListElement);
  const heading = byTestId(root, `${ids}.heading`, HTMLElement);
  const box = byTestId(root, `${ids}.box`, HTMLElement);
  const viewing = byTestId(root, `${ids}.viewing`, HTMLElement);
  const scales = new Map<number, Scale>();
  let image = 0;

  function thumb(scale: Scale): HTMLLIElement | null {
    const rgba = scale.images[image];
    if (!rgba) return null;
    const canvas = h('canvas', { attrs: { width: String(THUMB_PX), height: String(THUMB_PX), 'aria-hidden': 'true' } });
    drawRgba(canvas, rgba);
    const button = h(
      'button',
      {
        className: 'thumb',
        testid: `${ids}.thumb`,
        attrs: {
          type: 'button',
          'aria-pressed': 'false',
          'aria-label': `Scale ${scale.si + 1} of ${scale.scaleCount}, ${scale.pn}×${scale.pn} tokens`,
          'data-scale': String(scale.si),
        },
      },
      [canvas, h('span', { className: 'thumb-label', text: `${scale.pn}×${scale.pn}` })],
    );
    button.addEventListener('click', () => {
      for (const b of list.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b === button));
      options.onView(image, scale.si, rgba, scale.scaleCount);
      viewing.textContent = `Showing scale ${scale.si + 1} of ${scale.scaleCount} (${scale.pn}×${scale.pn}) of image ${image + 1}; the last thumbnail is the final image.`;
    });
    return h('li', {}, [button]);
  }

  function render(): void {
    viewing.textContent = '';
    const items = [...scales.values()]
      .sort((a, b) => a.si - b.si)
      .map(thumb)
      .filter((li): li is HTMLLIElement => li !== null);
    list.replaceChildren(...items);
    box.hidden = items.length === 0;
  }

  function put(scale: Scale): void {
    scales.set(scale.si, scale);
    viewing.textContent = '';
    const li = thumb(scale);
    if (!li) return;
    // Updates arrive in scale order; a replaced scale (the final image) re-renders the strip.
    const last = list.lastElementChild?.querySelector('button')?.dataset.scale;
    if (last !== undefined && Number(last) >= scale.si) render();
    else list.append(li);
    box.hidden = false;
  }

  return {
    start(count) {
      scales.clear();
      image = 0;
      heading.textContent = count > 1 ? 'Scales of image 1' : 'Scales';
      list.replaceChildren();
      box.hidden = true;
    },
    add(u) {
      if (u.previews) put({ si: u.si, scaleCount: u.scaleCount, pn: u.pn, images: u.previews });
    },
    finish(finals, scaleCount, pn) {
      put({ si: scaleCount - 1, scaleCount, pn, images: finals });
    },
    showImage(i) {
      image = i;
      heading.textContent = `Scales of image ${i + 1}`;
      render();
    },
  };
}
