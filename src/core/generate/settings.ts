// Sampling settings: the official demo's defaults, the README's FID preset, and their validation.

import { VarError } from '../../shared/errors';
import { MAX_CFG } from '../../shared/sampling-presets';

export interface SamplingOptions {
  /** Classifier-free guidance: t = cfg·si/(SN−1); logits = (1+t)·cond − t·uncond. 0 = no guidance. */
  readonly cfg: number;
  /** Keep the k most likely tokens (ties kept); 0 = off. */
  readonly topK: number;
  /** Nucleus sampling; 0 = off. */
  readonly topP: number;
  /** Gumbel-softmax soft embeddings (official `more_smooth`). */
  readonly moreSmooth: boolean;
  /** Image b of a request samples with Rng(seed + b): seed s, image b and seed s + b, image 0 are the same image. */
  readonly seed: number;
}

export { DEMO_DEFAULTS, FID_PRESET, MAX_CFG } from '../../shared/sampling-presets';

/** Largest seed: the generator takes a 32-bit seed, and image b's seed (seed + b) wraps modulo 2³². */
export const MAX_SEED = 0xffffffff;

/** What one generation asks for: the sampling settings, one class label per image, and optionally the image count. */
export interface GenerationSettings extends SamplingOptions {
  readonly labels: readonly number[];
  /** Images asked for, where a caller states it apart from the labels (the engine: one class, `count` images). */
  readonly count?: number;
}

/** Bounds known to the caller: the model's vocabulary and classes once a pack is open, the caller's image limit. */
export interface SettingsLimits {
  /** top-k above V is meaningless (torch.topk raises); without a pack only "integer ≥ 0" is checked. */
  readonly vocabSize?: number;
  /** Labels ≥ numClasses are E_BAD_CLASS (a class this model does not have), not E_BAD_SETTINGS. */
  readonly numClasses?: number;
  readonly maxImages?: number;
}

/**
 * Checks every field of a request; the first bad one throws E_BAD_SETTINGS whose message starts with the field's name
 * (`details.field` names it too). The one shared check of the pipeline, the CLI and the engine, so that NaN, ±∞,
 * negative, fractional and out-of-range values never reach the sampler (where NaN comparisons are all false and
 * would silently turn a filter off).
 */
export function validateSettings(settings: GenerationSettings, limits: SettingsLimits = {}): void {
  const { vocabSize, numClasses, maxImages } = limits;
  const bad = (field: string, rule: string, value: unknown) =>
    new VarError('E_BAD_SETTINGS', `${field} must be ${rule}, got ${String(value)}`, { field, value: String(value) });

  if (!Number.isFinite(settings.cfg) || settings.cfg < 0 || settings.cfg > MAX_CFG) {
    throw bad('cfg', `between 0 and ${MAX_CFG}`, settings.cfg);
  }
  const kMax = vocabSize ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isInteger(settings.topK) || settings.topK < 0 || settings.topK > kMax) {
    throw bad(
      'topK',
      vocabSize === undefined ? 'an integer ≥ 0 (0 = off)' : `an integer from 0 (off) to ${kMax}`,
      settings.topK,
    );
  }
  if (!Number.isFinite(settings.topP) || settings.topP < 0 || settings.topP > 1) {
    throw bad('topP', 'between 0 (off) and 1', settings.topP);
  }
  if (!Number.isInteger(settings.seed) || settings.seed < 0 || settings.seed > MAX_SEED) {
    throw bad('seed', `an integer from 0 to ${MAX_SEED}`, settings.seed);
  }
  if (typeof settings.moreSmooth !== 'boolean') throw bad('moreSmooth', 'true or false', settings.moreSmooth);

  const imageRule = maxImages === undefined ? 'an integer ≥ 1' : `an integer from 1 to ${maxImages}`;
  const imageMax = maxImages ?? Number.MAX_SAFE_INTEGER;
  const { count, labels } = settings;
  if (count !== undefined && (!Number.isInteger(count) || count < 1 || count > imageMax)) {
    throw bad('count', imageRule, count);
  }
  if (labels.length < 1 || labels.length > imageMax) {
    const rule = `a list of ${maxImages === undefined ? '≥ 1' : `1 to ${maxImages}`} class ids`;
    throw bad('labels', rule, `${labels.length} labels`);
  }
  labels.forEach((label, i) => {
    if (!Number.isInteger(label) || label < 0) throw bad(`labels[${i}]`, 'a class id (an integer ≥ 0)', label);
    if (numClasses !== undefined && label >= numClasses) {
      throw new VarError('E_BAD_CLASS', `Class ${label} is outside 0…${numClasses - 1}`, { label });
    }
  });
}
