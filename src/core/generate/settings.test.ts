// validateSettings: the one check of a generation request shared by the pipeline, the CLI and the engine.
import { describe, expect, it } from 'vitest';
import { errorOf } from '../../testing/fixtures';
import { type GenerationSettings, MAX_SEED, type SettingsLimits, validateSettings } from './settings';

const OK: GenerationSettings = { cfg: 4, topK: 900, topP: 0.95, moreSmooth: false, seed: 0, labels: [207] };
const LIMITS: SettingsLimits = { vocabSize: 4096, numClasses: 1000, maxImages: 8 };
const NON_FINITE = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];

/** The error for `change` applied to a valid request: E_BAD_SETTINGS whose message starts with the field's name. */
function expectBad(change: Partial<GenerationSettings>, field: string, limits: SettingsLimits = LIMITS): void {
  const error = errorOf(() => validateSettings({ ...OK, ...change }, limits));
  expect(error.code, JSON.stringify(change)).toBe('E_BAD_SETTINGS');
  expect(error.message.startsWith(`${field} must be`), error.message).toBe(true);
  expect(error.details).toMatchObject({ field });
}

describe('validateSettings', () => {
  it('accepts every field at both ends of its range', () => {
    const edges: Partial<GenerationSettings>[] = [
      { cfg: 0 },
      { cfg: 50 },
      { topK: 0 },
      { topK: 4096 },
      { topP: 0 },
      { topP: 1 },
      { seed: 0 },
      { seed: MAX_SEED },
      { moreSmooth: true },
      { count: 1 },
      { count: 8 },
      { labels: [0, 999] },
      { labels: [1, 2, 3, 4, 5, 6, 7, 8] },
    ];
    for (const change of edges) expect(() => validateSettings({ ...OK, ...change }, LIMITS)).not.toThrow();
    // Without limits (the engine before the pack is open): no upper bound on top-k, labels or images.
    expect(() => validateSettings({ ...OK, topK: 10_000, labels: [5000], count: 100 })).not.toThrow();
  });

  it('cfg: NaN, ±∞, negative, above 50', () => {
    for (const cfg of [...NON_FINITE, -1, -Number.MIN_VALUE, 50.001]) expectBad({ cfg }, 'cfg');
  });

  it('topK: NaN, ±∞, negative, non-integer, above the vocabulary', () => {
    for (const topK of [...NON_FINITE, -1, 1.5, 4097]) expectBad({ topK }, 'topK');
    expectBad({ topK: 2.5 }, 'topK', {});
  });

  it('topP: NaN, ±∞, negative, above 1', () => {
    for (const topP of [...NON_FINITE, -0.01, 1.01]) expectBad({ topP }, 'topP');
  });

  it('seed: NaN, ±∞, negative, non-integer, 2³² and above', () => {
    for (const seed of [...NON_FINITE, -1, 0.5, MAX_SEED + 1]) expectBad({ seed }, 'seed');
  });

  it('moreSmooth: anything but a boolean (JSON and share links can carry strings)', () => {
    expectBad({ moreSmooth: 'true' as unknown as boolean }, 'moreSmooth');
    expectBad({ moreSmooth: 1 as unknown as boolean }, 'moreSmooth');
  });

  it('count (image count): NaN, ±∞, 0, negative, non-integer, above the caller’s limit', () => {
    for (const count of [...NON_FINITE, 0, -1, 1.5, 9]) expectBad({ count }, 'count');
    expectBad({ count: 0 }, 'count', {});
  });

  it('labels: an empty list, more than the image limit, NaN, ±∞, negative or non-integer ids (named by index)', () => {
    expectBad({ labels: [] }, 'labels');
    expectBad({ labels: [] }, 'labels', {});
    expectBad({ labels: [0, 1, 2, 3, 4, 5, 6, 7, 8] }, 'labels');
    for (const label of [...NON_FINITE, -1, 2.5]) expectBad({ labels: [3, label] }, 'labels[1]');
  });

  it('a label the model does not have is E_BAD_CLASS (not a malformed setting)', () => {
    const error = errorOf(() => validateSettings({ ...OK, labels: [0, 1000] }, LIMITS));
    expect(error.code).toBe('E_BAD_CLASS');
    expect(error.message).toMatch(/1000 is outside 0…999/);
  });

  it('checks the engine’s form (one class, `count` images) before any model is loaded', () => {
    // workers/engine/engine.ts: validateSettings({ ...params, labels: [params.classId] }, { maxImages: 8 })
    const params = {
      modelId: 'tiny',
      classId: 207,
      count: 2,
      seed: 1,
      cfg: 4,
      topK: 900,
      topP: 0.95,
      moreSmooth: false,
    };
    const engine = (change: object) => () =>
      validateSettings({ ...params, ...change, labels: [{ ...params, ...change }.classId] }, { maxImages: 8 });
    expect(engine({})).not.toThrow();
    for (const [change, field] of [
      [{ count: 9 }, 'count'],
      [{ count: 0 }, 'count'],
      [{ classId: -1 }, 'labels[0]'],
      [{ classId: 1.5 }, 'labels[0]'],
      [{ seed: -3 }, 'seed'],
      [{ topK: Number.NaN }, 'topK'],
    ] as const) {
      const error = errorOf(engine(change));
      expect(error.code).toBe('E_BAD_SETTINGS');
      expect(error.details).toMatchObject({ field });
    }
  });
});
