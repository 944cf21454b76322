// The Storage panel: what this site keeps in the browser (used / quota), whether the browser promised to keep it
// (persistent storage), and the cached models with their sizes, each with a Delete button.

import type { StorageUsage, StoredModelInfo } from '../../shared/engine-api';
import { bytesOfTotal, downloadPercent, formatMegabytes, formatStorageBytes } from '../format';
import { byTestId, h } from './dom';

export interface StoragePanel {
  render(usage: StorageUsage): void;
  /** The figures could not be read. */
  fail(message: string): void;
  /** A line after an action: "Deleted …", or an error (`error` true). */
  message(text: string, error?: boolean): void;
  /** While a download, a run or a delete is busy, Delete is disabled. */
  setBusy(busy: boolean): void;
}

/** "9.4 MB of 296 GB used" (or the used figure alone when the browser gives no quota; '' when it says nothing). */
export function usageLabel(u: Pick<StorageUsage, 'usedBytes' | 'quotaBytes'>): string {
  if (u.usedBytes === undefined) return 'This browser does not say how much storage this site uses.';
  const used = formatStorageBytes(u.usedBytes);
  if (u.quotaBytes === undefined || u.quotaBytes <= 0) return `${used} used by this site`;
  const share = (100 * u.usedBytes) / u.quotaBytes;
  // No-break spaces: "(< 1 %)" never splits across lines.
  const percent = share > 0 && share < 1 ? '<\u00a01' : String(Math.round(share));
  return `${used} of ${formatStorageBytes(u.quotaBytes)} used by this site (${percent}\u00a0%)`;
}

export function persistedLabel(persisted: boolean): string {
  return persisted
    ? 'Persistent storage: granted. The browser keeps these models until you delete them.'
    : 'Persistent storage: not granted. The browser may clear these models when the device runs low on space.';
}

/** A cached model's size: "9.3 MB", or "3.7 / 9.3 MB (40 %), partly downloaded". */
export function storedSizeLabel(m: StoredModelInfo): string {
  const d = m.download;
  if (d.state === 'downloaded') return formatMegabytes(d.storedBytes);
  return `${bytesOfTotal(d.storedBytes, d.totalBytes)} (${downloadPercent(d)} %), partly downloaded`;
}

export function createStoragePanel(
  root: HTMLElement,
  handlers: { onDelete: (m: StoredModelInfo) => void },
): StoragePanel {
  const usageLine = byTestId(root, 'storage.usage', HTMLElement);
  const meter = byTestId(root, 'storage.meter', HTMLMeterElement);
  const persistedLine = byTestId(root, 'storage.persisted', HTMLElement);
  const list = byTestId(root, 'storage.list', HTMLUListElement);
  const empty = byTestId(root, 'storage.empty', HTMLElement);
  const status = byTestId(root, 'storage.status', HTMLElement);
  let busy = false;

  function row(m: StoredModelInfo): HTMLLIElement {
    const name = h('span', { className: 'storage-name', text: m.label, testid: 'storage.name' });
    const size = h('span', { className: 'hint storage-size', text: storedSizeLabel(m), testid: 'storage.size' });
    const remove = h('button', {
      text: 'Delete',
      testid: 'storage.delete',
      attrs: { type: 'button', 'aria-label': `Delete ${m.label} (${formatMegabytes(m.download.storedBytes)})` },
    });
    remove.disabled = busy;
    remove.addEventListener('click', () => handlers.onDelete(m));
    const item = h('li', { className: 'storage-model', testid: 'storage.model' }, [
      h('span', { className: 'storage-what' }, [name, size]),
      remove,
    ]);
    item.dataset.modelId = m.id;
    item.dataset.state = m.download.state;
    return item;
  }

  return {
    render(u) {
      usageLine.textContent = usageLabel(u);
      usageLine.dataset.usedBytes = String(u.usedBytes ?? '');
      meter.hidden = u.usedBytes === undefined || u.quotaBytes === undefined || u.quotaBytes <= 0;
      if (!meter.hidden) {
        meter.max = u.quotaBytes ?? 1;
        meter.value = u.usedBytes ?? 0;
        // Warn from 80 % of the quota.
        meter.high = 0.8 * meter.max;
      }
      persistedLine.textContent = persistedLabel(u.persisted);
      persistedLine.dataset.persisted = String(u.persisted);
      list.replaceChildren(...u.models.map(row));
      list.hidden = u.models.length === 0;
      empty.hidden = u.models.length > 0;
    },
    fail(message) {
      usageLine.textContent = message;
      meter.hidden = true;
    },
    message(text, error = false) {
      status.textContent = text;
      status.dataset.state = error ? 'error' : 'ok';
    },
    setBusy(value) {
      busy = value;
      list.querySelectorAll<HTMLButtonElement>('[data-testid="storage.delete"]').forEach((button) => {
        button.disabled = value;
      });
    },
  };
}
