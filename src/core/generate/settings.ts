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

export function validateSampling(options: SamplingOptions, vocabSize: number): void {
  const bad = (what: string) => new VarError('E_BAD_SETTINGS', what, { ...options });
  if (!Number.isFinite(options.cfg) || options.cfg < 0 || options.cfg > MAX_CFG) {
    throw bad(`cfg must be between 0 and ${MAX_CFG}, got ${options.cfg}`);
  }
  if (!Number.isInteger(options.topK) || options.topK < 0 || options.topK > vocabSize) {
    throw bad(`top-k must be an integer from 0 (off) to ${vocabSize}, got ${options.topK}`);
  }
  if (!Number.isFinite(options.topP) || options.topP < 0 || options.topP > 1) {
    throw bad(`top-p must be between 0 (off) and 1, got ${options.topP}`);
  }
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffffffff) {
    throw bad(`seed must be an integer from 0 to 4294967295, got ${options.seed}`);
  }
}
