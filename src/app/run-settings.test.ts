// Run settings: limits, the seed range of multi-image runs, presets and the engine's parameters.
import { describe, expect, it } from 'vitest';
import {
  clampTo,
  DEFAULT_SETTINGS,
  DEMO_SAMPLING,
  drawSeed,
  FID_SAMPLING,
  LIMITS,
  maxSeed,
  normaliseSettings,
  samplingEquals,
  toGenerateParams,
} from './run-settings';

describe('run settings', () => {
  it('default to the official demo and the FID preset to the README', () => {
    expect(DEMO_SAMPLING).toEqual({ cfg: 4, topK: 900, topP: 0.95, moreSmooth: false });
    expect(FID_SAMPLING).toEqual({ cfg: 1.5, topK: 900, topP: 0.96, moreSmooth: false });
    expect(samplingEquals(DEFAULT_SETTINGS, DEMO_SAMPLING)).toBe(true);
    expect(samplingEquals(DEFAULT_SETTINGS, FID_SAMPLING)).toBe(false);
  });

  it('clamp, round and replace unusable numbers', () => {
    expect(clampTo(2.6, LIMITS.count, 1)).toBe(3);
    expect(clampTo(0.123, LIMITS.topP, 0.95)).toBe(0.123);
    expect(clampTo(Number.NaN, LIMITS.cfg, 4)).toBe(4);
    expect(clampTo(Number.POSITIVE_INFINITY, LIMITS.cfg, 4)).toBe(4);
    expect(clampTo(-1, LIMITS.topK, 900)).toBe(0);
  });

  it('keep seed + count − 1 within 32 bits', () => {
    expect(maxSeed(1)).toBe(0xffffffff);
    expect(maxSeed(8)).toBe(0xffffffff - 7);
    expect(normaliseSettings({ ...DEFAULT_SETTINGS, seed: 0xffffffff, count: 4 }).seed).toBe(0xffffffff - 3);
  });

  it('normalise every field', () => {
    const bad = {
      ...DEFAULT_SETTINGS,
      classId: 1200,
      count: 0,
      cfg: Number.NaN,
      topK: 5000,
      topP: -0.5,
      backend: 'cuda' as 'auto',
    };
    expect(normaliseSettings(bad)).toEqual({ ...DEFAULT_SETTINGS, classId: 999, count: 1, topK: 4096, topP: 0 });
  });

  it('draw readable seeds', () => {
    expect(drawSeed(() => 0)).toBe(0);
    expect(drawSeed(() => 0.5)).toBe(500_000);
    expect(drawSeed(() => 0.9999999999)).toBe(999_999);
  });

  it('become the engine parameters', () => {
    expect(toGenerateParams({ ...DEFAULT_SETTINGS, randomSeed: true, seed: 5 }, 'tiny')).toEqual({
      modelId: 'tiny',
      classId: 207,
      count: 1,
      seed: 5,
      cfg: 4,
      topK: 900,
      topP: 0.95,
      moreSmooth: false,
      backend: 'auto',
    });
  });
});
