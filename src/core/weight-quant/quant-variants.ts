// The pack variants of `convert --quant`: which encoding each graph's weights get, and what a variant needs to run.

import { VarError } from '../../shared/errors';
import type { PackRequirement, QuantVariant, WeightEncoding } from './encodings';
import type { ActivationType, LinearEncoding, TensorEncoding } from './weight-encoding';

export const QUANT_VARIANTS: readonly QuantVariant[] = ['q4', 'q8', 'fp16', 'none'];

/**
 * 4-bit block size of q4 packs. Measured on the synthetic d16 pack (README "Quantized packs"): 32-value blocks lose
 * less (KL 5.8e-3 against 8.4e-3 nats), but their float32 scale per 32 weights costs a bit per weight: d16 261 MB
 * instead of 232 MB, d20 444 MB instead of 388 MB (over its 400 MB target).
 */
export const DEFAULT_Q4_BLOCK_SIZE = 128;
/** Symmetric blocks (no zero points): zero points gained 3 % (b128) in KL for 1.2 MB more on d16. */
export const DEFAULT_Q4_ZERO_POINTS = false;

export interface QuantOptions {
  readonly q4BlockSize?: number;
  readonly q4ZeroPoints?: boolean;
  /**
   * The transformer's activation type (var-transformer.ts `activations`): float16 is built for q4 and fp16 weights
   * only, requires shader-f16 and adds "-a16" to the name. Default float32.
   */
  readonly activations?: ActivationType;
}

export interface QuantPlan {
  readonly variant: QuantVariant;
  readonly transformer: {
    /** mat_qkv, proj, fc1, fc2, ada_lin, head (word_embed stays float32: K = 32, 0.01 % of the weights). */
    readonly linear: LinearEncoding;
    /** class_emb and the lvl_pos table. */
    readonly embeddings: TensorEncoding;
    /** PackGraph.weights: the encoding of most of the graph's bytes. */
    readonly weights: WeightEncoding;
    readonly activations: ActivationType;
  };
  readonly decoder: { readonly conv: TensorEncoding; readonly weights: WeightEncoding };
  /** What the WebGPU adapter must have (manifest `requires`). */
  readonly requires: readonly PackRequirement[];
  /** Appended to default pack names ("var_d16-q4") and labels, so variants never share a name (or a cache key). */
  readonly nameSuffix: string;
  readonly labelSuffix: string;
}

/**
 * q4: transformer 4-bit (MatMulNBits), decoder and embeddings int8 per channel — the browser default.
 * q8: int8 per output channel everywhere (DequantizeLinear → MatMul / Conv; JSEP's MatMulNBits is 4-bit only).
 * fp16: float16 weights, Cast to float32 in the graph, float32 activations. On WebGPU the Cast is an f16 shader, so
 *   the pack requires shader-f16 (measured: without it JSEP computes zeros silently, logging only console errors).
 * none: float32, as packs were before quantization.
 * Biases, norm affines, the attention temperatures, the quantizer's Phi convs and the codebook stay float32 in all.
 */
export function quantPlan(variant: QuantVariant, options: QuantOptions = {}): QuantPlan {
  const plan = weightPlan(variant, options);
  if ((options.activations ?? 'float32') === 'float32') return plan;
  if (variant !== 'q4' && variant !== 'fp16') {
    throw new VarError('E_BAD_SETTINGS', `float16 activations are built for q4 and fp16 weights only, not ${variant}`);
  }
  return {
    ...plan,
    transformer: { ...plan.transformer, activations: 'float16' },
    requires: ['shader-f16'],
    nameSuffix: `${plan.nameSuffix}-a16`,
    labelSuffix: `${plan.labelSuffix} · fp16 activations`,
  };
}

function weightPlan(variant: QuantVariant, options: QuantOptions): QuantPlan {
  switch (variant) {
    case 'q4': {
      const blockSize = options.q4BlockSize ?? DEFAULT_Q4_BLOCK_SIZE;
      if (!(Number.isSafeInteger(blockSize) && blockSize >= 16 && (blockSize & (blockSize - 1)) === 0)) {
        throw new VarError('E_BAD_SETTINGS', `the 4-bit block size must be a power of 2 ≥ 16, got ${blockSize}`);
      }
      const zeroPoints = options.q4ZeroPoints ?? DEFAULT_Q4_ZERO_POINTS;
      return {
        variant,
        transformer: {
          linear: { bits: 4, blockSize, zeroPoints },
          embeddings: 'q8',
          weights: 'q4',
          activations: 'float32',
        },
        decoder: { conv: 'q8', weights: 'q8' },
        requires: [],
        nameSuffix: '-q4',
        labelSuffix: ' · 4-bit',
      };
    }
    case 'q8':
      return {
        variant,
        transformer: { linear: { bits: 8 }, embeddings: 'q8', weights: 'q8', activations: 'float32' },
        decoder: { conv: 'q8', weights: 'q8' },
        requires: [],
        nameSuffix: '-q8',
        labelSuffix: ' · 8-bit',
      };
    case 'fp16':
      return {
        variant,
        transformer: { linear: 'float16', embeddings: 'float16', weights: 'float16', activations: 'float32' },
        decoder: { conv: 'float16', weights: 'float16' },
        requires: ['shader-f16'],
        nameSuffix: '-fp16',
        labelSuffix: ' · fp16',
      };
    case 'none':
      return {
        variant,
        transformer: { linear: 'float32', embeddings: 'float32', weights: 'float32', activations: 'float32' },
        decoder: { conv: 'float32', weights: 'float32' },
        requires: [],
        nameSuffix: '',
        labelSuffix: '',
      };
  }
}
