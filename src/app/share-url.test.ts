// Share links: a round trip reproduces the run's settings; missing, invalid and out-of-range values fall back.
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, FID_SAMPLING, type RunSettings } from './run-settings';
import { parseSettingsQuery, settingsQuery, shareUrl, withoutAutorun } from './share-url';

const custom: RunSettings = {
  modelId: 'var_d16',
  classId: 980,
  seed: 1234,
  randomSeed: false,
  count: 3,
  cfg: 1.5,
  topK: 600,
  topP: 0.96,
  moreSmooth: true,
  backend: 'wasm',
};

describe('settings query', () => {
  it('round-trips every setting', () => {
    const parsed = parseSettingsQuery(settingsQuery(custom));
    expect(parsed.settings).toEqual(custom);
    expect(parsed.autorun).toBe(false);
    expect(parsed.notes).toEqual([]);
  });

  it('round-trips a random seed and autorun', () => {
    const parsed = parseSettingsQuery(settingsQuery({ ...custom, randomSeed: true }, { autorun: true }));
    expect(parsed.settings.randomSeed).toBe(true);
    expect(parsed.autorun).toBe(true);
  });

  it('gives the defaults (the official demo) for an empty query', () => {
    const parsed = parseSettingsQuery('');
    expect(parsed.settings).toEqual(DEFAULT_SETTINGS);
    expect(parsed.settings).toMatchObject({ cfg: 4, topK: 900, topP: 0.95, moreSmooth: false, classId: 207 });
    expect(parsed.autorun).toBe(false);
  });

  it('fills what is missing from the given defaults', () => {
    const defaults = { ...DEFAULT_SETTINGS, ...FID_SAMPLING };
    expect(parseSettingsQuery('?class=1', defaults).settings).toEqual({ ...defaults, classId: 1 });
  });

  it('takes a class by name or synonym, and ignores unknown or ambiguous ones', () => {
    expect(parseSettingsQuery('class=golden%20retriever').settings.classId).toBe(207);
    expect(parseSettingsQuery('class=volcano').settings.classId).toBe(980);
    const unknown = parseSettingsQuery('class=unicorn');
    expect(unknown.settings.classId).toBe(DEFAULT_SETTINGS.classId);
    expect(unknown.notes).toEqual(['class=unicorn is not one ImageNet class: ignored']);
    expect(parseSettingsQuery('class=crane').settings.classId).toBe(DEFAULT_SETTINGS.classId);
    expect(parseSettingsQuery('class=1000').settings.classId).toBe(DEFAULT_SETTINGS.classId);
  });

  it('clamps out-of-range numbers and says so', () => {
    const parsed = parseSettingsQuery('cfg=99&top_k=-5&top_p=3&count=20&seed=5000000000');
    expect(parsed.settings).toMatchObject({ cfg: 50, topK: 0, topP: 1, count: 8 });
    // count 8 uses seeds seed … seed+7, all below 2^32.
    expect(parsed.settings.seed).toBe(0xffffffff - 7);
    expect(parsed.notes).toContain('top_p=3 → 1');
    expect(parsed.notes).toContain('count=20 → 8');
  });

  it('rounds integer settings', () => {
    expect(parseSettingsQuery('top_k=899.6&count=2.2&seed=7.5').settings).toMatchObject({
      topK: 900,
      count: 2,
      seed: 8,
    });
  });

  it('ignores values that are not plain numbers, flags or known names', () => {
    const parsed = parseSettingsQuery(
      'cfg=abc&top_k=0x10&top_p=Infinity&seed=&count=1e999&more_smooth=maybe&backend=cuda&model=../x&autorun=sure',
    );
    expect(parsed.settings).toEqual(DEFAULT_SETTINGS);
    expect(parsed.autorun).toBe(false);
    expect(parsed.notes).toHaveLength(9);
  });

  it('takes the first of a duplicated parameter (URLSearchParams.get), whatever follows', () => {
    const parsed = parseSettingsQuery('seed=5&seed=9&cfg=2&cfg=abc&model=a&model=b');
    expect(parsed.settings).toMatchObject({ seed: 5, cfg: 2, modelId: 'a' });
  });

  it('survives huge links: long values, many parameters, and huge numbers, quickly and without throwing', () => {
    const long = 'x'.repeat(200_000);
    const many = Array.from({ length: 10_000 }, (_, i) => `p${i}=${i}`).join('&');
    const t0 = performance.now();
    const parsed = parseSettingsQuery(`class=${long}&model=${long}&seed=${'9'.repeat(5000)}&cfg=1e308&${many}`);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(parsed.settings).toMatchObject({ classId: DEFAULT_SETTINGS.classId, cfg: 50 });
    expect(parsed.settings.seed).toBeLessThanOrEqual(0xffffffff);
    expect(parsed.settings.modelId).toBe(DEFAULT_SETTINGS.modelId);
    // The notes quote the bad values shortened, so the page does not print 200 kB of them.
    expect(parsed.notes.join(' ').length).toBeLessThan(1000);
    expect(parsed.notes).toContain(`class=${'x'.repeat(40)}… is not one ImageNet class: ignored`);
  });

  it('reads flags in several spellings', () => {
    expect(parseSettingsQuery('more_smooth=true&autorun=yes').settings.moreSmooth).toBe(true);
    expect(parseSettingsQuery('more_smooth=on').settings.moreSmooth).toBe(true);
    expect(parseSettingsQuery('more_smooth=0').settings.moreSmooth).toBe(false);
    expect(parseSettingsQuery('autorun=1').autorun).toBe(true);
  });

  it('fixes the seed when one is given, and draws one per run for seed=random', () => {
    const random = { ...DEFAULT_SETTINGS, randomSeed: true };
    expect(parseSettingsQuery('seed=42', random).settings).toMatchObject({ seed: 42, randomSeed: false });
    expect(parseSettingsQuery('seed=random').settings.randomSeed).toBe(true);
    expect(parseSettingsQuery('seed=oops', random).settings.randomSeed).toBe(true);
  });

  it('accepts backends case-insensitively', () => {
    expect(parseSettingsQuery('backend=WebGPU').settings.backend).toBe('webgpu');
  });
});

describe('share links', () => {
  it("reproduce one image: its own seed, one image, autorun, the page's path", () => {
    const url = shareUrl('https://example.org/var/?class=1&x=2#top', custom, 1236);
    const parsed = new URL(url);
    expect(parsed.origin + parsed.pathname).toBe('https://example.org/var/');
    expect(parsed.hash).toBe('');
    expect(parsed.searchParams.get('x')).toBeNull();
    const back = parseSettingsQuery(parsed.search);
    expect(back.autorun).toBe(true);
    expect(back.settings).toEqual({ ...custom, seed: 1236, count: 1 });
  });

  it('spell parameters as the official code does', () => {
    const url = new URL(shareUrl('http://127.0.0.1:4173/', custom, 7));
    expect([...url.searchParams.keys()]).toEqual([
      'model',
      'class',
      'seed',
      'count',
      'cfg',
      'top_k',
      'top_p',
      'more_smooth',
      'backend',
      'autorun',
    ]);
    expect(url.searchParams.get('more_smooth')).toBe('1');
  });

  it('keep the page parameters they are told to', () => {
    const url = new URL(shareUrl('http://127.0.0.1:4173/?lang=fr&debug=1', custom, 7, ['lang']));
    expect(url.searchParams.get('lang')).toBe('fr');
    expect(url.searchParams.get('debug')).toBeNull();
  });

  it('drop autorun from the address after it was used', () => {
    expect(withoutAutorun('http://h/?class=3&autorun=1')).toBe('http://h/?class=3');
  });
});
