// The official sampling settings, shared by the page, the worker and the CLIs so that they cannot drift apart.

export interface SamplingPreset {
  readonly cfg: number;
  readonly topK: number;
  readonly topP: number;
  readonly moreSmooth: boolean;
}

/** `demo_sample.ipynb`: cfg 4, top_k 900, top_p 0.95, more_smooth off. */
export const DEMO_DEFAULTS: SamplingPreset = Object.freeze({ cfg: 4, topK: 900, topP: 0.95, moreSmooth: false });

/** The official README's FID-evaluation settings: cfg 1.5, top_k 900, top_p 0.96. */
export const FID_PRESET: SamplingPreset = Object.freeze({ cfg: 1.5, topK: 900, topP: 0.96, moreSmooth: false });

/** Largest cfg accepted: far beyond any useful value (the demo uses 4; the README suggests up to 5). */
export const MAX_CFG = 50;
