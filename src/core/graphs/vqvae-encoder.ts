// The VQVAE encoder (basic_vae.py Encoder + quant_conv) as an ONNX graph: image in [0, 1] (B, 3, H, W) → f (B, Cvae, h, w).

import type { GraphBuilder } from '../onnx/graph-builder';
import { GraphBuilder as Builder } from '../onnx/graph-builder';
import type { WeightEncoding } from '../weight-quant/encodings';
import type { TensorEncoding } from '../weight-quant/weight-encoding';
import { vqvaeBlocks } from './vqvae-blocks';
import type { VqvaeDecoderConfig } from './vqvae-decoder';
import type { WeightProvider } from './weight-provider';

/** ONNX graph name of the encoder (`graph.name`). */
export const ENCODER_GRAPH_NAME = 'vqvae_encoder';

/** Graph inputs and outputs. */
export const ENCODER_IO = { image: 'image', f: 'f' } as const;

export interface VqvaeEncoderOptions {
  /** How conv kernels are stored (q8 = int8 per output channel, as the decoder's); default float32. */
  readonly conv?: TensorEncoding;
}

/**
 * `quant_conv(encoder(x))` with x = image·2 − 1 (the official `img_to_idxBl` input range [−1, 1]; var.md §2.2
 * "Encoder"): conv_in, levels 0 … L−1 (numResBlocks ResBlocks each, an AttnBlock after each at the lowest resolution,
 * Downsample2x = pad (0, 1, 0, 1) + 3×3 stride-2 conv after every level but the last), mid (ResBlock, AttnBlock,
 * ResBlock), norm_out, SiLU, conv_out, quant_conv. Same blocks, same WebGPU-safe ops as the decoder (GroupNorm as
 * InstanceNormalization, attention as MatMul + Softmax). Height and width are symbolic (multiples of 2^(L−1)).
 */
export function vqvaeEncoderGraph(
  weights: WeightProvider,
  config: VqvaeDecoderConfig & { readonly inChannels?: number },
  options: VqvaeEncoderOptions = {},
): { builder: GraphBuilder; tensors: Record<string, WeightEncoding> } {
  const { ch, chMult, numResBlocks, zChannels, usingSa = true, usingMidSa = true } = config;
  const inChannels = config.inChannels ?? 3;
  const levels = chMult.length;
  const b = new Builder(ENCODER_GRAPH_NAME, 'VQVAE encoder: quant_conv(encoder(image * 2 - 1))');
  const { enc, conv, groupNorm, silu, resBlock, attnBlock } = vqvaeBlocks(b, weights, options.conv ?? 'float32');

  const image = b.input(ENCODER_IO.image, 'float32', ['B', inChannels, 'H', 'W']);
  const x = b.scope('input', () => b.op('Sub', [b.op('Mul', [image, b.scalar(2)]), b.scalar(1)]));
  let h = conv('encoder.conv_in', x, inChannels, ch, 3);
  let blockIn = ch;
  for (let level = 0; level < levels; level++) {
    const blockOut = ch * (chMult[level] as number);
    for (let block = 0; block < numResBlocks; block++) {
      h = resBlock(`encoder.down.${level}.block.${block}`, h, blockIn, blockOut);
      blockIn = blockOut;
      if (usingSa && level === levels - 1) h = attnBlock(`encoder.down.${level}.attn.${block}`, h, blockIn);
    }
    if (level !== levels - 1)
      h = conv(`encoder.down.${level}.downsample.conv`, h, blockIn, blockIn, 3, { stride2: true });
  }
  h = resBlock('encoder.mid.block_1', h, blockIn, blockIn);
  if (usingMidSa) h = attnBlock('encoder.mid.attn_1', h, blockIn);
  h = resBlock('encoder.mid.block_2', h, blockIn, blockIn);
  h = silu(groupNorm('encoder.norm_out', h, blockIn));
  h = conv('encoder.conv_out', h, blockIn, zChannels, 3);
  conv('quant_conv', h, zChannels, zChannels, 3, { out: ENCODER_IO.f });
  b.output(ENCODER_IO.f, 'float32', ['B', zChannels, 'h', 'w']);
  return { builder: b, tensors: enc.encodings };
}
