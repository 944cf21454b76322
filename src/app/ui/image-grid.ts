// The live canvases: one per image of the run, redrawn at every scale; with several images, choosing one shows
// its scales in the strip.

import type { Rgba } from '../../shared/engine-api';
import { byTestId, h } from './dom';
import { drawRgba } from './draw';

export interface ImageGrid {
  /** Replaces the grid with `count` blank canvases of `size` px; image i is `className` with seed `seeds[i]`. */
  start(size: number, className: string, seeds: readonly number[]): void;
  /** Draws `rgba` as image i at scale `si` (of `scaleCount`) and records the scale in `data-scale`. */
  draw(i: number, rgba: Rgba, si: number, scaleCount: number): void;
  readonly selected: number;
}

export function createImageGrid(root: HTMLElement, options: { onSelect: (i: number) => void }): ImageGrid {
  const grid = byTestId(root, 'canvas.grid', HTMLElement);
  let canvases: HTMLCanvasElement[] = [];
  let buttons: HTMLButtonElement[] = [];
  let nameOf = (i: number) => `Image ${i + 1}`;
  let selected = 0;

  function select(i: number): void {
    selected = i;
    buttons.forEach((b, j) => {
      b.setAttribute('aria-pressed', String(j === i));
    });
    options.onSelect(i);
  }

  return {
    get selected() {
      return selected;
    },
    start(size, className, seeds) {
      const count = seeds.length;
      nameOf = (i) => `${className}, seed ${seeds[i]}`;
      selected = 0;
      canvases = [];
      buttons = [];
      grid.dataset.count = String(count);
      grid.replaceChildren(
        ...Array.from({ length: count }, (_, i) => {
          const canvas = h('canvas', {
            testid: 'canvas.image',
            className: 'image-canvas',
            text: nameOf(i),
            attrs: { width: String(size), height: String(size), role: 'img', 'aria-label': nameOf(i) },
          });
          canvas.dataset.index = String(i);
          canvas.dataset.scale = '-1';
          canvases.push(canvas);
          if (count === 1) return h('figure', { className: 'image-cell' }, [canvas]);
          const button = h('button', {
            className: 'image-select',
            testid: 'canvas.select',
            attrs: {
              type: 'button',
              'aria-pressed': String(i === 0),
              'aria-label': `Show the scales of ${nameOf(i)}`,
            },
          });
          button.append(canvas);
          button.addEventListener('click', () => select(i));
          buttons.push(button);
          return h('figure', { className: 'image-cell' }, [button, h('figcaption', { text: `seed ${seeds[i]}` })]);
        }),
      );
    },
    draw(i, rgba, si, scaleCount) {
      const canvas = canvases[i];
      if (!canvas) return;
      drawRgba(canvas, rgba);
      canvas.dataset.scale = String(si);
      canvas.setAttribute('aria-label', `${nameOf(i)}, scale ${si + 1} of ${scaleCount}`);
    },
  };
}
