import { describe, expect, it } from 'vitest';
import { checkGenerateParams, originAllowed, parseOrigins, readParentMessage } from './protocol';

describe('embed protocol: what the widget accepts from its parent', () => {
  it('reads well-formed generate and cancel requests, echoing the caller id', () => {
    expect(readParentMessage({ type: 'var-web:generate', id: 'a1', params: { classId: 207 } })).toEqual({
      type: 'var-web:generate',
      id: 'a1',
      params: { classId: 207 },
    });
    expect(readParentMessage({ type: 'var-web:cancel', id: 'a1', extra: 1 })).toEqual({
      type: 'var-web:cancel',
      id: 'a1',
    });
  });

  it.each([
    null,
    'var-web:generate',
    42,
    [],
    { type: 'var-web:generate' },
    { type: 'var-web:generate', id: 7 },
    { type: 'var-web:generate', id: '' },
    { type: 'var-web:generate', id: 'x'.repeat(201) },
    { type: 'var-web:ready', id: 'a' },
    { type: 'generate', id: 'a' },
    { type: 'var-web:GENERATE', id: 'a' },
  ])('ignores %j (no reply)', (data) => {
    expect(readParentMessage(data)).toBeNull();
  });

  it('fills what a generate leaves out with the official demo settings', () => {
    expect(checkGenerateParams({ classId: 207 })).toEqual({
      model: undefined,
      classId: 207,
      seed: 0,
      count: 1,
      cfg: 4,
      topK: 900,
      topP: 0.95,
      moreSmooth: false,
      backend: 'auto',
    });
  });

  it.each([
    [undefined, 'E_BAD_SETTINGS', /^params must be an object/],
    [{}, 'E_BAD_CLASS', /^classId must be an integer from 0 to 999, got undefined/],
    [{ classId: 1000 }, 'E_BAD_CLASS', /^classId must be an integer/],
    [{ classId: '207' }, 'E_BAD_CLASS', /got "207"/],
    [{ classId: 1, seed: -1 }, 'E_BAD_SETTINGS', /^seed must be an integer from 0 to 4294967295/],
    [{ classId: 1, count: 9 }, 'E_BAD_SETTINGS', /^count must be an integer from 1 to 8/],
    [{ classId: 1, cfg: Number.NaN }, 'E_BAD_SETTINGS', /^cfg must be a number from 0 to 50, got NaN/],
    [{ classId: 1, topK: 1.5 }, 'E_BAD_SETTINGS', /^topK must be an integer/],
    [{ classId: 1, topP: Number.POSITIVE_INFINITY }, 'E_BAD_SETTINGS', /^topP must be a number/],
    [{ classId: 1, moreSmooth: 'yes' }, 'E_BAD_SETTINGS', /^moreSmooth must be true or false/],
    [{ classId: 1, backend: 'cuda' }, 'E_BAD_SETTINGS', /^backend must be auto, webgpu or wasm/],
    [{ classId: 1, model: '../x' }, 'E_BAD_SETTINGS', /^model must be a model id/],
    [{ classId: 1, model: 'x'.repeat(1_000_000) }, 'E_BAD_SETTINGS', /^model must be a model id, got "x{39}…$/],
    [{ classId: 1, seed: 0xffffffff, count: 2 }, 'E_BAD_SETTINGS', /seed \+ count must stay below 2\^32/],
  ])('refuses %j with %s naming the field', (params, code, message) => {
    const checked = checkGenerateParams(params);
    expect(checked).toMatchObject({ code });
    expect((checked as { message: string }).message).toMatch(message);
  });

  it('allows the listed exact origins only, or any parent without origins=', () => {
    const allowed = parseOrigins('https://blog.example, http://127.0.0.1:8080,not an origin,https://a.example/path');
    expect(allowed).toEqual(['https://blog.example', 'http://127.0.0.1:8080']);
    expect(originAllowed('https://blog.example', allowed)).toBe(true);
    expect(originAllowed('https://evil.example', allowed)).toBe(false);
    expect(originAllowed('https://blog.example.evil.example', allowed)).toBe(false);
    expect(originAllowed('https://anyone.example', parseOrigins(null))).toBe(true);
    expect(originAllowed('https://anyone.example', parseOrigins(''))).toBe(false);
  });
});
