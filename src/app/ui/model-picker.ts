// The model picker: the packs of the models index, their download size, and a plain warning on test models.

import type { ModelInfo } from '../../shared/engine-api';
import { formatMegabytes } from '../format';
import { byTestId, h } from './dom';

export interface ModelPicker {
  readonly selected: ModelInfo | null;
  /** Lists `models` and selects `preferred` when it is one of them; returns a note when it is not. */
  setModels(models: readonly ModelInfo[], preferred: string | null): string | null;
  /** The models index could not be read. */
  setError(message: string): void;
}

/** The first model with real weights, else the first. */
export function defaultModel(models: readonly ModelInfo[]): ModelInfo | undefined {
  return models.find((m) => !m.randomWeights) ?? models[0];
}

/** "VAR-d16 (310M) · 1240 MB"; random-weight packs say so unless their label already does. */
export function optionLabel(m: ModelInfo): string {
  const warn = m.randomWeights && !/random weights/i.test(m.label) ? ' · random weights' : '';
  return `${m.label} · ${formatMegabytes(m.bytes)}${warn}`;
}

export function createModelPicker(root: HTMLElement, options: { onChange?: (m: ModelInfo) => void } = {}): ModelPicker {
  const select = byTestId(root, 'model.select', HTMLSelectElement);
  const info = byTestId(root, 'model.info', HTMLElement);
  const badge = byTestId(root, 'model.badge', HTMLElement);
  let models: readonly ModelInfo[] = [];

  const selected = (): ModelInfo | null => models.find((m) => m.id === select.value) ?? null;

  function showInfo(): void {
    const m = selected();
    badge.hidden = !m?.randomWeights;
    if (!m) return;
    info.textContent = `${formatMegabytes(m.bytes)} download · ${m.imageSize}×${m.imageSize} px · ${m.patchNums.length} scales`;
  }

  select.addEventListener('change', () => {
    showInfo();
    const m = selected();
    if (m) options.onChange?.(m);
  });

  return {
    get selected() {
      return selected();
    },
    setModels(list, preferred) {
      models = list;
      select.replaceChildren(
        ...list.map((m) =>
          h('option', {
            text: optionLabel(m),
            attrs: { value: m.id },
          }),
        ),
      );
      select.disabled = list.length === 0;
      if (list.length === 0) {
        info.textContent = 'No models are listed in models/index.json.';
        badge.hidden = true;
        return null;
      }
      const wanted = list.find((m) => m.id === preferred);
      select.value = (wanted ?? defaultModel(list))?.id ?? '';
      showInfo();
      return preferred !== null && !wanted
        ? `Model “${preferred}” is not available here: using ${select.value}.`
        : null;
    },
    setError(message) {
      models = [];
      select.replaceChildren(h('option', { text: 'No models', attrs: { value: '' } }));
      select.disabled = true;
      badge.hidden = true;
      info.textContent = message;
      info.dataset.state = 'error';
    },
  };
}
