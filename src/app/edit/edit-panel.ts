// The Edit panel's markup and what it shows (no engine here; edit-mode.ts drives it): the image input and drop area,
// the mask canvas and its tools, the class, Generate edit / Cancel, the status, and the result refining scale by
// scale with its strip, PNG download and the note that share links cannot carry the image.

import { IMAGENET_CLASSES } from '../../shared/imagenet-classes';
import { NO_IMAGE_LINK } from '../share-url';
import { h } from '../ui/dom';
import { createMaskCanvas, type MaskCanvas, type MaskTool } from './mask-canvas';

/** The elements edit-mode.ts wires; everything else is static text. */
export interface EditPanelParts {
  readonly section: HTMLElement;
  readonly heading: HTMLElement;
  readonly message: HTMLElement;
  readonly file: HTMLInputElement;
  readonly drop: HTMLElement;
  readonly placeholder: HTMLElement;
  readonly source: HTMLElement;
  readonly canvas: MaskCanvas;
  readonly tools: HTMLFieldSetElement;
  readonly toolRadios: readonly HTMLInputElement[];
  readonly brushSize: HTMLInputElement;
  readonly brushOutput: HTMLOutputElement;
  readonly undo: HTMLButtonElement;
  readonly invert: HTMLButtonElement;
  readonly clear: HTMLButtonElement;
  readonly centreBox: HTMLButtonElement;
  readonly maskLine: HTMLElement;
  readonly classSelect: HTMLSelectElement;
  readonly action: HTMLElement;
  readonly generate: HTMLButtonElement;
  readonly cancel: HTMLButtonElement;
  readonly status: HTMLElement;
  readonly progress: HTMLProgressElement;
  readonly error: HTMLElement;
  readonly result: HTMLCanvasElement;
  readonly scale: HTMLElement;
  readonly timing: HTMLElement;
  readonly download: HTMLAnchorElement;
}

/** The class select's value for "no class". */
export const NO_CLASS = 'none';

const TOOLS: readonly { readonly tool: MaskTool; readonly label: string }[] = [
  { tool: 'brush', label: 'Brush' },
  { tool: 'erase', label: 'Eraser' },
  { tool: 'rect', label: 'Rectangle' },
];

/** Builds the panel into `section` (the page holds an empty section for it). */
export function buildEditPanel(section: HTMLElement, options: { onMaskChange: () => void }): EditPanelParts {
  const heading = h('h2', { text: 'Edit an image', attrs: { id: 'edit-heading', tabindex: '-1' } });
  const message = h('p', { className: 'edit-message', testid: 'edit.message', attrs: { role: 'status' } });

  const file = h('input', {
    testid: 'edit.file',
    attrs: { id: 'edit-file', type: 'file', accept: 'image/*' },
  });
  const placeholder = h('div', { className: 'placeholder edit-placeholder' }, [
    h('span', { text: 'Drop an image here, choose one above, or press “Edit this” under an image you made.' }),
  ]);
  const canvas = createMaskCanvas({ onChange: options.onMaskChange });
  canvas.element.hidden = true;
  const drop = h('div', { className: 'edit-drop', testid: 'edit.drop' }, [placeholder, canvas.element]);
  const source = h('p', { className: 'hint', testid: 'edit.source' });

  const toolRadios = TOOLS.map(({ tool }) =>
    h('input', {
      testid: `edit.tool-${tool}`,
      attrs: { type: 'radio', name: 'edit-tool', value: tool, ...(tool === 'brush' ? { checked: '' } : {}) },
    }),
  );
  const brushSize = h('input', {
    testid: 'edit.brush-size',
    attrs: { id: 'edit-brush', type: 'range', min: '4', max: '128', step: '2', value: '32' },
  });
  const brushOutput = h('output', { attrs: { for: 'edit-brush' }, text: '32 px' });
  const button = (testid: string, text: string) => h('button', { testid, text, attrs: { type: 'button' } });
  const undo = button('edit.undo', 'Undo');
  const invert = button('edit.invert', 'Invert');
  const clear = button('edit.clear', 'Clear');
  const centreBox = button('edit.centre', 'Centre box');
  const tools = h('fieldset', { className: 'edit-tools', testid: 'edit.tools' }, [
    h('legend', { text: 'Mask' }),
    h('div', { className: 'edit-tool-row', attrs: { role: 'radiogroup', 'aria-label': 'Tool' } }, [
      ...TOOLS.map(({ label }, i) => h('label', { className: 'check' }, [toolRadios[i] as HTMLInputElement, label])),
    ]),
    h('div', { className: 'edit-brush' }, [
      h('label', { text: 'Brush size', attrs: { for: 'edit-brush' } }),
      brushSize,
      brushOutput,
    ]),
    h('div', { className: 'edit-buttons' }, [undo, invert, clear, centreBox]),
  ]);
  const maskLine = h('p', { className: 'hint', testid: 'edit.mask-line', attrs: { 'aria-live': 'polite' } });

  const classSelect = h('select', { testid: 'edit.class', attrs: { id: 'edit-class' } }, [
    h('option', { text: 'No class (out-painting/in-painting by context)', attrs: { value: NO_CLASS } }),
    ...IMAGENET_CLASSES.map((c) => h('option', { text: `${c.name} (${c.id})`, attrs: { value: String(c.id) } })),
  ]);
  const action = h('p', { className: 'hint', testid: 'edit.action', attrs: { 'aria-live': 'polite' } });
  const generate = h('button', {
    className: 'primary',
    testid: 'edit.generate',
    text: 'Generate edit',
    attrs: { type: 'button' },
  });
  const cancel = button('edit.cancel', 'Cancel edit');
  const status = h('p', { className: 'status', testid: 'edit.status', attrs: { 'data-state': 'idle' } });
  const progress = h('progress', { testid: 'edit.progress', attrs: { max: '1', 'aria-label': 'Loading the model' } });
  progress.hidden = true;
  const error = h('p', { className: 'error', testid: 'edit.error', attrs: { role: 'alert' } });
  error.hidden = true;
  const result = h('canvas', {
    className: 'image-canvas',
    testid: 'edit.result',
    attrs: {
      width: '256',
      height: '256',
      role: 'img',
      'aria-label': 'The edited image (none yet)',
      'data-scale': '-1',
    },
  });
  const scale = h('span', { testid: 'edit.scale' });
  const timing = h('span', { className: 'hint', testid: 'edit.timing' });
  const download = h('a', {
    className: 'button-link',
    testid: 'edit.download',
    text: 'Download PNG',
    attrs: { 'aria-disabled': 'true' },
  });

  const field = (id: string, label: string, input: HTMLElement) =>
    h('div', { className: 'field' }, [h('label', { text: label, attrs: { for: id } }), input]);

  section.replaceChildren(
    heading,
    h('p', {
      className: 'hint',
      text:
        'Paint the region to change (the mask); the model regenerates it scale by scale and keeps the rest of the ' +
        'image, its own tokens. Model, seed and sampling are the ones set under Generate.',
    }),
    message,
    h('div', { className: 'edit-grid' }, [
      h('div', { className: 'edit-source' }, [
        field('edit-file', 'Image to edit', file),
        drop,
        source,
        tools,
        maskLine,
      ]),
      h('div', { className: 'edit-output' }, [
        field('edit-class', 'Class', classSelect),
        action,
        h('div', { className: 'actions' }, [generate, cancel]),
        status,
        progress,
        error,
        result,
        h('p', { className: 'scale-line' }, [scale, timing]),
        h('div', { className: 'strip-box', testid: 'edit.strip.box', attrs: { hidden: '' } }, [
          h('h3', { testid: 'edit.strip.heading', text: 'Scales', attrs: { id: 'edit-strip-heading' } }),
          h('ol', { className: 'strip', testid: 'edit.strip', attrs: { 'aria-labelledby': 'edit-strip-heading' } }),
          h('p', { className: 'hint', testid: 'edit.strip.viewing', attrs: { 'aria-live': 'polite' } }),
        ]),
        h('div', { className: 'edit-result-actions' }, [
          download,
          h('span', { className: 'hint', testid: 'edit.share', text: NO_IMAGE_LINK }),
        ]),
      ]),
    ]),
  );
  section.setAttribute('aria-labelledby', 'edit-heading');

  return {
    section,
    heading,
    message,
    file,
    drop,
    placeholder,
    source,
    canvas,
    tools,
    toolRadios,
    brushSize,
    brushOutput,
    undo,
    invert,
    clear,
    centreBox,
    maskLine,
    classSelect,
    action,
    generate,
    cancel,
    status,
    progress,
    error,
    result,
    scale,
    timing,
    download,
  };
}
