import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { PackFile, PackManifest } from '../../src/core/pack/manifest';
import { VarError } from '../../src/shared/errors';
import { freshStore, testFile, testManifest } from '../../src/testing/store/store-fixtures';
import { ModelCatalog } from './model-catalog';
import type { IndexedModel, ModelsSource } from './models-index';
import type { ModelStore } from './store/model-store';

const INDEX = 'http://models.test/models/index.json';
const fileA = testFile('a.bin', 1000);
const fileB = testFile('b.bin', 3000);
// The catalog reads label, files and the pack fields ModelInfo carries; pack a has the edit graphs, b (a pack
// converted before editing existed) does not.
const graph = (name: string) => ({ path: `${name}.onnx` }) as unknown as PackManifest['graphs']['decoder'];
const fields = { imageSize: 256, patchNums: [1, 2], numClasses: 1000 };
const pack = (name: string, file: PackFile, graphs: Partial<PackManifest['graphs']>): PackManifest =>
  ({ ...testManifest(name, [file]), ...fields, graphs }) as unknown as PackManifest;
const packA = pack('a', fileA.entry, {
  decoder: graph('decoder'),
  encoder: graph('encoder'),
  tokenizer: graph('tokenizer'),
});
const packB = pack('b', fileB.entry, { decoder: graph('decoder') });

/** The network's index: `online` lists both packs, otherwise it fails as fetch does offline. */
function source(state: { online: boolean }): ModelsSource {
  return {
    indexUrl: () => INDEX,
    list: async (): Promise<IndexedModel[]> => {
      if (!state.online) throw new VarError('E_NETWORK', `Could not reach ${INDEX}: Failed to fetch`);
      return [packA, packB].map((m) => ({ id: m.name, packUrl: `http://models.test/models/${m.name}/`, manifest: m }));
    },
  };
}

/** Marks `manifest` stored: every file complete (as a verified download leaves it), or only its first chunk. */
async function store(s: ModelStore, manifest: PackManifest, complete: boolean): Promise<void> {
  await s.putManifest(`http://models.test/models/${manifest.name}/`, manifest);
  for (const f of manifest.files) {
    if (complete) await s.putFile({ sha256: f.sha256, bytes: f.bytes, chunkBytes: s.chunkBytes, completedAt: 1 });
    else await s.putChunk(f.sha256, 0, new Uint8Array(s.chunkBytes), new Uint8Array(0));
  }
}

describe('ModelCatalog', () => {
  let s: ModelStore;
  const state = { online: true };
  beforeEach(() => {
    s = freshStore({ chunkBytes: 1024 });
    state.online = true;
  });

  it('online: the index order, each with what the store holds', async () => {
    await store(s, packB, false);
    const models = await new ModelCatalog(source(state), s).list();
    expect(models.map((m) => [m.id, m.offline, m.download])).toEqual([
      ['a', false, { state: 'not-downloaded', storedBytes: 0, totalBytes: 1000 }],
      ['b', false, { state: 'partial', storedBytes: 1024, totalBytes: 3000 }],
    ]);
  });

  it('a model can edit when its manifest names the encoder and tokenizer graphs', async () => {
    const models = await new ModelCatalog(source(state), s).list();
    expect(models.map((m) => [m.id, m.canEdit])).toEqual([
      ['a', true],
      ['b', false],
    ]);
  });

  it('offline: only the models complete in the store, marked offline, with their stored pack URL', async () => {
    await store(s, packA, true);
    await store(s, packB, false);
    state.online = false;
    const catalog = new ModelCatalog(source(state), s);
    const models = await catalog.list();
    expect(models.map((m) => [m.id, m.offline, m.download.state, m.url])).toEqual([
      ['a', true, 'downloaded', 'http://models.test/models/a/'],
    ]);
    expect((await catalog.find('a')).manifest).toEqual(packA);
  });

  it('offline, a model that is not complete is "not available offline" (E_NETWORK), saying how much is stored', async () => {
    await store(s, packB, false);
    state.online = false;
    const catalog = new ModelCatalog(source(state), s);
    await expect(catalog.find('b')).rejects.toMatchObject({
      code: 'E_NETWORK',
      message: expect.stringMatching(/^Model b is not available offline \(34 % of it is downloaded\)/),
    });
    await expect(catalog.find('var_d16')).rejects.toMatchObject({
      code: 'E_NETWORK',
      message: expect.stringContaining('var_d16 is not available offline'),
    });
  });

  it('online, models added to the store that the index does not list come after the index, findable', async () => {
    const fileC = testFile('c.bin', 500);
    const added = pack('var_d2', fileC.entry, packB.graphs);
    await s.putManifest('converted:/var_d2/', added);
    await s.putFile({ sha256: fileC.entry.sha256, bytes: 500, chunkBytes: s.chunkBytes, completedAt: 1 });
    await store(s, packA, true); // in the index too: listed once, in the index's place
    const catalog = new ModelCatalog(source(state), s);
    const models = await catalog.list();
    expect(models.map((m) => [m.id, m.offline, m.download.state, m.url])).toEqual([
      ['a', false, 'downloaded', 'http://models.test/models/a/'],
      ['b', false, 'not-downloaded', 'http://models.test/models/b/'],
      ['var_d2', false, 'downloaded', 'converted:/var_d2/'],
    ]);
    expect((await catalog.find('var_d2')).packUrl).toBe('converted:/var_d2/');
  });

  it('online, a model the index does not list is E_UNKNOWN_MODEL naming the index', async () => {
    await expect(new ModelCatalog(source(state), s).find('var_d16')).rejects.toMatchObject({
      code: 'E_UNKNOWN_MODEL',
      message: expect.stringContaining(INDEX),
    });
  });

  it('an index that is not a network failure (a broken index) is not hidden by the store', async () => {
    const broken: ModelsSource = {
      indexUrl: () => INDEX,
      list: async () => {
        throw new VarError('E_PACK_FORMAT', `${INDEX} is not JSON`);
      },
    };
    await store(s, packA, true);
    await expect(new ModelCatalog(broken, s).list()).rejects.toMatchObject({ code: 'E_PACK_FORMAT' });
  });
});
