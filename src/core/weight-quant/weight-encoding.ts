// How a graph stores its weights (float32, float16, int8 per channel, 4-bit blocks) and the nodes that read them back.
//
// Graph builders ask for "x · Wᵀ" or "this float32 tensor"; WeightEncoder adds the initializers in the requested
// encoding plus the nodes that turn them into what the float32 graph expects, and records each tensor's encoding for
// the manifest. Every construction runs natively on both WebGPU EPs: MatMulNBits 4-bit (JSEP: 4-bit only, block a
// power of 2 ≥ 16, uint8 zero points), DequantizeLinear per axis for int8, and Cast for float16 (which needs the
// adapter's shader-f16 on WebGPU: see packRequirements).

import type { GraphBuilder } from '../onnx/graph-builder';
import type { WeightEncoding } from './encodings';
import { float32ToFloat16 } from './float16';
import { q4BlockSizeFor, quantizeQ4 } from './q4-blocks';
import { quantizeQ8 } from './q8-channels';

/** Storage of a Linear weight: float32, float16 + Cast, int8 per output channel + DequantizeLinear, or MatMulNBits. */
export type LinearEncoding =
  | 'float32'
  | 'float16'
  | { readonly bits: 8 }
  | { readonly bits: 4; readonly blockSize: number; readonly zeroPoints: boolean };

/**
 * The element type of a linear's input and output. float16 (issue 15, the fp16-activation transformer): MatMulNBits
 * gets float16 scales (its scale type follows A), float16 weights feed MatMul directly, and other encodings are
 * dequantized to float32 and cast (a Cast of a constant, folded when the session is created).
 */
export type ActivationType = 'float32' | 'float16';

/** Storage of any other float32 tensor (embeddings, conv kernels): int8 with one scale per index of an axis. */
export type TensorEncoding = 'float32' | 'float16' | 'q8';

/** The manifest name of a 4-bit block encoding: "q4-b128" (symmetric, zero point 8) or "q4z-b128" (zero points). */
export function q4EncodingName(blockSize: number, zeroPoints: boolean): WeightEncoding {
  return `${zeroPoints ? 'q4z' : 'q4'}-b${blockSize}`;
}

export function linearEncodingName(encoding: LinearEncoding): WeightEncoding {
  if (encoding === 'float32' || encoding === 'float16') return encoding;
  return encoding.bits === 8 ? 'q8' : q4EncodingName(encoding.blockSize, encoding.zeroPoints);
}

/** Loads a tensor's float32 values (a checkpoint read) when the model is written. */
export type Float32Load = () => Promise<Float32Array>;

export class WeightEncoder {
  /** Tensor name → how it is stored, for PackGraph.tensors. */
  readonly encodings: Record<string, WeightEncoding> = {};

  constructor(private readonly g: GraphBuilder) {}

  /**
   * `x · Wᵀ` for a torch Linear weight W of shape (out, in), read by `load`. float32/float16/int8 store Wᵀ (in, out)
   * so MatMul needs no Transpose node at run time; MatMulNBits takes W as stored (N = out, K = in).
   */
  linear(
    x: string,
    name: string,
    out: number,
    inFeatures: number,
    load: Float32Load,
    requested: LinearEncoding,
    activation: ActivationType = 'float32',
  ): string {
    const g = this.g;
    const encoding = fitLinearEncoding(requested, inFeatures);
    const half = activation === 'float16';
    this.encodings[name] = linearEncodingName(encoding);
    if (typeof encoding === 'object' && encoding.bits === 4) {
      const { blockSize, zeroPoints } = encoding;
      const kBlocks = inFeatures / blockSize;
      const q = shared(
        async () => quantizeQ4(await load(), out, inFeatures, { blockSize, zeroPoints }),
        zeroPoints ? 3 : 2,
      );
      const inputs = [
        x,
        g.lazyInitializer(`${name}.q4`, 'uint8', [out, kBlocks, blockSize / 2], async () => (await q()).packed),
        half
          ? g.lazyInitializer(`${name}.q4_scales`, 'float16', [out * kBlocks], async () =>
              float32ToFloat16((await q()).scales),
            )
          : g.lazyInitializer(`${name}.q4_scales`, 'float32', [out * kBlocks], async () => (await q()).scales),
      ];
      if (zeroPoints) {
        inputs.push(
          g.lazyInitializer(`${name}.q4_zero_points`, 'uint8', [out * Math.ceil(kBlocks / 2)], async () => {
            return (await q()).zeroPoints as Uint8Array;
          }),
        );
      }
      return g.op(
        'MatMulNBits',
        inputs,
        { K: inFeatures, N: out, bits: 4, block_size: blockSize },
        { domain: 'com.microsoft' },
      );
    }
    const transposed = async () => transpose(await load(), out, inFeatures);
    const tensorEncoding: TensorEncoding = typeof encoding === 'object' ? 'q8' : encoding;
    if (half && tensorEncoding === 'float16') {
      // float16 activations take the stored half weights as they are (no Cast to float32 and back).
      const weight = g.lazyInitializer(`${name}^T`, 'float16', [inFeatures, out], async () =>
        float32ToFloat16(await transposed()),
      );
      return g.op('MatMul', [x, weight]);
    }
    // Wᵀ is (in, out): its output channels are axis 1.
    const weight = this.storeTensor(`${name}^T`, [inFeatures, out], transposed, tensorEncoding, 1);
    return g.op('MatMul', [x, half ? g.op('Cast', [weight], { to: 10 }) : weight]); // 10 = FLOAT16
  }

  /** A float32 tensor stored as `encoding` (q8: one scale per index of `axis`); returns the float32 value's name. */
  tensor(name: string, dims: readonly number[], load: Float32Load, encoding: TensorEncoding, axis = 0): string {
    this.encodings[name] = encoding;
    return this.storeTensor(name, dims, load, encoding, axis);
  }

  private storeTensor(
    name: string,
    dims: readonly number[],
    load: Float32Load,
    encoding: TensorEncoding,
    axis: number,
  ): string {
    const g = this.g;
    if (encoding === 'float32') return g.lazyInitializer(name, 'float32', dims, load);
    if (encoding === 'float16') {
      const half = g.lazyInitializer(name, 'float16', dims, async () => float32ToFloat16(await load()));
      return g.op('Cast', [half], { to: 1 }); // 1 = FLOAT
    }
    const q = shared(async () => quantizeQ8(await load(), dims, axis), 2);
    const values = g.lazyInitializer(name, 'int8', dims, async () => (await q()).values);
    const scales = g.lazyInitializer(
      `${name}.scale`,
      'float32',
      [dims[axis] as number],
      async () => (await q()).scales,
    );
    return g.op('DequantizeLinear', [values, scales], { axis });
  }
}

/**
 * A 4-bit block may not straddle rows: K = 64 with 128 asked gets 64-value blocks, and a K with no power-of-2
 * divisor ≥ 16 gets int8 instead (no released model has one; the micro test model has K = 64).
 */
export function fitLinearEncoding(encoding: LinearEncoding, inFeatures: number): LinearEncoding {
  if (typeof encoding !== 'object' || encoding.bits !== 4) return encoding;
  const blockSize = q4BlockSizeFor(inFeatures, encoding.blockSize);
  if (blockSize === 0) return { bits: 8 };
  return blockSize === encoding.blockSize ? encoding : { ...encoding, blockSize };
}

/**
 * One computation shared by the `consumers` initializers cut from it (4-bit values, scales, zero points), then
 * forgotten: a streamed export holds one weight's quantization at a time, and a second export recomputes it.
 */
function shared<T>(compute: () => Promise<T>, consumers: number): () => Promise<T> {
  let pending: Promise<T> | undefined;
  let taken = 0;
  return () => {
    pending ??= compute();
    const result = pending;
    if (++taken >= consumers) {
      pending = undefined;
      taken = 0;
    }
    return result;
  };
}

/** Row-major (rows × cols) → (cols × rows). */
export function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c] as number;
  return out;
}
