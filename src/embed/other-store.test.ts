// The widget reads the app's store through another IDBFactory (a StorageAccessHandle's) and the engine copies what it
// finds: here fake-indexeddb's factory stands in for the handle's, holding a store the engine's own code wrote, so
// the names (src/shared/store-names.ts) and record shapes are the engine's.
import 'fake-indexeddb/auto';
import { beforeAll, describe, expect, it } from 'vitest';
import { importStoredModel } from '../../workers/engine/import-stored-model';
import { ModelCatalog } from '../../workers/engine/model-catalog';
import type { IndexedModel } from '../../workers/engine/models-index';
import { importFile } from '../../workers/engine/store/import-file';
import { ModelStore } from '../../workers/engine/store/model-store';
import { readVerifiedFile } from '../../workers/engine/store/read-verified';
import { planPack } from '../core/pack/build-pack';
import type { PackManifest } from '../core/pack/manifest';
import { sameBytes, type TestFile, testFile, unlimitedQuota } from '../testing/store/store-fixtures';
import { openOtherStore } from './other-store';

let stores = 0;
const store = (chunkBytes: number) => {
  stores++;
  return { namespace: `other-store-test-${process.pid}-${stores}`, chunkBytes };
};

let manifest: PackManifest;
let files: TestFile[];

beforeAll(async () => {
  // A real manifest (micro architecture, planned only) whose files are small random ones under the same paths.
  const plan = await planPack({ kind: 'synthetic', architecture: 'micro' });
  // (The codebook's size is checked against the config: it keeps its own.)
  files = plan.files.map((f, i) =>
    testFile(f.path, f.path === plan.manifest.codebook.path ? f.byteLength : 1000 + i * 70_001),
  );
  manifest = { ...plan.manifest, name: 'micro-copy', label: 'Micro copy', files: files.map((f) => f.entry) };
});

/** The app's store: every file complete (written by the engine's own import from memory), and the manifest. */
async function appStore(namespace: string, chunkBytes: number, only = files.length): Promise<ModelStore> {
  const app = new ModelStore({ namespace, chunkBytes });
  for (const f of files.slice(0, only)) {
    const source = {
      fileInfo: async () => ({ bytes: f.entry.bytes, chunkBytes }),
      chunk: async (_: string, i: number) => f.bytes.slice(i * chunkBytes, (i + 1) * chunkBytes).buffer,
    };
    await importFile({ store: app, estimate: unlimitedQuota }, f.entry, source);
  }
  await app.putManifest('http://app.test/models/micro-copy/', manifest);
  return app;
}

/** The widget's models index listing the same model (its own folder URL). */
const listedCopy = (): IndexedModel => ({
  id: 'micro-copy',
  packUrl: 'http://widget.test/models/micro-copy/',
  manifest,
});

function catalog(target: ModelStore, indexed: IndexedModel[] = []): ModelCatalog {
  return new ModelCatalog({ list: async () => indexed, indexUrl: () => 'http://app.test/models/index.json' }, target);
}

describe('openOtherStore + importStoredModel', () => {
  it('finds nothing where no store exists, and creates no database while looking', async () => {
    const { namespace } = store(64 * 1024);
    expect(await openOtherStore(indexedDB, namespace)).toBeUndefined();
    const names = (await indexedDB.databases()).map((d) => d.name);
    expect(names.filter((n) => n?.startsWith(namespace))).toEqual([]);
  });

  it('copies a pack the catalog lists, verified, into a store of another chunk size', async () => {
    const app = store(64 * 1024);
    await appStore(app.namespace, app.chunkBytes);
    const other = await openOtherStore(indexedDB, app.namespace);
    if (!other) throw new Error('the app store was not found');
    const packs = await other.packs();
    expect(packs.map((p) => [p.name, p.packUrl])).toEqual([['micro-copy', 'http://app.test/models/micro-copy/']]);

    const target = new ModelStore(store(16 * 1024));
    const ctx = { store: target, estimate: unlimitedQuota };
    const result = await importStoredModel(ctx, catalog(target, [listedCopy()]), packs[0] as (typeof packs)[0], other);
    expect(result.outcome).toBe('imported');
    expect(result.copiedBytes).toBe(files.reduce((n, f) => n + f.entry.bytes, 0));
    expect(result.model?.download.state).toBe('downloaded');
    expect(result.model?.url).toBe('http://widget.test/models/micro-copy/');
    for (const f of files) expect(sameBytes(await readVerifiedFile(target, f.entry), f.bytes)).toBe(true);
    expect((await target.getManifest('micro-copy'))?.manifest).toEqual(manifest);
    other.close();
  });

  it('a model the index lists: stored under the index’s folder; another version of it is not copied', async () => {
    const app = store(64 * 1024);
    await appStore(app.namespace, app.chunkBytes);
    const other = await openOtherStore(indexedDB, app.namespace);
    if (!other) throw new Error('the app store was not found');
    const [pack] = await other.packs();
    if (!pack) throw new Error('no pack');

    const target = new ModelStore(store(64 * 1024));
    const ctx = { store: target, estimate: unlimitedQuota };
    const listed = { id: 'micro-copy', packUrl: 'http://widget.test/models/micro-copy/', manifest };
    const same = await importStoredModel(ctx, catalog(target, [listed]), pack, other);
    expect([same.outcome, same.model?.url]).toEqual(['imported', 'http://widget.test/models/micro-copy/']);

    const target2 = new ModelStore(store(64 * 1024));
    const newer = { ...listed, manifest: { ...manifest, files: [...manifest.files.slice(1), testFile('x', 5).entry] } };
    const result = await importStoredModel(
      { store: target2, estimate: unlimitedQuota },
      catalog(target2, [newer]),
      pack,
      other,
    );
    expect(result).toEqual({ outcome: 'other-version', copiedBytes: 0, model: undefined });
    expect(await target2.listManifests()).toEqual([]);
    other.close();
  });

  it('a pack stored only in part there: the complete files are copied, the model is partial', async () => {
    const app = store(64 * 1024);
    await appStore(app.namespace, app.chunkBytes, 2);
    const other = await openOtherStore(indexedDB, app.namespace);
    if (!other) throw new Error('the app store was not found');
    const [pack] = await other.packs();
    if (!pack) throw new Error('no pack');
    const target = new ModelStore(store(64 * 1024));
    const result = await importStoredModel(
      { store: target, estimate: unlimitedQuota },
      catalog(target, [listedCopy()]),
      pack,
      other,
    );
    expect(result.outcome).toBe('incomplete');
    expect(result.model?.download.state).toBe('partial');
    expect(result.copiedBytes).toBe((files[0]?.entry.bytes ?? 0) + (files[1]?.entry.bytes ?? 0));
    other.close();
  });

  it('a pack the widget’s index does not list (added or converted on the app’s page) is not copied', async () => {
    const app = store(64 * 1024);
    await appStore(app.namespace, app.chunkBytes);
    const other = await openOtherStore(indexedDB, app.namespace);
    if (!other) throw new Error('the app store was not found');
    const [pack] = await other.packs();
    if (!pack) throw new Error('no pack');
    const target = new ModelStore(store(64 * 1024));
    const result = await importStoredModel({ store: target, estimate: unlimitedQuota }, catalog(target), pack, other);
    expect(result).toEqual({ outcome: 'not-listed', copiedBytes: 0, model: undefined });
    expect(await target.listManifests()).toEqual([]);
    expect((await target.fileShas()).size).toBe(0);
    other.close();
  });

  it('a record that is not a pack manifest is refused (E_PACK_FORMAT) and nothing is written', async () => {
    const target = new ModelStore(store(64 * 1024));
    const source = { fileInfo: async () => undefined, chunk: async () => undefined };
    await expect(
      importStoredModel(
        { store: target, estimate: unlimitedQuota },
        catalog(target),
        { name: 'x', packUrl: 'http://app.test/', manifest: { format: 'something else' } },
        source,
      ),
    ).rejects.toMatchObject({ code: 'E_PACK_FORMAT' });
    expect(await target.listManifests()).toEqual([]);
  });
});
