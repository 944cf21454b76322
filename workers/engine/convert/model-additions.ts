// Models a person adds in the page: checkpoints converted into the store, or a hosted pack downloaded into it. One
// addition at a time; a new one cancels the running one (what it wrote stays for a resume).

import type { ConvertCallbacks, ConvertRequest, DownloadCallbacks, ModelInfo } from '../../../src/shared/engine-api';
import { hasErrorCode, VarError } from '../../../src/shared/errors';
import { fetchPackManifest } from '../http-pack';
import { modelInfo } from '../model-catalog';
import { packProgress } from '../sessions';
import type { StoreContext } from '../store/download-file';
import { downloadPack } from '../store/store-pack-source';
import { modelStatus } from '../store/stored-models';
import { convertModel } from './convert-model';

export class ModelAdditions {
  private running: AbortController | undefined;

  constructor(private readonly store: StoreContext) {}

  convert(request: ConvertRequest, callbacks: ConvertCallbacks = {}): Promise<ModelInfo> {
    return this.exclusive('conversion', async (signal) => {
      const { manifest, packUrl } = await convertModel(this.store, request, {
        signal,
        onProgress: (p) => callbacks.onProgress?.(p),
      });
      const status = await modelStatus(this.store.store, manifest);
      return modelInfo({ id: manifest.name, packUrl, manifest, offline: false }, status);
    });
  }

  addPack(url: string, callbacks: DownloadCallbacks = {}): Promise<ModelInfo> {
    return this.exclusive('download', async (signal) => {
      const packUrl = packFolderUrl(url);
      const manifest = await fetchPackManifest(packUrl);
      await downloadPack(this.store, packUrl, manifest, {
        signal,
        onFileProgress: packProgress(manifest.name, manifest, (p) => callbacks.onProgress?.(p)),
      });
      const status = await modelStatus(this.store.store, manifest);
      return modelInfo({ id: manifest.name, packUrl, manifest, offline: false }, status);
    });
  }

  async cancel(): Promise<void> {
    this.running?.abort('cancelled');
  }

  private async exclusive<T>(what: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    await this.cancel();
    const abort = new AbortController();
    this.running = abort;
    try {
      return await work(abort.signal);
    } catch (error) {
      throw abort.signal.aborted && !hasErrorCode(error, 'E_ABORTED')
        ? new VarError('E_ABORTED', `The ${what} was cancelled; what was written is kept`)
        : error;
    } finally {
      if (this.running === abort) this.running = undefined;
    }
  }
}

/** A pack folder URL ending with "/": "…/var_d16-q4", "…/var_d16-q4/" and "…/var_d16-q4/manifest.json" alike. */
export function packFolderUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    throw new VarError('E_NETWORK', `"${url}" is not a URL`, { url });
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new VarError('E_NETWORK', `${url} is not an http(s) URL`, { url });
  }
  u.search = '';
  u.hash = '';
  if (u.pathname.endsWith('/manifest.json')) u.pathname = u.pathname.slice(0, -'manifest.json'.length);
  if (!u.pathname.endsWith('/')) u.pathname = `${u.pathname}/`;
  return u.href;
}
