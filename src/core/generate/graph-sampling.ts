// Sampling in the sampler graph (graphs/token-sampler.ts) instead of in JS: when it applies, and its feeds.
//
// The loop picks per generation: the graph samples when the settings are ones it reproduces (top-p off, no
// more_smooth); otherwise the logits are read back and sampler.ts samples, as with sampleOn 'js'.

import type { Tensor, TensorConstructor } from 'onnxruntime-common';
import { SAMPLER_IO } from '../graphs/token-sampler';
import type { UniformSource } from './sampler';
import type { SamplingOptions } from './settings';

/** Where the loop samples: 'js' (logits read back every scale; the default) or 'graph' (only the ids come back). */
export type SampleOn = 'js' | 'graph';

/** The settings the sampler graph reproduces: top-k and plain multinomial; top-p and more_smooth sample in JS. */
export function graphCanSample(request: Pick<SamplingOptions, 'topP' | 'moreSmooth'>): boolean {
  return request.topP === 0 && !request.moreSmooth;
}

/** Whether the graph needs its top-k filter: sampler.ts treats k = 0 and k ≥ V as off. */
export function usesTopK(topK: number, V: number): boolean {
  return topK > 0 && topK < V;
}

/**
 * One uniform per token, image by image and in row order: exactly the draws sampleRows makes (one nextFloat per
 * row), so each image's generator is left where the JS path leaves it. Float64, as sampleRows uses them.
 */
export function drawUniforms(rngs: readonly UniformSource[], l: number): Float64Array {
  const u = new Float64Array(rngs.length * l);
  rngs.forEach((rng, b) => {
    for (let i = 0; i < l; i++) u[b * l + i] = rng.nextFloat();
  });
  return u;
}

/** The sampler graph's feeds for one scale; `logits_BlV` is the transformer's output tensor as it is (CPU or GPU). */
export function samplerFeeds(
  T: TensorConstructor,
  logits_BlV: Tensor,
  t: number,
  topK: number,
  uniforms: Float64Array,
): Record<string, Tensor> {
  const [, l, V] = logits_BlV.dims as [number, number, number];
  const B = uniforms.length / l;
  // Each float64 uniform as a float32 pair (hi + lo carries 48 of its 53 bits; the graph multiplies both by Σ).
  const hi = Float32Array.from(uniforms);
  const lo = Float32Array.from(uniforms, (u, i) => u - (hi[i] as number));
  return {
    [SAMPLER_IO.logits]: logits_BlV,
    // Float32Array rounds as mixGuidance's Math.fround does.
    [SAMPLER_IO.condWeight]: new T('float32', Float32Array.of(1 + t), []),
    [SAMPLER_IO.uncondWeight]: new T('float32', Float32Array.of(t), []),
    [SAMPLER_IO.uniforms]: new T('float32', hi, [B, l]),
    [SAMPLER_IO.uniformsLo]: new T('float32', lo, [B, l]),
    ...(usesTopK(topK, V) ? { [SAMPLER_IO.topK]: new T('int64', BigInt64Array.of(BigInt(topK)), [1]) } : {}),
  };
}
