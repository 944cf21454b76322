// The "Add a model" form: the official VAR checkpoints (a catalog entry fills the URLs), any checkpoint URLs, local
// .pth files (file input or drag-and-drop), or a hosted pack URL; conversion progress by phase, and Cancel.

import type { QuantVariant } from '../../core/weight-quant/encodings';
import type {
  ConvertProgress,
  ConvertRequest,
  DownloadCallbacks,
  LoadProgress,
  ModelInfo,
} from '../../shared/engine-api';
import { OFFICIAL_MODELS, OFFICIAL_VAE, type OfficialModel, officialModelSummary } from '../../shared/official-models';
import { describeError, formatMegabytes, formatSpeed, formatTimeLeft } from '../format';
import { h } from './dom';

/** What the form needs of the engine. */
export interface ModelAdder {
  convertModel(request: ConvertRequest, callbacks?: { onProgress?(p: ConvertProgress): void }): Promise<ModelInfo>;
  cancelConversion(): Promise<void>;
  addModelPack(packUrl: string, callbacks?: DownloadCallbacks): Promise<ModelInfo>;
}

export interface AddModelForm {
  /** Disables the form's buttons while another job (a generation, a download) runs. */
  setBusy(busy: boolean): void;
  /**
   * Converts an official model as its catalog entry and Convert would (the form shows the progress, scrolled into
   * view); false when the form is busy and nothing started.
   */
  convertOfficial(model: OfficialModel): boolean;
}

/** The Weights select: label → `--quant`. */
export const WEIGHT_OPTIONS: readonly { readonly label: string; readonly quant: QuantVariant }[] = [
  { label: '4-bit', quant: 'q4' },
  { label: '8-bit', quant: 'q8' },
  { label: '16-bit', quant: 'fp16' },
  { label: '32-bit', quant: 'none' },
];

/** Download speed over the last few seconds of progress (bytes arrive in bursts, one tensor at a time). */
export class RateMeter {
  private readonly samples: { t: number; bytes: number }[] = [];
  constructor(private readonly windowMs = 4000) {}
  add(t: number, bytes: number): number | null {
    this.samples.push({ t, bytes });
    while (this.samples.length > 2 && t - (this.samples[0] as { t: number }).t > this.windowMs) this.samples.shift();
    const first = this.samples[0] as { t: number; bytes: number };
    const dt = t - first.t;
    return dt >= 500 ? ((bytes - first.bytes) * 1000) / dt : null;
  }
}

/**
 * The progress line of a conversion: "Checking the checkpoints…", "Hashing the files: 120.0 / 1679.2 MB",
 * "Downloading and converting: 412.3 / 1679.2 MB fetched · 25.1 MB/s · 3 min left · tensors 120 / 525",
 * "Writing the manifest…". Time left follows the pack's progress (what is fetched depends on what the pack needs).
 */
export function convertProgressText(p: ConvertProgress, bytesPerSecond: number | null, elapsedMs: number): string {
  if (p.phase === 'checking') return 'Checking the checkpoints…';
  if (p.phase === 'hashing')
    return `Hashing the files: ${formatMegabytes(p.hashedBytes)} / ${formatMegabytes(p.checkpointBytes)}`;
  if (p.phase === 'writing') return 'Writing the manifest…';
  const parts = [
    `Downloading and converting: ${formatMegabytes(p.fetchedBytes)} / ${formatMegabytes(p.checkpointBytes)} fetched`,
  ];
  if (bytesPerSecond !== null && bytesPerSecond > 0) parts.push(formatSpeed(bytesPerSecond));
  const done = p.packBytes > 0 ? (p.packBytesDone - p.resumedBytes) / Math.max(1, p.packBytes - p.resumedBytes) : 0;
  if (done > 0.02 && elapsedMs > 2000) {
    const left = formatTimeLeft(((elapsedMs / 1000) * (1 - done)) / done);
    if (left) parts.push(left);
  }
  if (p.tensorsTotal > 0) parts.push(`tensors ${p.tensorsDone} / ${p.tensorsTotal}`);
  if (p.resumedBytes > 0) parts.push(`resumed: ${formatMegabytes(p.resumedBytes)} of the pack was already written`);
  return parts.join(' · ');
}

/** Builds the form into `root` (its own markup: the page holds an empty section for it). */
export function createAddModelForm(
  root: HTMLElement,
  engine: ModelAdder,
  options: { onAdded(model: ModelInfo): void },
): AddModelForm {
  const heading = h('h2', { text: 'Add a model', attrs: { id: 'add-model-heading' } });
  const field = (id: string, label: string, input: HTMLElement, hint?: string) =>
    h('div', { className: 'field' }, [
      h('label', { text: label, attrs: { for: id } }),
      input,
      ...(hint ? [h('p', { className: 'hint', text: hint })] : []),
    ]);
  const varUrl = h('input', {
    testid: 'add-model.var-url',
    attrs: { id: 'add-model-var-url', type: 'url', placeholder: OFFICIAL_MODELS[0]?.checkpointUrl ?? '' },
  });
  const vaeUrl = h('input', {
    testid: 'add-model.vae-url',
    attrs: { id: 'add-model-vae-url', type: 'url', placeholder: OFFICIAL_VAE.url },
  });
  const files = h('input', {
    testid: 'add-model.files',
    attrs: { id: 'add-model-files', type: 'file', multiple: '', accept: '.pth,.pt,.bin' },
  });
  const weights = h(
    'select',
    { testid: 'add-model.weights', attrs: { id: 'add-model-weights' } },
    WEIGHT_OPTIONS.map((o) => h('option', { text: o.label, attrs: { value: o.quant } })),
  );
  const convert = h('button', { text: 'Convert', testid: 'add-model.convert', attrs: { type: 'submit' } });
  const packUrl = h('input', {
    testid: 'add-model.pack-url',
    attrs: { id: 'add-model-pack-url', type: 'url', placeholder: 'https://example.org/models/var_d16-q4/' },
  });
  const addPack = h('button', { text: 'Add pack', testid: 'add-model.add-pack', attrs: { type: 'button' } });
  const cancel = h('button', { text: 'Cancel', testid: 'add-model.cancel', attrs: { type: 'button' } });
  cancel.hidden = true;
  const bar = h('progress', { testid: 'add-model.progress', attrs: { max: '1', 'aria-label': 'Conversion progress' } });
  bar.hidden = true;
  const status = h('p', {
    className: 'add-model-status',
    testid: 'add-model.status',
    attrs: { 'aria-live': 'polite' },
  });
  const error = h('p', { className: 'add-model-error', testid: 'add-model.error', attrs: { role: 'alert' } });

  const catalog = h(
    'ul',
    { className: 'add-model-catalog', testid: 'add-model.catalog', attrs: { 'aria-label': 'Official VAR models' } },
    OFFICIAL_MODELS.map((m) => {
      const button = h('button', {
        text: officialModelSummary(m),
        testid: `add-model.catalog.${m.name}`,
        attrs: { type: 'button' },
      });
      button.addEventListener('click', () => {
        fillOfficial(m);
        varUrl.focus();
      });
      return h('li', {}, [button]);
    }),
  );

  const form = h(
    'form',
    { className: 'add-model-form', testid: 'add-model.form', attrs: { 'aria-labelledby': 'add-model-heading' } },
    [
      h('p', {
        className: 'hint',
        text: 'Converts the official checkpoints into a 4-bit model in this browser (nothing is uploaded): downloaded once, kept in this browser’s storage. Or choose .pth files you already have, or drop them here.',
      }),
      catalog,
      field('add-model-var-url', 'VAR checkpoint URL', varUrl),
      field('add-model-vae-url', 'VQ-VAE checkpoint URL', vaeUrl),
      field(
        'add-model-files',
        'Checkpoint files',
        files,
        'A VAR checkpoint and the VQ-VAE, in any order (instead of the URLs).',
      ),
      field('add-model-weights', 'Weights', weights),
      h('div', { className: 'row' }, [convert, cancel]),
      bar,
      status,
      error,
      field(
        'add-model-pack-url',
        'Model pack URL',
        packUrl,
        'A folder with a manifest.json, as npm run convert writes it.',
      ),
      addPack,
    ],
  );
  root.replaceChildren(heading, form);

  let dropped: File[] = [];
  let running = false;
  function fillOfficial(m: OfficialModel): void {
    varUrl.value = m.checkpointUrl;
    vaeUrl.value = OFFICIAL_VAE.url;
    files.value = '';
    dropped = [];
  }
  let busy = false;
  const sync = () => {
    convert.disabled = running || busy;
    addPack.disabled = running || busy;
    cancel.hidden = !running;
  };
  files.addEventListener('change', () => {
    dropped = [];
  });
  form.addEventListener('dragover', (event) => {
    event.preventDefault();
    form.dataset.drop = 'over';
  });
  form.addEventListener('dragleave', () => {
    delete form.dataset.drop;
  });
  form.addEventListener('drop', (event) => {
    event.preventDefault();
    delete form.dataset.drop;
    dropped = Array.from(event.dataTransfer?.files ?? []);
    status.textContent = dropped.length > 0 ? `Dropped: ${dropped.map((f) => f.name).join(', ')}` : '';
  });

  async function run(what: string, work: () => Promise<ModelInfo>): Promise<void> {
    running = true;
    sync();
    error.textContent = '';
    status.textContent = `${what}…`;
    bar.hidden = false;
    bar.removeAttribute('value');
    try {
      const model = await work();
      status.textContent = `Added ${model.label}: it is in the model picker.`;
      bar.value = 1;
      options.onAdded(model);
    } catch (e) {
      const d = describeError(e);
      error.dataset.code = d.code ?? '';
      error.textContent = d.code ? `${d.message} (${d.code})` : d.message;
      status.textContent = '';
      bar.hidden = true;
    } finally {
      running = false;
      sync();
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = dropped.length > 0 ? dropped : Array.from(files.files ?? []);
    const quant = weights.value as QuantVariant;
    const request: ConvertRequest =
      chosen.length > 0
        ? { files: chosen, quant }
        : { var: { url: varUrl.value.trim() }, vae: { url: vaeUrl.value.trim() }, quant };
    if (chosen.length === 0 && (!varUrl.value.trim() || !vaeUrl.value.trim())) {
      error.textContent = 'Give both checkpoint URLs, or choose the two checkpoint files.';
      return;
    }
    const started = performance.now();
    const meter = new RateMeter();
    void run('Converting', () =>
      engine.convertModel(request, {
        onProgress: (p) => {
          const now = performance.now();
          const speed = meter.add(now, p.fetchedBytes);
          status.textContent = convertProgressText(p, speed, now - started);
          form.dataset.phase = p.phase;
          if (p.packBytes > 0) bar.value = p.packBytesDone / p.packBytes;
        },
      }),
    );
  });
  addPack.addEventListener('click', () => {
    const url = packUrl.value.trim();
    if (!url) {
      error.textContent = 'Give the URL of a folder that holds a model pack (its manifest.json).';
      return;
    }
    void run('Downloading the pack', () =>
      engine.addModelPack(url, {
        onProgress: (p: LoadProgress) => {
          status.textContent = `Downloading ${p.file}: ${formatMegabytes(p.loadedBytes)} / ${formatMegabytes(p.totalBytes)}`;
          if (p.totalBytes > 0) bar.value = p.loadedBytes / p.totalBytes;
        },
      }),
    );
  });
  cancel.addEventListener('click', () => {
    void engine.cancelConversion().catch(() => undefined);
  });
  sync();
  return {
    setBusy(value) {
      busy = value;
      sync();
    },
    convertOfficial(m) {
      if (running || busy) return false;
      fillOfficial(m);
      form.scrollIntoView({ block: 'nearest' });
      form.requestSubmit(convert);
      return true;
    },
  };
}
