// The models a person can pick: the models index over the network, with what the store holds of each; when the index
// cannot be reached (offline), the models complete in the store, so a cached model still generates.

import type { PackManifest } from '../../src/core/pack/manifest';
import type { DownloadStatus, ModelInfo } from '../../src/shared/engine-api';
import { hasErrorCode, VarError } from '../../src/shared/errors';
import type { IndexedModel, ModelsSource } from './models-index';
import type { ModelStore } from './store/model-store';
import { listStoredModels, modelStatus } from './store/stored-models';

export interface CatalogEntry {
  readonly id: string;
  readonly packUrl: string;
  readonly manifest: PackManifest;
  /** Listed from the store because the index could not be fetched. */
  readonly offline: boolean;
}

export class ModelCatalog {
  constructor(
    private readonly index: ModelsSource,
    private readonly store: ModelStore,
  ) {}

  /**
   * The index's models, then the models added to the store that the index does not list (converted in the page, or
   * a hosted pack URL); or the store's complete ones when the index cannot be reached (`offline`).
   */
  async entries(): Promise<{ readonly entries: CatalogEntry[]; readonly offline: boolean }> {
    let indexed: IndexedModel[];
    try {
      indexed = await this.index.list();
    } catch (error) {
      if (!hasErrorCode(error, 'E_NETWORK')) throw error;
      const stored = await listStoredModels(this.store);
      const entries = stored
        .filter((m) => m.status.state === 'downloaded')
        .map((m) => ({ id: m.name, packUrl: m.packUrl, manifest: m.manifest, offline: true }));
      return { entries, offline: true };
    }
    const names = new Set(indexed.map((m) => m.id));
    const added = (await listStoredModels(this.store))
      .filter((m) => !names.has(m.name))
      .map((m) => ({ id: m.name, packUrl: m.packUrl, manifest: m.manifest }));
    return { entries: [...indexed, ...added].map((m) => ({ ...m, offline: false })), offline: false };
  }

  async list(): Promise<ModelInfo[]> {
    const { entries } = await this.entries();
    return Promise.all(entries.map(async (e) => modelInfo(e, await modelStatus(this.store, e.manifest))));
  }

  /**
   * The model `modelId`: E_UNKNOWN_MODEL when the index does not list it; offline, E_NETWORK saying that it is not
   * available offline (and how much of it is stored) when the store does not hold all of it.
   */
  async find(modelId: string): Promise<CatalogEntry> {
    const { entries, offline } = await this.entries();
    const entry = entries.find((e) => e.id === modelId);
    if (entry) return entry;
    if (offline) {
      const partial = (await listStoredModels(this.store)).find((m) => m.name === modelId);
      const held = partial
        ? ` (${Math.floor((100 * partial.status.storedBytes) / partial.status.totalBytes)} % of it is downloaded)`
        : '';
      throw new VarError(
        'E_NETWORK',
        `${partial?.label ?? modelId} is not available offline${held}: ${this.index.indexUrl()} cannot be reached. Download it once while online.`,
        { modelId, url: this.index.indexUrl() },
      );
    }
    throw new VarError('E_UNKNOWN_MODEL', `No model pack "${modelId}" in ${this.index.indexUrl()}`, { modelId });
  }
}

export function modelInfo(e: CatalogEntry, download: DownloadStatus): ModelInfo {
  const m = e.manifest;
  return {
    id: m.name,
    label: m.label,
    randomWeights: m.randomWeights,
    imageSize: m.imageSize,
    patchNums: m.patchNums,
    numClasses: m.numClasses,
    bytes: m.files.reduce((n, f) => n + f.bytes, 0),
    url: e.packUrl,
    download,
    offline: e.offline,
    // The manifest names both edit graphs or neither (a pack written before editing existed).
    canEdit: m.graphs.encoder !== undefined && m.graphs.tokenizer !== undefined,
  };
}
