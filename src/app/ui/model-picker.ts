// The model picker: the packs of the models index with their download size and what this browser holds of each, a
// plain warning on test models, and a Download (or Resume download) button for a model that is not stored yet. Below
// them, the official VAR models not converted in this browser yet, with "Download and convert".

import type { ModelInfo } from '../../shared/engine-api';
import {
  convertedPackName,
  formatBytes,
  OFFICIAL_MODELS,
  OFFICIAL_VAE,
  type OfficialModel,
  officialModelSummary,
} from '../../shared/official-models';
import { bytesOfTotal, downloadPercent, downloadStateLabel, formatMegabytes } from '../format';
import { byTestId, h } from './dom';

export interface ModelPicker {
  /** The selected pack; null while none, or while an official model still to convert is selected. */
  readonly selected: ModelInfo | null;
  /** The selected official model that is not converted in this browser yet. */
  readonly selectedOfficial: OfficialModel | null;
  /** Lists `models` and selects `preferred` when it is one of them; returns a note when it is not. */
  setModels(models: readonly ModelInfo[], preferred: string | null): string | null;
  /** The same models with fresh download states (after a download, delete or run): the selection stays. */
  update(models: readonly ModelInfo[]): void;
  /** The models index could not be read. */
  setError(message: string): void;
  /** Whether Download may start now (not while another download or a run is busy). */
  setDownloadEnabled(enabled: boolean): void;
}

/** An empty list: the models index lists none, or it cannot be reached (offline) and this browser stores none. */
export const NO_MODELS =
  'No models: the list of models (models/index.json) is empty or cannot be reached, and none is stored in this browser.';

/** Values of the official entries in the select (pack names cannot contain ':'). */
const OFFICIAL_PREFIX = 'official:';

/**
 * The official models to offer beside `models`: those whose 4-bit pack (the conversion's default) is not among them.
 * A model converted with other weights stays offered, as the 4-bit one is another pack.
 */
export function officialEntries(models: readonly ModelInfo[]): OfficialModel[] {
  const listed = new Set(models.map((m) => m.id));
  return OFFICIAL_MODELS.filter((o) => !listed.has(convertedPackName(o.depth, 'q4')));
}

/** The line under the picker for an official model not converted yet, and its button. */
export function officialLine(o: OfficialModel): { info: string; text: string; button: string } {
  const gpu = o.largeGpu ? ` · needs a large GPU (~${formatBytes(o.gpuBytes)})` : '';
  const pack = o.packBytes.q4;
  const keeps = pack === undefined ? '' : ` and keeps a 4-bit model (${formatBytes(pack)})`;
  return {
    info: `${o.params} parameters · FID ${o.fid} · 256×256 px · 10 scales${gpu}`,
    text: `Not in this browser yet: Download and convert fetches the official checkpoints from Hugging Face (${formatBytes(o.checkpointBytes + OFFICIAL_VAE.bytes)}, once)${keeps}.`,
    button: 'Download and convert',
  };
}

/** The first model with real weights, else the first. */
export function defaultModel(models: readonly ModelInfo[]): ModelInfo | undefined {
  return models.find((m) => !m.randomWeights) ?? models[0];
}

/**
 * "VAR-d16 (310M) · 232.5 MB · downloaded"; random-weight packs say so unless their label already does; a model listed
 * from the store because the models index could not be read says "offline".
 */
export function optionLabel(m: ModelInfo, online = true): string {
  const warn = m.randomWeights && !/random weights/i.test(m.label) ? ' · random weights' : '';
  const offline =
    !online && m.download.state !== 'downloaded' ? ' · not available offline' : m.offline ? ' · offline' : '';
  return `${m.label} · ${formatMegabytes(m.bytes)} · ${downloadStateLabel(m.download)}${offline}${warn}`;
}

/** The line under the picker about the selected model's download, and the Download button's text ('' = hidden). */
export function downloadLine(m: ModelInfo, online = true): { text: string; button: string } {
  if (!online && m.download.state !== 'downloaded') {
    return { text: 'Not available offline: download it once while online.', button: '' };
  }
  if (m.offline) {
    return {
      text: 'Offline: the list of models cannot be reached, this one runs from this browser’s storage.',
      button: '',
    };
  }
  const d = m.download;
  if (d.state === 'downloaded') return { text: 'Downloaded: it runs from this browser’s storage.', button: '' };
  if (d.state === 'partial') {
    return {
      text: `${bytesOfTotal(d.storedBytes, d.totalBytes)} downloaded (${downloadPercent(d)} %): resume it now, or Generate finishes it first.`,
      button: 'Resume download',
    };
  }
  return {
    text: `Not downloaded: download it now (${formatMegabytes(m.bytes)}), or Generate downloads it first.`,
    button: 'Download',
  };
}

export function createModelPicker(
  root: HTMLElement,
  options: { onDownload?: (m: ModelInfo) => void; onConvert?: (m: OfficialModel) => void } = {},
): ModelPicker {
  const select = byTestId(root, 'model.select', HTMLSelectElement);
  const info = byTestId(root, 'model.info', HTMLElement);
  const badge = byTestId(root, 'model.badge', HTMLElement);
  const downloadState = byTestId(root, 'model.download-state', HTMLElement);
  const downloadButton = byTestId(root, 'model.download', HTMLButtonElement);
  let models: readonly ModelInfo[] = [];
  let downloadEnabled = true;

  const selected = (): ModelInfo | null => models.find((m) => m.id === select.value) ?? null;
  const selectedOfficial = (): OfficialModel | null =>
    select.value.startsWith(OFFICIAL_PREFIX)
      ? (OFFICIAL_MODELS.find((o) => OFFICIAL_PREFIX + o.name === select.value) ?? null)
      : null;

  function showInfo(): void {
    const m = selected();
    const official = selectedOfficial();
    badge.hidden = !m?.randomWeights;
    downloadState.hidden = !m && !official;
    downloadButton.hidden = true;
    if (official) {
      const line = officialLine(official);
      info.textContent = line.info;
      downloadState.textContent = line.text;
      downloadState.dataset.state = 'not-converted';
      downloadButton.textContent = line.button;
      downloadButton.hidden = false;
      downloadButton.disabled = !downloadEnabled;
      return;
    }
    if (!m) return;
    info.textContent = `${formatMegabytes(m.bytes)} download · ${m.imageSize}×${m.imageSize} px · ${m.patchNums.length} scales`;
    const line = downloadLine(m, navigator.onLine);
    downloadState.textContent = line.text;
    downloadState.dataset.state = m.download.state;
    downloadButton.textContent = line.button;
    downloadButton.hidden = line.button === '';
    downloadButton.disabled = !downloadEnabled;
  }

  /** Whether the select has an option of that value (an official entry may have gone: converted, or offline). */
  const listed = (value: string): boolean => Array.from(select.options).some((o) => o.value === value);

  function fill(list: readonly ModelInfo[]): void {
    models = list;
    // Converting needs the network and a working store: not offered offline or while no model is listed at all.
    const canConvert = list.length > 0 && navigator.onLine && !list.some((m) => m.offline);
    const official = canConvert ? officialEntries(list) : [];
    select.replaceChildren(
      ...list.map((m) =>
        h('option', {
          text: optionLabel(m, navigator.onLine),
          attrs: { value: m.id, 'data-download': m.download.state },
        }),
      ),
      ...(official.length > 0
        ? [
            h(
              'optgroup',
              { attrs: { label: 'Official VAR models: converted in this browser' } },
              official.map((o) =>
                h('option', {
                  text: officialModelSummary(o),
                  attrs: { value: OFFICIAL_PREFIX + o.name, 'data-download': 'not-converted' },
                }),
              ),
            ),
          ]
        : []),
    );
    select.disabled = list.length === 0;
  }

  select.addEventListener('change', showInfo);
  // Going offline (or back) changes what can run: relabel the models as they are.
  const relabel = () => {
    const value = select.value;
    fill(models);
    select.value = listed(value) ? value : (defaultModel(models)?.id ?? '');
    showInfo();
  };
  addEventListener('online', relabel);
  addEventListener('offline', relabel);
  downloadButton.addEventListener('click', () => {
    const official = selectedOfficial();
    if (official) {
      options.onConvert?.(official);
      return;
    }
    const m = selected();
    if (m) options.onDownload?.(m);
  });

  return {
    get selected() {
      return selected();
    },
    get selectedOfficial() {
      return selectedOfficial();
    },
    setModels(list, preferred) {
      fill(list);
      delete info.dataset.state;
      if (list.length === 0) {
        info.textContent = NO_MODELS;
        badge.hidden = true;
        downloadState.hidden = true;
        downloadButton.hidden = true;
        return null;
      }
      const wanted = list.find((m) => m.id === preferred);
      // A link to a converted official model this browser does not hold yet selects the model to convert.
      const toConvert = wanted
        ? undefined
        : officialEntries(list).find(
            (o) => convertedPackName(o.depth, 'q4') === preferred && listed(OFFICIAL_PREFIX + o.name),
          );
      select.value = toConvert ? OFFICIAL_PREFIX + toConvert.name : ((wanted ?? defaultModel(list))?.id ?? '');
      showInfo();
      if (toConvert) return `${toConvert.name} is not in this browser yet: Download and convert it first.`;
      return preferred !== null && !wanted
        ? `Model “${preferred}” is not available here: using ${select.value}.`
        : null;
    },
    update(list) {
      const current = select.value;
      fill(list);
      if (list.length === 0) {
        info.textContent = NO_MODELS;
        badge.hidden = true;
        downloadState.hidden = true;
        downloadButton.hidden = true;
        return;
      }
      select.value = listed(current) ? current : (defaultModel(list)?.id ?? '');
      showInfo();
    },
    setError(message) {
      models = [];
      select.replaceChildren(h('option', { text: 'No models', attrs: { value: '' } }));
      select.disabled = true;
      badge.hidden = true;
      downloadState.hidden = true;
      downloadButton.hidden = true;
      info.textContent = message;
      info.dataset.state = 'error';
    },
    setDownloadEnabled(enabled) {
      downloadEnabled = enabled;
      downloadButton.disabled = !enabled;
    },
  };
}
