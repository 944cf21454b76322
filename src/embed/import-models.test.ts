import { describe, expect, it } from 'vitest';
import type { DownloadStatus, ModelInfo } from '../shared/engine-api';
import { VarError } from '../shared/errors';
import type { StoredPackRecord, StoreImportEngine, StoreImportResult } from '../shared/store-import';
import { importMissingModels } from './import-models';

const pack = (name: string): StoredPackRecord => ({ name, packUrl: `http://app.test/${name}/`, manifest: {} });
const model = (id: string, state: DownloadStatus['state']) =>
  ({ id, label: `Model ${id}`, download: { state, storedBytes: 0, totalBytes: 10 } }) as unknown as ModelInfo;
const source = { fileInfo: async () => undefined, chunk: async () => undefined };

function engine(answers: Record<string, StoreImportResult | Error>): StoreImportEngine & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async importStoredModel(p) {
      asked.push(p.name);
      const answer = answers[p.name];
      if (answer instanceof Error) throw answer;
      return answer ?? { outcome: 'other-version', copiedBytes: 0, model: undefined };
    },
  };
}

describe('importMissingModels', () => {
  it('asks only for the models the widget does not hold complete, and sums what was copied', async () => {
    const e = engine({
      a: { outcome: 'imported', copiedBytes: 5, model: model('a', 'downloaded') },
      c: { outcome: 'incomplete', copiedBytes: 2, model: model('c', 'partial') },
    });
    const summary = await importMissingModels(e, [pack('a'), pack('b'), pack('c'), pack('d'), pack('mine')], source, [
      model('a', 'partial'),
      model('b', 'downloaded'),
      model('c', 'not-downloaded'),
      model('d', 'not-downloaded'),
    ]);
    // 'mine' (a model added on the app's page, not listed by the widget) is never asked for.
    expect(e.asked).toEqual(['a', 'c', 'd']);
    expect(summary).toEqual({ imported: ['Model a'], incomplete: ['Model c'], copiedBytes: 7, error: undefined });
  });

  it('a refused pack is skipped; running out of space stops the rest and is what the person is told', async () => {
    const e = engine({
      a: new VarError('E_PACK_FORMAT', 'not a pack'),
      b: new VarError('E_QUOTA', 'no room'),
      c: { outcome: 'imported', copiedBytes: 1, model: model('c', 'downloaded') },
    });
    const none = (id: string) => model(id, 'not-downloaded');
    const summary = await importMissingModels(e, [pack('a'), pack('b'), pack('c')], source, [
      none('a'),
      none('b'),
      none('c'),
    ]);
    expect(e.asked).toEqual(['a', 'b']);
    expect(summary.error).toBe('no room');
    expect(summary.imported).toEqual([]);
  });
});
