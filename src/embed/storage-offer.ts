// The widget's offer to use the models downloaded on var-web's own page (issue 14): a button beside the "once per
// site" line, shown only where the browser can unpartition IndexedDB for this frame (storage-access.ts). A click
// asks for access (the browser may prompt), reads the app's store in this document (other-store.ts) and hands the
// engine each missing pack to verify and copy (import-models.ts). A refusal is a sentence, never an error.

import * as Comlink from 'comlink';
import { formatMegabytes } from '../app/format';
import type { LoadProgress, ModelInfo } from '../shared/engine-api';
import type { StoredPackSource, StoreImportEngine } from '../shared/store-import';
import { importMissingModels } from './import-models';
import { openOtherStore } from './other-store';
import { browserStorageAccessEnv, canOfferStorageAccess, requestUnpartitionedIndexedDB } from './storage-access';

export interface StorageOfferOptions {
  readonly button: HTMLButtonElement;
  /** The storage line, where the outcome is said. */
  readonly line: HTMLElement;
  /** The engine's import (the worker's remote). */
  readonly engine: () => StoreImportEngine;
  /** The models as the widget lists them now. */
  readonly models: () => readonly ModelInfo[];
  /** After an import: the widget lists its models again (they are now stored). */
  readonly refresh: () => Promise<void>;
}

export interface StorageOffer {
  /** Shows the button while the widget's model is not stored here (and the browser can grant access). */
  update(model: ModelInfo | undefined): void;
}

export function setupStorageOffer(options: StorageOfferOptions): StorageOffer {
  const { button, line } = options;
  const supported = canOfferStorageAccess(browserStorageAccessEnv());
  let refused = false;
  let busy = false;

  button.addEventListener('click', () => {
    if (busy) return;
    busy = true;
    button.disabled = true;
    void useAppStorage(options)
      .then((outcome) => {
        line.textContent = outcome.message;
        refused = outcome.refused;
      })
      .catch((error: unknown) => {
        line.textContent = `The models could not be copied: ${error instanceof Error ? error.message : String(error)}`;
      })
      .finally(() => {
        busy = false;
        button.disabled = false;
        if (refused) button.hidden = true;
      });
  });

  return {
    update(model) {
      button.hidden = !supported || refused || !model || model.download.state === 'downloaded';
    },
  };
}

async function useAppStorage(options: StorageOfferOptions): Promise<{ message: string; refused: boolean }> {
  const access = await requestUnpartitionedIndexedDB();
  if (!access.granted) {
    return {
      refused: true,
      message:
        access.reason === 'denied'
          ? 'The browser did not allow this frame to read var-web’s own storage: the model downloads once for this site.'
          : 'This browser cannot share var-web’s storage with this frame: the model downloads once for this site.',
    };
  }
  const other = await openOtherStore(access.indexedDB);
  if (!other) return { refused: false, message: 'No models are stored on var-web’s own page in this browser.' };
  try {
    options.line.textContent = 'Copying models from var-web’s storage…';
    // Chunks cross to the worker transferred, one at a time: the engine asks for the next when it has stored one.
    const source: StoredPackSource = Comlink.proxy({
      fileInfo: (sha256: string) => other.fileInfo(sha256),
      chunk: async (sha256: string, index: number) => {
        const data = await other.chunk(sha256, index);
        return data ? Comlink.transfer(data, [data]) : undefined;
      },
    });
    const callbacks = Comlink.proxy({
      onProgress: (p: LoadProgress) => {
        options.line.textContent = `Copying from var-web’s storage: ${formatMegabytes(p.loadedBytes)} / ${formatMegabytes(p.totalBytes)}`;
      },
    });
    const packs = await other.packs();
    const summary = await importMissingModels(options.engine(), packs, source, options.models(), callbacks);
    await options.refresh();
    const parts: string[] = [];
    if (summary.imported.length > 0) {
      parts.push(
        `${summary.imported.join(', ')}: copied from var-web’s storage (${formatMegabytes(summary.copiedBytes)}, no download).`,
      );
    }
    if (summary.incomplete.length > 0) parts.push(`${summary.incomplete.join(', ')}: only partly stored there.`);
    if (summary.error) parts.push(summary.error);
    if (parts.length === 0) parts.push('var-web’s storage holds no model this widget lacks.');
    return { refused: false, message: parts.join(' ') };
  } finally {
    other.close();
  }
}
