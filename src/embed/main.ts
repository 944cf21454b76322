// The embed widget (embed.html): the app's engine client and UI parts in a frame any site may embed, driven by its
// own controls or by the host page through the message protocol (protocol.ts). Query parameters are the share-link
// ones (parsed by the same code) plus controls=0, theme=light|dark|auto and origins=<comma-separated origins>.

import { formatMegabytes, formatMs, scaleLabel } from '../app/format';
import { toGenerateParams } from '../app/run-settings';
import { parseSettingsQuery } from '../app/share-url';
import { createClassPicker } from '../app/ui/class-picker';
import { byTestId } from '../app/ui/dom';
import { createImageGrid } from '../app/ui/image-grid';
import { defaultModel } from '../app/ui/model-picker';
import type { GenerateParams, ModelInfo, Rgba } from '../shared/engine-api';
import { type ErrorCode, hasErrorCode } from '../shared/errors';
import { IMAGENET_CLASSES } from '../shared/imagenet-classes';
import { connectWidgetEngine } from './engine-worker';
import {
  checkGenerateParams,
  originAllowed,
  PROTOCOL_VERSION,
  parseOrigins,
  readParentMessage,
  type WidgetMessage,
} from './protocol';
import { setupStorageOffer } from './storage-offer';

const query = new URLSearchParams(location.search);
const { settings, autorun } = parseSettingsQuery(query);
const allowed = parseOrigins(query.get('origins'));
const theme = query.get('theme');
if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;

const root = byTestId(document, 'widget', HTMLElement);
const form = byTestId(root, 'controls', HTMLFormElement);
const status = byTestId(root, 'widget.status', HTMLElement);
const device = byTestId(root, 'widget.device', HTMLElement);
const storage = byTestId(root, 'widget.storage', HTMLElement);
const generateButton = byTestId(root, 'widget.generate', HTMLButtonElement);
form.hidden = query.get('controls') === '0';

const { engine, importer } = connectWidgetEngine();
const picker = createClassPicker(form, { initial: settings.classId });
const grid = createImageGrid(byTestId(root, 'stage', HTMLElement), { onSelect: () => undefined });

/** The parent window, when framed (a top-level widget page has no host to talk to). */
const host = window.parent !== window ? window.parent : null;

/** Where replies go: the origin of the request; `ready` goes to the allowed origins, or the embedding page's. */
function post(message: WidgetMessage, targetOrigin: string, transfer: Transferable[] = []): void {
  host?.postMessage(message, { targetOrigin, transfer });
}

function readyTargets(): string[] {
  if (allowed) return [...allowed];
  const ancestors = (location as Location & { ancestorOrigins?: DOMStringList }).ancestorOrigins;
  const embedding = ancestors?.[0] ?? (document.referrer ? new URL(document.referrer).origin : null);
  return embedding ? [embedding] : [];
}

let models: ModelInfo[] = [];

const storageOffer = setupStorageOffer({
  button: byTestId(root, 'widget.storage-access', HTMLButtonElement),
  line: storage,
  engine: importer,
  models: () => models,
  refresh: async () => {
    models = await engine.listModels();
    showStorage(modelFor(settings.modelId ?? undefined), false);
  },
});

async function start(): Promise<void> {
  const [caps, list] = await Promise.all([engine.capabilities(), engine.listModels()]);
  models = list;
  const threads = self.crossOriginIsolated
    ? 'threaded WASM'
    : 'WASM on one thread (this page is not cross-origin isolated)';
  device.textContent = caps.backend === 'webgpu' ? `WebGPU · ${threads} as fallback` : `${threads}`;
  device.dataset.isolated = String(self.crossOriginIsolated);
  showStorage(modelFor(settings.modelId ?? undefined));
  generateButton.disabled = models.length === 0;
  status.textContent = models.length > 0 ? 'Pick a class and generate.' : 'No models are available.';
  const ready: WidgetMessage = {
    type: 'var-web:ready',
    version: PROTOCOL_VERSION,
    models: models.map((m) => ({
      id: m.id,
      label: m.label,
      bytes: m.bytes,
      cached: m.download.state === 'downloaded',
    })),
  };
  for (const origin of readyTargets()) post(ready, origin);
  if (autorun) void run(toGenerateParams(settings, modelFor(settings.modelId ?? undefined)?.id ?? ''), null);
}

function modelFor(id: string | undefined): ModelInfo | undefined {
  return models.find((m) => m.id === id) ?? defaultModel(models);
}

/**
 * Browsers keep an embedded page's storage per host site: say what a download costs here before it happens (and
 * offer var-web's own copy where the browser can share it). `say`: false keeps the line's message (an import's).
 */
function showStorage(model: ModelInfo | undefined, say = true): void {
  storageOffer.update(model);
  if (!model || !say) return;
  storage.textContent =
    model.download.state === 'downloaded'
      ? `${model.label} is stored for this site.`
      : `${model.label}: ${formatMegabytes(model.bytes)} to download once per site (browsers keep each site's storage apart).`;
}

/** A model that just generated is complete in the store (the engine loads only verified files). */
function markStored(model: ModelInfo): ModelInfo {
  const stored = {
    ...model,
    download: { state: 'downloaded' as const, storedBytes: model.bytes, totalBytes: model.bytes },
  };
  models = models.map((m) => (m.id === model.id ? stored : m));
  return stored;
}

interface Caller {
  readonly id: string;
  readonly origin: string;
}

/** The caller of the run in progress (null for the widget's own Generate), so a cancel can name it. */
let running: Caller | null = null;

async function run(params: GenerateParams, caller: Caller | null): Promise<void> {
  const reply = (message: WidgetMessage, transfer: Transferable[] = []) => {
    if (caller) post(message, caller.origin, transfer);
  };
  running = caller;
  const model = models.find((m) => m.id === params.modelId);
  const cls = IMAGENET_CLASSES[params.classId];
  grid.start(
    model?.imageSize ?? 256,
    cls?.name ?? `class ${params.classId}`,
    Array.from({ length: params.count }, (_, i) => (params.seed + i) >>> 0),
  );
  status.textContent = `${cls?.name ?? params.classId}: starting…`;
  try {
    const result = await engine.generate(params, {
      onProgress: (p) => {
        status.textContent =
          p.phase === 'download'
            ? `Loading the model: ${formatMegabytes(p.loadedBytes)} / ${formatMegabytes(p.totalBytes)}`
            : 'Preparing the model…';
        if (caller)
          reply({
            type: 'var-web:progress',
            id: caller.id,
            phase: p.phase,
            loadedBytes: p.loadedBytes,
            totalBytes: p.totalBytes,
          });
      },
      onScale: (u) => {
        status.textContent = scaleLabel(u.si, u.scaleCount, u.pn);
        if (!document.hidden) {
          for (const [i, rgba] of (u.previews ?? []).entries()) grid.draw(i, rgba, u.si, u.scaleCount);
        }
        if (caller) reply({ type: 'var-web:scale', id: caller.id, scale: u.si, scales: u.scaleCount, pn: u.pn });
      },
    });
    const scales = model?.patchNums.length ?? 10;
    for (const [i, image] of result.images.entries()) grid.draw(i, image.rgba, scales - 1, scales);
    status.textContent = `Done in ${formatMs(result.timings.totalMs)} (${result.backend === 'webgpu' ? 'WebGPU' : 'WASM'}).`;
    if (caller) {
      for (const [index, image] of result.images.entries()) {
        const png = await pngBytes(image.rgba);
        reply(
          {
            type: 'var-web:image',
            id: caller.id,
            index,
            classId: image.classId,
            seed: image.seed,
            width: image.rgba.width,
            height: image.rgba.height,
            png,
          },
          [png],
        );
      }
      reply({ type: 'var-web:done', id: caller.id, backend: result.backend, totalMs: result.timings.totalMs });
    }
    showStorage(model && markStored(model));
  } catch (error) {
    const code = (error as { code?: ErrorCode }).code ?? 'E_INTERNAL';
    const message = error instanceof Error ? error.message : String(error);
    status.textContent = hasErrorCode(error, 'E_ABORTED') ? 'Cancelled.' : message;
    if (caller) reply({ type: 'var-web:error', id: caller.id, code, message });
  } finally {
    if (running === caller) running = null;
  }
}

/** The PNG file of an image (lossless: its pixels are the engine's). */
async function pngBytes(rgba: Rgba): Promise<ArrayBuffer> {
  const canvas = new OffscreenCanvas(rgba.width, rgba.height);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('no 2D canvas');
  context.putImageData(new ImageData(new Uint8ClampedArray(rgba.data), rgba.width, rgba.height), 0, 0);
  return (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer();
}

// Requests from the host: only from the parent window, only from an allowed origin, only well-formed ones. Anything
// else is ignored without a reply.
addEventListener('message', (event: MessageEvent) => {
  if (!host || event.source !== host || !originAllowed(event.origin, allowed)) return;
  const message = readParentMessage(event.data);
  if (!message) return;
  const caller = { id: message.id, origin: event.origin };
  if (message.type === 'var-web:cancel') {
    if (running?.id === message.id && running.origin === event.origin) void engine.cancel();
    return;
  }
  const checked = checkGenerateParams(message.params);
  if ('code' in checked) {
    post({ type: 'var-web:error', id: message.id, code: checked.code, message: checked.message }, event.origin);
    return;
  }
  const model = modelFor(checked.model);
  if (!model || (checked.model !== undefined && model.id !== checked.model)) {
    const error = `model ${checked.model ?? ''} is not available here`;
    post({ type: 'var-web:error', id: message.id, code: 'E_UNKNOWN_MODEL', message: error }, event.origin);
    return;
  }
  const { classId, seed, count, cfg, topK, topP, moreSmooth, backend } = checked;
  void run({ modelId: model.id, classId, seed, count, cfg, topK, topP, moreSmooth, backend }, caller);
});

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const model = modelFor(settings.modelId ?? undefined);
  if (model) void run(toGenerateParams({ ...settings, classId: picker.classId }, model.id), null);
});

start().catch((error: unknown) => {
  status.textContent = `The widget could not start: ${error instanceof Error ? error.message : String(error)}`;
});
