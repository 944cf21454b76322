// Page entry: starts the engine, wires the UI parts to it, and runs generations (latest request wins).

import type { Capabilities } from '../shared/capabilities';
import type { GenerationResult, ModelInfo } from '../shared/engine-api';
import { hasErrorCode } from '../shared/errors';
import { IMAGENET_CLASSES, type ImageNetClass } from '../shared/imagenet-classes';
import { createEngineClient } from './engine-client';
import { formatMs } from './format';
import { drawSeed, type RunSettings, toGenerateParams } from './run-settings';
import { parseSettingsQuery, shareUrl, withoutAutorun } from './share-url';
import { createClassPicker } from './ui/class-picker';
import { createControls } from './ui/controls';
import { renderDevicePanel } from './ui/device-panel';
import { byTestId } from './ui/dom';
import { createGallery } from './ui/gallery';
import { createImageGrid } from './ui/image-grid';
import { createModelPicker } from './ui/model-picker';
import { createRunPanel } from './ui/run-panel';
import { createScaleStrip } from './ui/scale-strip';

async function main(): Promise<void> {
  const url = new URL(location.href);
  const form = byTestId(document, 'controls', HTMLFormElement);
  const stage = byTestId(document, 'stage', HTMLElement);
  const devicePanel = byTestId(document, 'device', HTMLElement);
  const query = parseSettingsQuery(url.searchParams);

  const picker = createClassPicker(form, { initial: query.settings.classId });
  const models = createModelPicker(form);
  const controls = createControls(form, query.settings);
  const gallery = createGallery(byTestId(document, 'results', HTMLElement));
  const grid = createImageGrid(stage, { onSelect: (i) => strip.showImage(i) });
  const strip = createScaleStrip(stage, {
    onView: (i, si, rgba, scaleCount) => grid.draw(i, rgba, si, scaleCount),
  });
  const engine = createEngineClient();
  const panel = createRunPanel(form, stage, {
    onCancel: () => {
      engine.cancel().catch((error: unknown) => panel.fail(error, 'Cancel failed'));
    },
  });
  panel.setGenerateEnabled(false);
  const linkNote = query.notes.length > 0 ? `Link parameters adjusted: ${query.notes.join('; ')}.` : null;
  panel.note(linkNote);

  let currentRun = 0;

  async function generate(): Promise<void> {
    const model = models.selected;
    const cls = IMAGENET_CLASSES[picker.classId];
    if (!model || !cls) return;
    const run = ++currentRun;
    let settings: RunSettings = { ...controls.read(), modelId: model.id, classId: cls.id };
    if (settings.randomSeed) {
      settings = { ...settings, seed: drawSeed() };
      controls.showSeed(settings.seed);
    }
    const seeds = Array.from({ length: settings.count }, (_, i) => settings.seed + i);
    panel.start(`Starting ${settings.count === 1 ? 'one image' : `${settings.count} images`} of ${cls.name}…`);
    grid.start(model.imageSize, cls.name, seeds);
    strip.start(settings.count);
    revealStage();
    try {
      const result = await engine.generate(toGenerateParams(settings, model.id), {
        onProgress: (p) => {
          if (run === currentRun) panel.progress(p);
        },
        onScale: (u) => {
          if (run !== currentRun) return;
          panel.scale(u);
          // A dropped preview (null) keeps the last one on the canvas.
          u.previews?.forEach((rgba, i) => {
            grid.draw(i, rgba, u.si, u.scaleCount);
          });
          strip.add(u);
        },
      });
      if (run !== currentRun) return;
      finish(result, settings, model, cls);
    } catch (error) {
      if (run !== currentRun) return;
      if (hasErrorCode(error, 'E_ABORTED')) panel.cancelled();
      else panel.fail(error);
    }
  }

  function finish(result: GenerationResult, settings: RunSettings, model: ModelInfo, cls: ImageNetClass): void {
    const scaleCount = model.patchNums.length;
    result.images.forEach((image, i) => {
      grid.draw(i, image.rgba, scaleCount - 1, scaleCount);
    });
    strip.finish(
      result.images.map((image) => image.rgba),
      scaleCount,
      model.patchNums[scaleCount - 1] ?? 0,
    );
    // Newest first, and a run's images in seed order.
    for (const image of [...result.images].reverse()) {
      gallery.add({
        rgba: image.rgba,
        classId: image.classId,
        className: IMAGENET_CLASSES[image.classId]?.name ?? cls.name,
        seed: image.seed,
        cfg: settings.cfg,
        topK: settings.topK,
        topP: settings.topP,
        moreSmooth: settings.moreSmooth,
        modelLabel: model.label,
        randomWeights: model.randomWeights,
        backend: result.backend,
        totalMs: result.timings.totalMs,
        shareUrl: shareUrl(location.href, { ...settings, classId: image.classId }, image.seed),
      });
    }
    const n = result.images.length;
    panel.done(
      `Done: ${n === 1 ? 'one image' : `${n} images`} in ${formatMs(result.timings.totalMs)} on ` +
        `${result.backend === 'webgpu' ? 'WebGPU' : 'WASM'} (first preview after ${formatMs(result.timings.firstPreviewMs)}).`,
    );
  }

  /** On a phone the stage sits below the form: bring it into view when a run starts (focus stays put). */
  function revealStage(): void {
    if (stage.getBoundingClientRect().top < window.innerHeight * 0.6) return;
    const reduce = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    stage.scrollIntoView({ behavior: reduce ? 'auto' : 'smooth', block: 'start' });
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void generate();
  });

  void engine.capabilities().then(
    (caps: Capabilities) => {
      renderDevicePanel(devicePanel, caps);
      controls.setCapabilities(caps);
    },
    (error: unknown) => {
      const line = byTestId(devicePanel, 'device.backend', HTMLElement);
      line.dataset.backend = 'none';
      line.textContent = `The engine failed to start: ${error instanceof Error ? error.message : String(error)}`;
    },
  );

  try {
    const list = await engine.listModels();
    const note = models.setModels(list, query.settings.modelId);
    if (note) panel.note(linkNote ? `${note} ${linkNote}` : note);
    panel.setGenerateEnabled(list.length > 0);
  } catch (error) {
    models.setError('The list of models could not be loaded.');
    panel.fail(error, 'Listing the models failed');
    return;
  }

  if (query.autorun && models.selected) {
    history.replaceState(history.state, '', withoutAutorun(location.href));
    await generate();
  }
}

void main();
