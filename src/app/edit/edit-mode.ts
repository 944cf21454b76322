// Edit mode (issue 16): an image (file, drop, or a gallery image's "Edit this"), a painted mask, a class or none →
// the engine's edit(), whose result refines scale by scale in the panel; a finished edit joins the gallery.

import type { GenerationResult, LoadProgress, ModelInfo, Rgba, VarEngine } from '../../shared/engine-api';
import { hasErrorCode } from '../../shared/errors';
import { IMAGENET_CLASSES, type ImageNetClass } from '../../shared/imagenet-classes';
import { describeError, formatMs, progressFraction, progressLabel, scaleLabel, slug } from '../format';
import { drawSeed } from '../run-settings';
import type { ControlSettings } from '../ui/controls';
import { h } from '../ui/dom';
import { drawRgba, rgbaToPngBlob, toImageData } from '../ui/draw';
import type { GalleryEntry } from '../ui/gallery';
import { createScaleStrip } from '../ui/scale-strip';
import { buildEditPanel, NO_CLASS } from './edit-panel';
import { actionLine, editView, maskLine, modelCrop } from './edit-state';
import { blobToRgba } from './load-image';
import type { MaskTool } from './mask-canvas';
import type { MaskPainter } from './mask-painter';
import { type Box, keepLayer, maskAtModelView, scaleBox } from './preview-composite';

export interface EditModeDeps {
  readonly engine: Pick<VarEngine, 'edit' | 'cancel'>;
  /** The model selected under Generate (null while the list loads). */
  model(): ModelInfo | null;
  /** Seed and sampling as set under Generate. */
  settings(): ControlSettings;
  /** Shows a seed drawn for this edit (when "New seed every run" is on). */
  showSeed(seed: number): void;
  /** Claims the engine for an edit (the page's one job at a time); returns the function that releases it. */
  begin(): () => void;
  /** A finished edit, for the session's gallery. */
  onResult(entry: GalleryEntry): void;
}

export interface EditMode {
  /** Opens `png` for editing (a gallery image: `classId` preselects its class, −1 none) and shows the panel. */
  load(blob: Blob, from: { readonly name: string; readonly classId?: number }): Promise<void>;
  /** The model selection changed (or its list was refreshed). */
  modelChanged(): void;
}

type State = 'idle' | 'loading' | 'running' | 'done' | 'cancelled' | 'error';

export function createEditMode(section: HTMLElement, deps: EditModeDeps): EditMode {
  const ui = buildEditPanel(section, { onMaskChange: () => render() });
  const strip = createScaleStrip(section, {
    testIds: 'edit.strip',
    onView: (_i, si, rgba, scaleCount) => showResult(rgba, si, scaleCount),
  });

  let image: Rgba | null = null;
  let imageName = '';
  let running = false;
  /** Counts edits: callbacks of an edit that a newer one replaced are ignored. */
  let runs = 0;
  let cancelRequested = false;
  let downloadUrl: string | null = null;
  /** The last edit's image outside its mask, drawn over that edit's previews (so the region refines, the rest stays). */
  let keep: HTMLCanvasElement | null = null;

  const chosenClass = (): ImageNetClass | null =>
    ui.classSelect.value === NO_CLASS ? null : (IMAGENET_CLASSES[Number(ui.classSelect.value)] ?? null);

  /** Applies editView() and the lines that follow the mask and the class. */
  function render(): void {
    const view = editView({ model: deps.model(), hasImage: image !== null, running });
    ui.message.textContent = view.message ?? '';
    ui.message.hidden = view.message === null;
    ui.file.disabled = !view.inputsEnabled;
    ui.classSelect.disabled = !view.inputsEnabled;
    for (const control of [...ui.toolRadios, ui.brushSize, ui.invert, ui.clear, ui.centreBox]) {
      control.disabled = !view.toolsEnabled;
    }
    const painter = ui.canvas.painter;
    ui.undo.disabled = !view.toolsEnabled || !painter?.canUndo;
    ui.canvas.enabled = view.toolsEnabled;
    ui.drop.dataset.disabled = String(!view.inputsEnabled);
    ui.generate.disabled = !view.generateEnabled;
    ui.cancel.disabled = !view.cancelEnabled;
    ui.maskLine.textContent = painter && image ? maskLine(painter.coverage()) : '';
    ui.action.textContent = actionLine(chosenClass());
  }

  function setStatus(state: State, text: string): void {
    ui.status.dataset.state = state;
    ui.status.textContent = text;
    if (state !== 'loading') ui.progress.hidden = true;
    section.setAttribute('aria-busy', String(state === 'loading' || state === 'running'));
  }

  function showError(error: unknown, context: string): void {
    const { code, message } = describeError(error);
    ui.error.dataset.code = code ?? '';
    ui.error.replaceChildren(
      `${context}: `,
      message,
      ...(code ? [' ', h('code', { className: 'error-code', text: code })] : []),
    );
    ui.error.hidden = false;
  }

  function showResult(rgba: Rgba, si: number, scaleCount: number): void {
    drawRgba(ui.result, rgba);
    // Previews only: the final image is the model's decode of every token, shown as it is.
    if (keep && si < scaleCount - 1)
      ui.result.getContext('2d')?.drawImage(keep, 0, 0, ui.result.width, ui.result.height);
    ui.result.dataset.scale = String(si);
    ui.result.setAttribute('aria-label', `The edited image, scale ${si + 1} of ${scaleCount}`);
  }

  async function load(blob: Blob, from: { readonly name: string; readonly classId?: number }): Promise<void> {
    ui.error.hidden = true;
    try {
      const rgba = await blobToRgba(blob, from.name);
      const model = deps.model();
      image = rgba;
      imageName = from.name;
      ui.canvas.setImage(rgba, model?.imageSize ?? 256);
      ui.canvas.element.hidden = false;
      ui.placeholder.hidden = true;
      const seen =
        rgba.width === rgba.height && rgba.width === (model?.imageSize ?? 256)
          ? 'the model sees all of it'
          : 'the model sees the outlined square (resized and centre-cropped as VAR’s evaluation does)';
      ui.source.textContent = `${from.name} · ${rgba.width}×${rgba.height} px: ${seen}.`;
      if (from.classId !== undefined) {
        ui.classSelect.value = from.classId >= 0 && IMAGENET_CLASSES[from.classId] ? String(from.classId) : NO_CLASS;
      }
    } catch (error) {
      showError(error, 'This image cannot be edited');
    }
    render();
  }

  async function run(): Promise<void> {
    const model = deps.model();
    const painter = ui.canvas.painter;
    if (!model || !image || !painter || !model.canEdit) return;
    const s = deps.settings();
    const seed = s.randomSeed ? drawSeed() : s.seed;
    if (s.randomSeed) deps.showSeed(seed);
    const cls = chosenClass();
    const stored = model.download.state === 'downloaded';
    // What this edit works on, fixed now: an image loaded while it runs ("Edit this" again) is for the next one.
    const source = { image, name: imageName, mask: painter.toRgba(image.width, image.height) };
    const editKeep = keepCanvas(image, painter, model.imageSize);
    const id = ++runs;
    // Claimed last before the try, so whatever follows always releases the page's job.
    const release = deps.begin();
    try {
      running = true;
      cancelRequested = false;
      ui.error.hidden = true;
      ui.scale.textContent = '';
      ui.timing.textContent = '';
      ui.result.width = model.imageSize;
      ui.result.height = model.imageSize;
      ui.result.dataset.scale = '-1';
      keep = editKeep;
      strip.start(1);
      setStatus('loading', cls ? `Starting: regenerating the region as ${cls.name}…` : 'Starting the edit…');
      render();
      const result = await deps.engine.edit(
        {
          modelId: model.id,
          image: source.image,
          mask: source.mask,
          classId: cls?.id ?? null,
          seed,
          cfg: s.cfg,
          topK: s.topK,
          topP: s.topP,
          moreSmooth: s.moreSmooth,
          backend: s.backend,
        },
        {
          onProgress: (p) => {
            if (id === runs) progress(p, stored);
          },
          onScale: (u) => {
            if (id !== runs) return;
            const last = u.si === u.scaleCount - 1;
            setStatus('running', last ? 'Decoding the edited image…' : 'Generating the masked region…');
            ui.scale.textContent = scaleLabel(u.si, u.scaleCount, u.pn);
            ui.timing.textContent = `${formatMs(u.scaleMs)} this scale · ${formatMs(u.elapsedMs)} elapsed`;
            const preview = u.previews?.[0];
            if (preview) showResult(preview, u.si, u.scaleCount);
            strip.add(u);
          },
        },
      );
      if (id !== runs) return;
      finish(result, model, cls, seed, s, source.name);
    } catch (error) {
      if (id !== runs) return;
      if (hasErrorCode(error, 'E_ABORTED')) {
        setStatus('cancelled', cancelRequested ? 'Cancelled.' : 'Stopped: a newer run took over the engine.');
      } else {
        setStatus('error', 'The edit failed (see below); change the mask or the settings and try again.');
        showError(error, 'Edit failed');
      }
    } finally {
      release();
      if (id === runs) {
        running = false;
        render();
      }
    }
  }

  /** The keep layer of an edit: the image as the model sees it, transparent where the mask generates. */
  function keepCanvas(img: Rgba, painter: MaskPainter, size: number): HTMLCanvasElement {
    const crop = modelCrop(img.width, img.height, size);
    const view = maskAtModelView(
      painter.data,
      painter.width,
      painter.height,
      scaleBox(crop, img.width, painter.width),
      size,
    );
    const canvas = document.createElement('canvas');
    canvas.width = size;
    canvas.height = size;
    canvas.getContext('2d')?.putImageData(new ImageData(keepLayer(modelView(img, crop, size), view), size, size), 0, 0);
    return canvas;
  }

  function progress(p: LoadProgress, stored: boolean): void {
    const source = stored ? 'store' : 'network';
    setStatus('loading', progressLabel(p, { source }));
    const fraction = progressFraction(p);
    if (fraction === null) ui.progress.removeAttribute('value');
    else ui.progress.value = fraction;
    ui.progress.hidden = false;
  }

  function finish(
    result: GenerationResult,
    model: ModelInfo,
    cls: ImageNetClass | null,
    seed: number,
    s: ControlSettings,
    imageName: string,
  ): void {
    const edited = result.images[0];
    if (!edited) return;
    const scaleCount = model.patchNums.length;
    showResult(edited.rgba, scaleCount - 1, scaleCount);
    strip.finish([edited.rgba], scaleCount, model.patchNums[scaleCount - 1] ?? 0);
    const t = result.timings;
    setStatus(
      'done',
      `Done in ${formatMs(t.totalMs)} on ${result.backend === 'webgpu' ? 'WebGPU' : 'WASM'}` +
        `${t.encodeMs !== undefined ? ` (encoding the image: ${formatMs(t.encodeMs)})` : ''}.`,
    );
    const fileName = `var-edit-${cls ? `${cls.id}-${slug(cls.name)}` : 'no-class'}-seed${seed}.png`;
    ui.download.download = fileName;
    ui.download.setAttribute('aria-disabled', 'true');
    void rgbaToPngBlob(edited.rgba).then(
      (blob) => {
        if (downloadUrl) URL.revokeObjectURL(downloadUrl);
        downloadUrl = URL.createObjectURL(blob);
        ui.download.href = downloadUrl;
        ui.download.removeAttribute('aria-disabled');
      },
      (error: unknown) => showError(error, 'The PNG could not be made'),
    );
    deps.onResult({
      rgba: edited.rgba,
      classId: cls?.id ?? -1,
      className: cls?.name ?? 'no class',
      title: `Edit of ${imageName} · ${cls ? `${cls.name} · class ${cls.id}` : 'no class'}`,
      fileName,
      seed,
      cfg: s.cfg,
      topK: s.topK,
      topP: s.topP,
      moreSmooth: s.moreSmooth,
      modelLabel: model.label,
      randomWeights: model.randomWeights,
      backend: result.backend,
      totalMs: t.totalMs,
      shareUrl: null,
    });
  }

  // Inputs: the file input, a drop anywhere on the panel.
  ui.file.addEventListener('change', () => {
    const f = ui.file.files?.[0];
    if (f) void load(f, { name: f.name });
  });
  section.addEventListener('dragover', (e) => {
    if (!e.dataTransfer?.types.includes('Files') || ui.file.disabled) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    section.dataset.drop = 'over';
  });
  section.addEventListener('dragleave', (e) => {
    if (!section.contains(e.relatedTarget as Node | null)) delete section.dataset.drop;
  });
  section.addEventListener('drop', (e) => {
    delete section.dataset.drop;
    const f = e.dataTransfer?.files[0];
    if (!f || ui.file.disabled) return;
    e.preventDefault();
    void load(f, { name: f.name });
  });

  // Tools.
  for (const radio of ui.toolRadios) {
    radio.addEventListener('change', () => {
      if (radio.checked) ui.canvas.tool = radio.value as MaskTool;
    });
  }
  ui.brushSize.addEventListener('input', () => {
    ui.canvas.brushSize = ui.brushSize.valueAsNumber;
    ui.brushOutput.textContent = `${ui.brushSize.value} px`;
  });
  const maskAction = (act: () => void) => () => {
    if (!ui.canvas.painter) return;
    act();
    ui.canvas.redraw();
    render();
  };
  ui.undo.addEventListener(
    'click',
    maskAction(() => ui.canvas.painter?.undo()),
  );
  ui.invert.addEventListener(
    'click',
    maskAction(() => ui.canvas.painter?.invert()),
  );
  ui.clear.addEventListener(
    'click',
    maskAction(() => ui.canvas.painter?.clear()),
  );
  // A keyboard way to a mask: the middle half of the image.
  ui.centreBox.addEventListener(
    'click',
    maskAction(() => {
      const p = ui.canvas.painter;
      p?.rect(p.width / 4, p.height / 4, (3 * p.width) / 4, (3 * p.height) / 4, 1);
    }),
  );
  ui.classSelect.addEventListener('change', render);
  ui.generate.addEventListener('click', () => void run());
  ui.cancel.addEventListener('click', () => {
    cancelRequested = true;
    ui.cancel.disabled = true;
    ui.status.textContent = 'Cancelling…';
    deps.engine.cancel().catch((error: unknown) => showError(error, 'Cancel failed'));
  });

  render();
  return {
    async load(blob, from) {
      await load(blob, from);
      // Brought here from the gallery: show the panel and move focus to it.
      const reduce = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
      section.scrollIntoView({ behavior: reduce ? 'auto' : 'smooth', block: 'start' });
      ui.heading.focus({ preventScroll: true });
    },
    modelChanged: render,
  };
}

/** The square of `image` the model sees (`crop`, null: all of it) at size × size, scaled by the browser (display only). */
function modelView(image: Rgba, crop: Box | null, size: number): Uint8ClampedArray {
  const full = document.createElement('canvas');
  full.width = image.width;
  full.height = image.height;
  full.getContext('2d')?.putImageData(toImageData(image), 0, 0);
  const out = document.createElement('canvas');
  out.width = size;
  out.height = size;
  const ctx = out.getContext('2d', { willReadFrequently: true });
  if (!ctx) return new Uint8ClampedArray(size * size * 4);
  ctx.imageSmoothingQuality = 'high';
  const c = crop ?? { left: 0, top: 0, width: image.width, height: image.height };
  ctx.drawImage(full, c.left, c.top, c.width, c.height, 0, 0, size, size);
  return ctx.getImageData(0, 0, size, size).data;
}
