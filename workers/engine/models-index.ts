// The models index: `index.json` in the models folder lists pack names; each pack's manifest describes it. Read once
// (a failed read is retried on the next call); the manifests are kept, so loading a model does not fetch its
// manifest again.

import type { PackManifest } from '../../src/core/pack/manifest';
import type { ModelInfo } from '../../src/shared/engine-api';
import { VarError } from '../../src/shared/errors';
import { fetchBytes } from './fetch-file';
import { fetchPackManifest } from './http-pack';

export interface IndexedModel {
  readonly info: ModelInfo;
  readonly manifest: PackManifest;
}

export class ModelsIndex {
  private models: Promise<IndexedModel[]> | undefined;

  /** `modelsUrl`: the folder holding `index.json` and one folder per pack (ends with /). */
  constructor(readonly modelsUrl: string) {}

  async list(): Promise<ModelInfo[]> {
    return (await this.read()).map((m) => m.info);
  }

  /** The model and its manifest, or E_UNKNOWN_MODEL naming the index. */
  async get(modelId: string): Promise<IndexedModel> {
    const model = (await this.read()).find((m) => m.info.id === modelId);
    if (!model) throw new VarError('E_UNKNOWN_MODEL', `No model pack "${modelId}" in ${this.indexUrl()}`, { modelId });
    return model;
  }

  private read(): Promise<IndexedModel[]> {
    this.models ??= this.fetchIndex().catch((error: unknown) => {
      this.models = undefined; // a failed index read is retried next time
      throw error;
    });
    return this.models;
  }

  private indexUrl(): string {
    return new URL('index.json', this.modelsUrl).href;
  }

  private async fetchIndex(): Promise<IndexedModel[]> {
    const indexUrl = this.indexUrl();
    const bytes = await fetchBytes(indexUrl, undefined);
    let index: { packs?: unknown };
    try {
      index = JSON.parse(new TextDecoder().decode(bytes)) as { packs?: unknown };
    } catch {
      throw new VarError('E_PACK_FORMAT', `${indexUrl} is not JSON`, { url: indexUrl });
    }
    const names = Array.isArray(index.packs) ? index.packs.filter((p): p is string => typeof p === 'string') : [];
    return Promise.all(
      names.map(async (name) => {
        const url = new URL(`${name}/`, this.modelsUrl).href;
        const manifest = await fetchPackManifest(url);
        return { info: modelInfo(manifest, url), manifest };
      }),
    );
  }
}

export function modelInfo(m: PackManifest, url: string): ModelInfo {
  return {
    id: m.name,
    label: m.label,
    randomWeights: m.randomWeights,
    imageSize: m.imageSize,
    patchNums: m.patchNums,
    numClasses: m.numClasses,
    bytes: m.files.reduce((n, f) => n + f.bytes, 0),
    url,
  };
}
