// The models index: `index.json` in the models folder lists pack names; each pack's manifest describes it. Read once
// (a failed read is retried on the next call); the manifests are kept, so loading a model does not fetch its
// manifest again.

import type { PackManifest } from '../../src/core/pack/manifest';
import { VarError } from '../../src/shared/errors';
import { fetchBytes } from './fetch-file';
import { fetchPackManifest } from './http-pack';

/** A pack folder name: what `npm run convert` names packs (var_d16-q4, synthetic-d16, tiny). */
const PACK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface IndexedModel {
  /** The pack name (the model id). */
  readonly id: string;
  /** The pack folder URL (ends with /). */
  readonly packUrl: string;
  readonly manifest: PackManifest;
}

/** Where the catalog gets the network's list of models (a ModelsIndex; a stand-in in tests). */
export interface ModelsSource {
  list(): Promise<IndexedModel[]>;
  indexUrl(): string;
}

export class ModelsIndex implements ModelsSource {
  private models: Promise<IndexedModel[]> | undefined;

  /** `modelsUrl`: the folder holding `index.json` and one folder per pack (ends with /). */
  constructor(readonly modelsUrl: string) {}

  /** The packs of the index, in its order (E_NETWORK when it or a manifest cannot be fetched). */
  list(): Promise<IndexedModel[]> {
    this.models ??= this.fetchIndex().catch((error: unknown) => {
      this.models = undefined; // a failed index read is retried next time
      throw error;
    });
    return this.models;
  }

  indexUrl(): string {
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
    // Pack names are folder names beside the index: a URL or a path ("https://other.site/x", "../x") would make the
    // engine fetch packs from elsewhere than the index's own folder.
    const bad = names.find((name) => !PACK_NAME.test(name));
    if (bad !== undefined) {
      throw new VarError(
        'E_PACK_FORMAT',
        `${indexUrl} lists "${bad.slice(0, 80)}", which is not a pack folder name (letters, digits, ".", "_", "-"): an index may only name packs in its own folder`,
        { url: indexUrl },
      );
    }
    return Promise.all(
      names.map(async (name) => {
        const url = new URL(`${name}/`, this.modelsUrl).href;
        const manifest = await fetchPackManifest(url);
        return { id: manifest.name, packUrl: url, manifest };
      }),
    );
  }
}
