// The VQVAE decoder (post_quant_conv + basic_vae.py Decoder) as an ONNX graph: f_hat (B, Cvae, h, w) → image in [0, 1].

import type { BuiltModel, ExternalDataOptions } from '../onnx/graph-builder';
import { GraphBuilder } from '../onnx/graph-builder';
import type { WeightEncoding } from '../weight-quant/encodings';
import type { TensorEncoding } from '../weight-quant/weight-encoding';
import { vqvaeBlocks } from './vqvae-blocks';
import type { WeightProvider } from './weight-provider';

/** The decoder's architecture, as `ddconfig` names it (inferred from the state dict by vqvae-config.ts). */
export interface VqvaeDecoderConfig {
  /** Base channel count (160 for vae_ch160v4096z32). */
  readonly ch: number;
  /** Channel multiplier per resolution level, level 0 = full resolution ((1, 1, 2, 2, 4)). */
  readonly chMult: readonly number[];
  /** ResBlocks per level in the ENCODER (2); the decoder has numResBlocks + 1 per level. */
  readonly numResBlocks: number;
  /** Latent channels Cvae (32). */
  readonly zChannels: number;
  /** AttnBlocks after each ResBlock of the lowest-resolution level (`using_sa`, default true as in every VAR VQVAE). */
  readonly usingSa?: boolean;
  /** AttnBlock between the two mid ResBlocks (`using_mid_sa`, default true). */
  readonly usingMidSa?: boolean;
}

export interface VqvaeDecoderOptions {
  /**
   * How conv kernels (99.9 % of the decoder's weights) are stored; q8 = int8 per output channel. Biases and
   * GroupNorm affines stay float32. Default float32.
   */
  readonly conv?: TensorEncoding;
}

/**
 * Builds the decoder. Execution order (var.md §2.2): post_quant_conv, conv_in, mid (ResBlock, AttnBlock, ResBlock),
 * levels L−1 … 0 (numResBlocks+1 ResBlocks each, an AttnBlock after each at the lowest resolution level, nearest ×2
 * upsample + conv on levels ≥ 1), norm_out, SiLU, conv_out, clamp to [−1, 1], (x + 1)/2.
 * Height and width are symbolic, so one graph decodes any latent size (the output is 2^(L−1) times larger).
 */
export async function buildVqvaeDecoderGraph(
  weights: WeightProvider,
  config: VqvaeDecoderConfig,
  options: { externalData?: ExternalDataOptions } = {},
): Promise<BuiltModel> {
  const b = vqvaeDecoderBuilder(weights, config);
  await b.materialize();
  return b.toModel(options);
}

/**
 * The decoder as a GraphBuilder whose weights are lazy (read when the model is written): the converter streams it
 * with toStreamingModel, so the 259 MB ch160 decoder is never held in memory whole. Same graph, same bytes.
 */
export function vqvaeDecoderBuilder(
  weights: WeightProvider,
  config: VqvaeDecoderConfig,
  options: VqvaeDecoderOptions = {},
): GraphBuilder {
  return vqvaeDecoderGraph(weights, config, options).builder;
}

/** vqvaeDecoderBuilder, plus how each weight is stored (tensor name → encoding) for the pack manifest. */
export function vqvaeDecoderGraph(
  weights: WeightProvider,
  config: VqvaeDecoderConfig,
  options: VqvaeDecoderOptions = {},
): { builder: GraphBuilder; tensors: Record<string, WeightEncoding> } {
  const { ch, chMult, numResBlocks, zChannels, usingSa = true, usingMidSa = true } = config;
  const levels = chMult.length;
  const b = new GraphBuilder(
    'vqvae_decoder',
    'VQVAE decoder: decoder(post_quant_conv(f_hat)).clamp(-1, 1) * 0.5 + 0.5',
  );

  const { enc, conv, groupNorm, silu, resBlock, attnBlock } = vqvaeBlocks(b, weights, options.conv ?? 'float32');

  // Upsample2x: conv3x3(nearest ×2). Resize asymmetric + floor is torch's nearest (src = floor(dst / 2)) exactly.
  const upsample = (name: string, x: string, c: number): string => {
    const up = b.scope(name, () =>
      b.op('Resize', [x, '', b.constant('float32', [4], Float32Array.of(1, 1, 2, 2))], {
        mode: 'nearest',
        coordinate_transformation_mode: 'asymmetric',
        nearest_mode: 'floor',
      }),
    );
    return conv(`${name}.conv`, up, c, c, 3);
  };

  const fHat = b.input('f_hat', 'float32', ['B', zChannels, 'h', 'w']);
  let h = conv('post_quant_conv', fHat, zChannels, zChannels, 3);

  let blockIn = ch * (chMult[levels - 1] as number);
  h = conv('decoder.conv_in', h, zChannels, blockIn, 3);
  h = resBlock('decoder.mid.block_1', h, blockIn, blockIn);
  if (usingMidSa) h = attnBlock('decoder.mid.attn_1', h, blockIn);
  h = resBlock('decoder.mid.block_2', h, blockIn, blockIn);

  for (let level = levels - 1; level >= 0; level--) {
    const blockOut = ch * (chMult[level] as number);
    for (let block = 0; block < numResBlocks + 1; block++) {
      h = resBlock(`decoder.up.${level}.block.${block}`, h, blockIn, blockOut);
      blockIn = blockOut;
      // using_sa: attention only at the lowest resolution (the 16×16 level of a 256-pixel model).
      if (usingSa && level === levels - 1) h = attnBlock(`decoder.up.${level}.attn.${block}`, h, blockIn);
    }
    if (level !== 0) h = upsample(`decoder.up.${level}.upsample`, h, blockIn);
  }

  h = silu(groupNorm('decoder.norm_out', h, blockIn));
  h = conv('decoder.conv_out', h, blockIn, 3, 3);
  b.scope('output', () => {
    const clamped = b.op('Clip', [h, b.scalar(-1), b.scalar(1)]);
    b.op('Mul', [b.op('Add', [clamped, b.scalar(1)]), b.scalar(0.5)], {}, { out: 'image' });
  });
  b.output('image', 'float32', ['B', 3, 'H', 'W']);
  return { builder: b, tensors: enc.encodings };
}
