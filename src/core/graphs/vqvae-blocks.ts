// The VQ-VAE's building blocks (basic_vae.py) as ONNX subgraphs, shared by the decoder and the encoder graphs.

import type { GraphBuilder } from '../onnx/graph-builder';
import { type TensorEncoding, WeightEncoder } from '../weight-quant/weight-encoding';
import type { WeightProvider } from './weight-provider';

const GROUPS = 32;
const NORM_EPS = 1e-6;

export interface ConvOptions {
  readonly stride2?: boolean;
  readonly out?: string;
}

export interface VqvaeBlocks {
  readonly enc: WeightEncoder;
  /**
   * A 3×3 (pad 1) or 1×1 conv; `stride2` = Downsample2x's conv (F.pad (0, 1, 0, 1), stride 2, no padding); `out`
   * names the output (a graph output).
   */
  conv(name: string, x: string, cin: number, cout: number, k: 1 | 3, opts?: ConvOptions): string;
  groupNorm(name: string, x: string, c: number): string;
  silu(x: string): string;
  resBlock(name: string, x: string, cin: number, cout: number): string;
  attnBlock(name: string, x: string, c: number): string;
}

/**
 * Blocks whose weights come from `weights` by their state-dict names; conv kernels are stored as `convEncoding`
 * (q8 = int8 per output channel), biases and GroupNorm affines stay float32.
 */
export function vqvaeBlocks(b: GraphBuilder, weights: WeightProvider, convEncoding: TensorEncoding): VqvaeBlocks {
  const enc = new WeightEncoder(b);
  /** A state-dict weight as an initializer of the same name (shape checked by the provider). */
  const param = (
    name: string,
    shape: readonly number[],
    dims: readonly number[] = shape,
    encoding: TensorEncoding = 'float32',
  ): string => enc.tensor(name, dims, () => weights.get(name, shape), encoding, 0);

  const conv = (name: string, x: string, cin: number, cout: number, k: 1 | 3, opts: ConvOptions = {}): string => {
    // Axis 0 of (cout, cin, k, k): one scale per output channel when int8.
    const w = param(`${name}.weight`, [cout, cin, k, k], [cout, cin, k, k], convEncoding);
    const bias = param(`${name}.bias`, [cout]);
    const out = opts.out === undefined ? {} : { out: opts.out };
    if (opts.stride2) {
      // Downsample2x: F.pad(x, (0, 1, 0, 1)) then a 3×3 stride-2 conv without padding = end-only pads.
      return b.scope(name, () =>
        b.op('Conv', [x, w, bias], { kernel_shape: [k, k], pads: [0, 0, 1, 1], strides: [2, 2] }, out),
      );
    }
    const pad = (k - 1) / 2;
    return b.scope(name, () => b.op('Conv', [x, w, bias], { kernel_shape: [k, k], pads: [pad, pad, pad, pad] }, out));
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

  return { enc, conv, groupNorm, silu, resBlock, attnBlock };
}
