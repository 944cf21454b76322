// The VQVAE decoder (post_quant_conv + basic_vae.py Decoder) as an ONNX graph: f_hat (B, Cvae, h, w) → image in [0, 1].

import type { BuiltModel, ExternalDataOptions } from '../onnx/graph-builder';
import { GraphBuilder } from '../onnx/graph-builder';
import type { WeightEncoding } from '../weight-quant/encodings';
import { type TensorEncoding, WeightEncoder } from '../weight-quant/weight-encoding';
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

const GROUPS = 32;
const NORM_EPS = 1e-6;

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

  const enc = new WeightEncoder(b);
  /** A state-dict weight as an initializer of the same name (shape checked by the provider). */
  const param = (
    name: string,
    shape: readonly number[],
    dims: readonly number[] = shape,
    encoding: TensorEncoding = 'float32',
  ): string => enc.tensor(name, dims, () => weights.get(name, shape), encoding, 0);

  const conv = (name: string, x: string, cin: number, cout: number, k: 1 | 3): string => {
    // Axis 0 of (cout, cin, k, k): one scale per output channel when int8.
    const w = param(`${name}.weight`, [cout, cin, k, k], [cout, cin, k, k], options.conv ?? 'float32');
    const bias = param(`${name}.bias`, [cout]);
    const pad = (k - 1) / 2;
    return b.scope(name, () => b.op('Conv', [x, w, bias], { kernel_shape: [k, k], pads: [pad, pad, pad, pad] }));
  };

  // GroupNorm(32, eps 1e-6, affine) without GroupNormalization (no WebGPU kernel): view (B, C, H, W) as
  // (B, 32, C/32·H, W) → InstanceNormalization (statistics over each group's C/32·H·W values) → view back → affine.
  // Both Reshapes copy W with a 0 and infer the rest, so no Shape node is needed: ORT's NHWC layout pass would
  // otherwise insert int64 Gathers (on the CPU EP) to permute the shape of every normalised tensor.
  const groupNorm = (name: string, x: string, c: number): string => {
    const gamma = param(`${name}.weight`, [c], [c, 1, 1]);
    const beta = param(`${name}.bias`, [c], [c, 1, 1]);
    return b.scope(name, () => {
      const grouped = b.op('Reshape', [x, b.int64s([0, GROUPS, -1, 0])]);
      const ones = b.constant('float32', [GROUPS], new Float32Array(GROUPS).fill(1));
      const zeros = b.constant('float32', [GROUPS], new Float32Array(GROUPS));
      const normed = b.op('InstanceNormalization', [grouped, ones, zeros], { epsilon: { float: NORM_EPS } });
      const restored = b.op('Reshape', [normed, b.int64s([0, c, -1, 0])]);
      return b.op('Add', [b.op('Mul', [restored, gamma]), beta]);
    });
  };

  const silu = (x: string): string => b.op('Mul', [x, b.op('Sigmoid', [x])]);

  // ResnetBlock: h = conv1(silu(norm1(x))); h = conv2(silu(norm2(h))); nin_shortcut(x) + h (dropout 0).
  const resBlock = (name: string, x: string, cin: number, cout: number): string => {
    let h = silu(groupNorm(`${name}.norm1`, x, cin));
    h = conv(`${name}.conv1`, h, cin, cout, 3);
    h = silu(groupNorm(`${name}.norm2`, h, cout));
    h = conv(`${name}.conv2`, h, cout, cout, 3);
    const shortcut = cin === cout ? x : conv(`${name}.nin_shortcut`, x, cin, cout, 1);
    return b.scope(name, () => b.op('Add', [shortcut, h]));
  };

  // AttnBlock: single head over H·W tokens; qkv = conv1x1(norm(x)) split q, k, v; w = softmax(qᵀk · C^−½);
  // out = x + proj_out(v · wᵀ). Queries keep their (H, W) axes and only keys/values are flattened, so the result comes
  // out as (B, H, W, C) without un-flattening: a Reshape back to Shape(x) would make ORT's NHWC layout pass insert
  // int64 Gathers on the CPU EP.
  const attnBlock = (name: string, x: string, c: number): string => {
    const qkv = conv(`${name}.qkv`, groupNorm(`${name}.norm`, x, c), c, 3 * c, 1);
    const h = b.scope(name, () => {
      const [q, k, v] = b.node('Split', [qkv, b.int64s([c, c, c])], 3, { axis: 1 }) as [string, string, string];
      const qBHWC = b.op('Transpose', [q], { perm: [0, 2, 3, 1] }); // (B, H, W, C)
      const kB1CN = b.op('Reshape', [k, b.int64s([0, 1, c, -1])]); // (B, 1, C, HW)
      const logits = b.op('Mul', [b.op('MatMul', [qBHWC, kB1CN]), b.scalar(c ** -0.5)]); // (B, H, W, HW)
      const w = b.op('Softmax', [logits], { axis: -1 });
      const vB1NC = b.op('Transpose', [b.op('Reshape', [v, b.int64s([0, 1, c, -1])])], { perm: [0, 1, 3, 2] }); // (B, 1, HW, C)
      const out = b.op('MatMul', [w, vB1NC]); // (B, H, W, C)
      return b.op('Transpose', [out], { perm: [0, 3, 1, 2] }); // (B, C, H, W)
    });
    const projected = conv(`${name}.proj_out`, h, c, c, 1);
    return b.scope(name, () => b.op('Add', [x, projected]));
  };

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
