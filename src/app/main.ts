// Page entry: starts the engine, wires the UI parts to it, and runs jobs: generations (latest request wins) and
// downloads without generating; keeps the model picker and the Storage panel up to date with the model store.

import type { Capabilities } from '../shared/capabilities';
import type { GenerationResult, LoadProgress, ModelInfo, ScaleUpdate, StoredModelInfo } from '../shared/engine-api';
import { hasErrorCode } from '../shared/errors';
import { IMAGENET_CLASSES, type ImageNetClass } from '../shared/imagenet-classes';
import { createEditMode } from './edit/edit-mode';
import { createEngineClient } from './engine-client';
import { describeError, formatMegabytes, formatMs, formatSpeed } from './format';
import { requestPersistentStorage } from './persist';
import { createAppBanners } from './pwa/app-banners';
import { startServiceWorker } from './pwa/service-worker';
import { drawSeed, type RunSettings, toGenerateParams } from './run-settings';
import { parseSettingsQuery, shareUrl, withoutAutorun } from './share-url';
import { createAddModelForm } from './ui/add-model-form';
import { createClassPicker } from './ui/class-picker';
import { createControls } from './ui/controls';
import { renderDevicePanel } from './ui/device-panel';
import { byTestId } from './ui/dom';
import { createGallery } from './ui/gallery';
import { createImageGrid } from './ui/image-grid';
import { createModelPicker } from './ui/model-picker';
import { createRunPanel } from './ui/run-panel';
import { createScaleStrip } from './ui/scale-strip';
import { createStoragePanel } from './ui/storage-panel';

/**
 * The app is not meant to run inside other sites' pages (its headers say frame-ancestors 'none'; hosts that cannot
 * send headers rely on this): a framed app shows a link out instead. Sites embed embed.html, the widget.
 */
function refuseFraming(): boolean {
  if (window.top === window.self) return false;
  const link = document.createElement('a');
  link.href = location.href;
  link.target = '_blank';
  link.rel = 'noopener';
  link.textContent = 'Open var-web in its own tab';
  const note = document.createElement('p');
  note.append('var-web does not run inside other pages (embed the widget, embed.html, instead). ', link);
  document.body.replaceChildren(note);
  return true;
}

async function main(): Promise<void> {
  if (refuseFraming()) return;
  const url = new URL(location.href);
  const form = byTestId(document, 'controls', HTMLFormElement);
  const stage = byTestId(document, 'stage', HTMLElement);
  const devicePanel = byTestId(document, 'device', HTMLElement);
  const query = parseSettingsQuery(url.searchParams);

  const picker = createClassPicker(form, { initial: query.settings.classId });
  const models = createModelPicker(form, {
    onDownload: (m) => void download(m),
    // An official model to convert: the "Add a model" form runs it and shows its progress.
    onConvert: (o) => {
      if (!addModel.convertOfficial(o)) panel.note(`Wait for the running job to end, then convert ${o.name}.`);
    },
  });
  const controls = createControls(form, query.settings);
  const gallery = createGallery(byTestId(document, 'results', HTMLElement), {
    onEdit: (image) => void editMode.load(image.png, { name: image.title, classId: image.classId }),
  });
  const grid = createImageGrid(stage, { onSelect: (i) => strip.showImage(i) });
  const strip = createScaleStrip(stage, {
    onView: (i, si, rgba, scaleCount) => grid.draw(i, rgba, si, scaleCount),
  });
  const engine = createEngineClient();
  const panel = createRunPanel(form, stage, {
    onCancel: () => {
      // A download alone stops with cancelDownload(); a run (downloading its model or not) with cancel().
      const stop = job?.kind === 'download' ? engine.cancelDownload() : engine.cancel();
      stop.catch((error: unknown) => panel.fail(error, 'Cancel failed'));
    },
  });
  const storage = createStoragePanel(byTestId(document, 'storage', HTMLElement), {
    onDelete: (m) => void remove(m),
  });
  // A model added (converted in the worker, or a hosted pack) is listed and selected at once.
  const addModel = createAddModelForm(byTestId(document, 'add-model', HTMLElement), engine, {
    onAdded: (m) => {
      void engine
        .listModels()
        .then((list) => {
          models.setModels(list, m.id);
          panel.setGenerateEnabled(list.length > 0);
          editMode.modelChanged();
        })
        .then(() => refreshStorage())
        .catch(() => undefined);
    },
  });
  // Edit mode (issue 16): the model and sampling come from the Generate form; an edit is a job like a generation.
  const editMode = createEditMode(byTestId(document, 'edit', HTMLElement), {
    engine,
    model: () => models.selected,
    settings: () => controls.read(),
    showSeed: (seed) => controls.showSeed(seed),
    begin: () => {
      // The engine runs one request (the latest wins): a download alone gives way, a generation is cancelled.
      if (job?.kind === 'download') void engine.cancelDownload().catch(() => {});
      // The run panel shows the job given way (its own callbacks now see a newer run and stop updating it).
      if (job?.kind === 'generate' || job?.kind === 'download') panel.cancelled();
      const run = ++currentRun;
      job = { kind: 'edit', id: run };
      syncBusy();
      return () => {
        if (job?.id !== run) return;
        job = null;
        syncBusy();
        void refresh();
      };
    },
    onResult: (entry) => gallery.add(entry),
  });
  byTestId(form, 'model.select', HTMLSelectElement).addEventListener('change', () => editMode.modelChanged());
  panel.setGenerateEnabled(false);
  const linkNote = query.notes.length > 0 ? `Link parameters adjusted: ${query.notes.join('; ')}.` : null;
  panel.note(linkNote);

  /** The job the run panel shows (one at a time: the latest wins), and a counter telling stale callbacks apart. */
  let job: { kind: 'generate' | 'download' | 'edit'; id: number } | null = null;
  let currentRun = 0;
  let deleting = false;

  /** Resolved when no job runs: an update reload waits for it, never cutting a generation short. */
  let idleWaiters: (() => void)[] = [];
  const idle = (): Promise<void> =>
    job === null ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve));
  byTestId(document, 'app.version', HTMLElement).textContent = __VAR_WEB_VERSION__;
  const banners = createAppBanners(byTestId(document, 'app.status', HTMLElement));
  startServiceWorker({
    onUpdateReady: (apply) => banners.updateReady(apply, idle, () => job !== null),
  });

  function syncBusy(): void {
    if (job === null) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
    models.setDownloadEnabled(job === null && !deleting);
    storage.setBusy(job !== null || deleting);
    addModel.setBusy(job !== null || deleting);
  }

  /** Asks for persistent storage (in the click that starts a download) and shows the answer in the Storage panel. */
  function persistForDownload(): void {
    void requestPersistentStorage().then(() => refreshStorage());
  }

  let refreshes = 0;
  /** Re-reads the model list (download states) and the storage figures; the latest refresh wins. */
  async function refresh(): Promise<void> {
    const n = ++refreshes;
    const [list] = await Promise.all([engine.listModels().catch(() => null), refreshStorage()]);
    if (list && n === refreshes) {
      models.update(list);
      panel.setGenerateEnabled(list.length > 0);
      editMode.modelChanged();
    }
  }

  async function refreshStorage(): Promise<void> {
    try {
      storage.render(await engine.storageUsage());
      syncBusy();
    } catch (error) {
      storage.fail(`The storage figures could not be read: ${describeError(error).message}`);
    }
  }

  let lastStoredFile = '';
  /** Each file that completes during a download shows up in the Storage panel at once (Delete stays disabled). */
  function onFileStored(p: LoadProgress, fromStore: boolean): void {
    if (fromStore || p.phase !== 'download' || p.fileBytes <= 0 || p.fileLoadedBytes < p.fileBytes) return;
    const key = `${currentRun}/${p.file}`;
    if (key === lastStoredFile) return;
    lastStoredFile = key;
    void refreshStorage();
  }

  async function download(model: ModelInfo): Promise<void> {
    if (job !== null || deleting) return;
    persistForDownload();
    const run = ++currentRun;
    job = { kind: 'download', id: run };
    syncBusy();
    const resumed = model.download.state === 'partial';
    panel.start(`${resumed ? 'Resuming the download of' : 'Downloading'} ${model.label}…`, { job: 'download' });
    const t0 = performance.now();
    try {
      const info = await engine.downloadModel(model.id, {
        onProgress: (p) => {
          if (run !== currentRun) return;
          panel.progress(p);
          onFileStored(p, false);
        },
      });
      if (run !== currentRun) return;
      const seconds = (performance.now() - t0) / 1000;
      const fetched = info.bytes - (resumed ? model.download.storedBytes : 0);
      const speed = seconds > 0 && fetched > 0 ? ` (${formatSpeed(fetched / seconds)})` : '';
      panel.done(
        `${info.label} is downloaded: ${formatMegabytes(info.bytes)} in ${formatMs(seconds * 1000)}${speed}, kept in this browser.`,
      );
    } catch (error) {
      if (run !== currentRun) return;
      if (hasErrorCode(error, 'E_ABORTED')) panel.cancelled();
      else panel.fail(error, 'Download failed');
    } finally {
      if (job?.id === run) job = null;
      syncBusy();
      await refresh();
    }
  }

  async function remove(m: StoredModelInfo): Promise<void> {
    if (job !== null || deleting) return;
    deleting = true;
    syncBusy();
    storage.message(`Deleting ${m.label}…`);
    try {
      storage.render(await engine.deleteModel(m.id));
      storage.message(`Deleted ${m.label}: ${formatMegabytes(m.download.storedBytes)} freed.`);
    } catch (error) {
      storage.message(`Deleting ${m.label} failed: ${describeError(error).message}`, true);
    } finally {
      deleting = false;
      syncBusy();
      await refresh();
    }
  }

  async function generate(): Promise<void> {
    const model = models.selected;
    const cls = IMAGENET_CLASSES[picker.classId];
    const official = models.selectedOfficial;
    if (!model && official) {
      panel.note(`${official.name} is not in this browser yet: press Download and convert first.`);
      return;
    }
    if (!model || !cls) return;
    const stored = model.download.state === 'downloaded';
    if (!stored) persistForDownload();
    // The latest request wins: a download alone gives way (a run of the same model resumes it).
    if (job?.kind === 'download') void engine.cancelDownload().catch(() => {});
    const run = ++currentRun;
    job = { kind: 'generate', id: run };
    syncBusy();
    let settings: RunSettings = { ...controls.read(), modelId: model.id, classId: cls.id };
    if (settings.randomSeed) {
      settings = { ...settings, seed: drawSeed() };
      controls.showSeed(settings.seed);
    }
    const seeds = Array.from({ length: settings.count }, (_, i) => settings.seed + i);
    panel.start(`Starting ${settings.count === 1 ? 'one image' : `${settings.count} images`} of ${cls.name}…`, {
      job: 'generate',
      source: stored ? 'store' : 'network',
    });
    grid.start(model.imageSize, cls.name, seeds);
    strip.start(settings.count);
    revealStage();
    try {
      const result = await engine.generate(toGenerateParams(settings, model.id), {
        onProgress: (p) => {
          if (run !== currentRun) return;
          panel.progress(p);
          onFileStored(p, stored);
        },
        onScale: (u) => {
          if (run !== currentRun) return;
          panel.scale(u);
          // A hidden page draws nothing (the run goes on); it catches up when it is shown again.
          if (document.hidden) hiddenUpdates.push(u);
          else showScale(u);
        },
      });
      if (run !== currentRun) return;
      finish(result, settings, model, cls);
    } catch (error) {
      if (run !== currentRun) return;
      if (hasErrorCode(error, 'E_ABORTED')) panel.cancelled();
      else panel.fail(error);
    } finally {
      if (job?.id === run) {
        job = null;
        syncBusy();
        // A run may have downloaded (or resumed) its model: the picker and the Storage panel say so now.
        void refresh();
      }
    }
  }

  /** Scale updates that arrived while the page was hidden, drawn when it is shown again. */
  const hiddenUpdates: ScaleUpdate[] = [];
  function showScale(u: ScaleUpdate): void {
    // A dropped preview (null) keeps the last one on the canvas.
    u.previews?.forEach((rgba, i) => {
      grid.draw(i, rgba, u.si, u.scaleCount);
    });
    strip.add(u);
  }
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) return;
    // Only the newest previews are worth drawing; the strip records every scale.
    let newest: ScaleUpdate | undefined;
    for (const u of hiddenUpdates.splice(0)) {
      strip.add(u);
      if (u.previews) newest = u;
    }
    newest?.previews?.forEach((rgba, i) => {
      grid.draw(i, rgba, newest.si, newest.scaleCount);
    });
  });

  function finish(result: GenerationResult, settings: RunSettings, model: ModelInfo, cls: ImageNetClass): void {
    // The strip keeps every scale; the final images replace previews that were never drawn.
    for (const u of hiddenUpdates.splice(0)) strip.add(u);
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

  void refreshStorage();
  try {
    const list = await engine.listModels();
    const note = models.setModels(list, query.settings.modelId);
    if (note) panel.note(linkNote ? `${note} ${linkNote}` : note);
    panel.setGenerateEnabled(list.length > 0);
    editMode.modelChanged();
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
