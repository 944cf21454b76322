// What one Generate press asks for: the page's settings, their defaults, presets and limits (pure, no DOM).

import type { BackendChoice, GenerateParams } from '../shared/engine-api';
import { DEMO_DEFAULTS, FID_PRESET, MAX_CFG } from '../shared/sampling-presets';

export interface RunSettings {
  /** null: the page picks its default model once the models index is known. */
  readonly modelId: string | null;
  readonly classId: number;
  readonly seed: number;
  /** Draw a fresh seed for every run (the field then shows the seed that was used). */
  readonly randomSeed: boolean;
  readonly count: number;
  readonly cfg: number;
  readonly topK: number;
  readonly topP: number;
  readonly moreSmooth: boolean;
  readonly backend: BackendChoice;
}

export type Sampling = Pick<RunSettings, 'cfg' | 'topK' | 'topP' | 'moreSmooth'>;

interface Range {
  readonly min: number;
  readonly max: number;
  /** Whole numbers only (rounded). */
  readonly integer: boolean;
}

/** The engine's limits (src/core/generate/settings.ts validates the same; top-k's bound is VAR's vocabulary, 4096). */
export const LIMITS = Object.freeze({
  classId: { min: 0, max: 999, integer: true },
  seed: { min: 0, max: 0xffffffff, integer: true },
  count: { min: 1, max: 8, integer: true },
  cfg: { min: 0, max: MAX_CFG, integer: false },
  topK: { min: 0, max: 4096, integer: true },
  topP: { min: 0, max: 1, integer: false },
} satisfies Record<string, Range>);

/** The official demo_sample.ipynb settings and the README's FID preset (src/shared, the same values the CLI uses). */
export const DEMO_SAMPLING: Sampling = DEMO_DEFAULTS;
export const FID_SAMPLING: Sampling = FID_PRESET;

export const BACKENDS: readonly BackendChoice[] = Object.freeze(['auto', 'webgpu', 'wasm']);

/** Class 207 (golden retriever) and seed 0, as in the official demo's first sample. */
export const DEFAULT_SETTINGS: RunSettings = Object.freeze({
  modelId: null,
  classId: 207,
  seed: 0,
  randomSeed: false,
  count: 1,
  ...DEMO_SAMPLING,
  backend: 'auto',
});

/** `value` clamped into `range` (rounded for integer ranges); NaN and infinities give `fallback`. */
export function clampTo(value: number, range: Range, fallback: number): number {
  if (!Number.isFinite(value)) return fallback;
  const v = range.integer ? Math.round(value) : value;
  return Math.min(range.max, Math.max(range.min, v));
}

/** Image i of a run uses seed + i, so the first seed leaves room for the others below 2^32. */
export function maxSeed(count: number): number {
  return LIMITS.seed.max - (count - 1);
}

/** Every field inside its limits; anything unusable falls back to `defaults`. */
export function normaliseSettings(s: RunSettings, defaults: RunSettings = DEFAULT_SETTINGS): RunSettings {
  const count = clampTo(s.count, LIMITS.count, defaults.count);
  return {
    modelId: s.modelId,
    classId: clampTo(s.classId, LIMITS.classId, defaults.classId),
    seed: clampTo(s.seed, { ...LIMITS.seed, max: maxSeed(count) }, defaults.seed),
    randomSeed: s.randomSeed,
    count,
    cfg: clampTo(s.cfg, LIMITS.cfg, defaults.cfg),
    topK: clampTo(s.topK, LIMITS.topK, defaults.topK),
    topP: clampTo(s.topP, LIMITS.topP, defaults.topP),
    moreSmooth: s.moreSmooth,
    backend: BACKENDS.includes(s.backend) ? s.backend : defaults.backend,
  };
}

/** A seed short enough to read and type (0 … 999 999); `random` returns [0, 1) like Math.random. */
export function drawSeed(random: () => number = Math.random): number {
  return Math.min(999_999, Math.floor(random() * 1_000_000));
}

export function samplingEquals(a: Sampling, b: Sampling): boolean {
  return a.cfg === b.cfg && a.topK === b.topK && a.topP === b.topP && a.moreSmooth === b.moreSmooth;
}

export function toGenerateParams(s: RunSettings, modelId: string): GenerateParams {
  return {
    modelId,
    classId: s.classId,
    count: s.count,
    seed: s.seed,
    cfg: s.cfg,
    topK: s.topK,
    topP: s.topP,
    moreSmooth: s.moreSmooth,
    backend: s.backend,
  };
}
