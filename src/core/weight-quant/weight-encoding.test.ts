// Each weight encoding against ORT: MatMulNBits (WASM and onnxruntime-node CPU) equals MatMul with the dequantized
// matrix, DequantizeLinear and Cast give back what the encoders stored, and every graph passes the WebGPU op check.

import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../onnx/graph-builder';
import { decodeModel, opCounts } from '../onnx/model-info';
import { assertWebGpuOps } from '../onnx/webgpu-ops';
import { float16ToFloat32, float32ToFloat16 } from './float16';
import { dequantizeQ4, quantizeQ4 } from './q4-blocks';
import { dequantizeQ8, quantizeQ8 } from './q8-channels';
import { fitLinearEncoding, type LinearEncoding, transpose, WeightEncoder } from './weight-encoding';

ortWeb.env.wasm.numThreads = 1;

/** Seeded N(0, 1) values with a few large outliers (trained weights have them; they are what hurts 4-bit blocks). */
function randomMatrix(n: number, seed: number): Float32Array {
  let s = seed;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  return Float32Array.from({ length: n }, (_, i) => {
    const g = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    return i % 97 === 0 ? 6 * g : g;
  });
}

/** x (M, K) · wT (K, N) in float64 accumulation. */
function matmul(x: Float32Array, wT: Float32Array, m: number, k: number, n: number): Float32Array {
  const y = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let c = 0; c < k; c++) {
      const a = x[i * k + c] as number;
      for (let j = 0; j < n; j++) y[i * n + j] = (y[i * n + j] as number) + a * (wT[c * n + j] as number);
    }
  return Float32Array.from(y);
}

function relMaxAbs(a: Float32Array, reference: Float32Array): number {
  let m = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs((a[i] as number) - (reference[i] as number)));
    scale = Math.max(scale, Math.abs(reference[i] as number));
  }
  return m / scale;
}

/** ‖a − reference‖₂ / ‖reference‖₂. */
function relRms(a: Float32Array, reference: Float32Array): number {
  let e = 0;
  let t = 0;
  for (let i = 0; i < a.length; i++) {
    e += ((a[i] as number) - (reference[i] as number)) ** 2;
    t += (reference[i] as number) ** 2;
  }
  return Math.sqrt(e / t);
}

/** y = x · Wᵀ for an (N, K) weight stored through WeightEncoder (every initializer inline). */
async function linearModel(w: Float32Array, n: number, k: number, encoding: LinearEncoding) {
  const g = new GraphBuilder('linear');
  const enc = new WeightEncoder(g);
  const x = g.input('x', 'float32', ['M', k]);
  g.op('Add', [enc.linear(x, 'fc.weight', n, k, async () => w, encoding), g.scalar(0)], {}, { out: 'y' });
  g.output('y', 'float32', ['M', n]);
  const { model } = (await g.materialize()).toModel();
  return { model, encodings: enc.encodings };
}

/** Runs `model` on x (M, K) with onnxruntime-web's WASM EP and onnxruntime-node's CPU EP. */
async function runBoth(
  model: Uint8Array,
  x: Float32Array,
  m: number,
  k: number,
): Promise<[Float32Array, Float32Array]> {
  const web = await ortWeb.InferenceSession.create(model, { executionProviders: ['wasm'] });
  const yWeb = (await web.run({ x: new ortWeb.Tensor('float32', x, [m, k]) })).y?.data as Float32Array;
  await web.release();
  const node = await ortNode.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    // As src/node/ort-backends.ts: without it the CPU EP fuses DequantizeLinear → MatMul into an 8-bit MatMulNBits
    // with int8 activations (accuracy level 4), ~1 % off what the browser computes.
    extra: { session: { qdq_matmulnbits_accuracy_level: '0' } },
  });
  const yNode = (await node.run({ x: new ortNode.Tensor('float32', x, [m, k]) })).y?.data as Float32Array;
  await node.release();
  return [yWeb, yNode];
}

const N = 96;
const K = 256;
const M = 5;
const w = randomMatrix(N * K, 1);
const x = randomMatrix(M * K, 2);
const exact = matmul(x, transpose(w, N, K), M, K, N);

describe('4-bit blocks (com.microsoft.MatMulNBits)', () => {
  it.each([
    [32, false],
    [128, false],
    [32, true],
    [128, true],
  ])(
    'block %d, zero points %s: WASM and onnxruntime-node CPU equal MatMul with the dequantized weights',
    async (blockSize, zeroPoints) => {
      const q = quantizeQ4(w, N, K, { blockSize, zeroPoints });
      const dq = dequantizeQ4(q);
      // Round to nearest: no value moves by more than half a step of its block, except (symmetric blocks) values at
      // +|extreme|, which map to +8 and are clipped to 7: one step.
      const kBlocks = K / blockSize;
      const bound = zeroPoints ? 0.5 : 1;
      for (let i = 0; i < N * K; i++) {
        const step = Math.abs(q.scales[Math.floor(i / K) * kBlocks + Math.floor((i % K) / blockSize)] as number);
        expect(Math.abs((dq[i] as number) - (w[i] as number))).toBeLessThanOrEqual(step * bound * (1 + 1e-6));
      }
      const reference = matmul(x, transpose(dq, N, K), M, K, N);

      const { model, encodings } = await linearModel(w, N, K, { bits: 4, blockSize, zeroPoints });
      assertWebGpuOps(model);
      expect(opCounts(decodeModel(model)).get('com.microsoft:MatMulNBits')).toBe(1);
      expect(encodings).toEqual({ 'fc.weight': `${zeroPoints ? 'q4z' : 'q4'}-b${blockSize}` });
      const [yWeb, yNode] = await runBoth(model, x, M, K);
      expect(relMaxAbs(yWeb, reference)).toBeLessThan(2e-6);
      expect(relMaxAbs(yNode, reference)).toBeLessThan(2e-6);
      // 4 bits are 4 bits: against the float32 weights the error is real, and bounded (this matrix has a 6σ outlier
      // every 97 values, so every 128-block holds one).
      const error = relRms(reference, exact);
      expect(error).toBeGreaterThan(1e-2);
      expect(error).toBeLessThan(0.3);
    },
  );

  it('fits the block to K: 64 when K = 64 and 128 is asked, int8 when no power of 2 ≥ 16 divides K', () => {
    expect(fitLinearEncoding({ bits: 4, blockSize: 128, zeroPoints: false }, 64)).toEqual({
      bits: 4,
      blockSize: 64,
      zeroPoints: false,
    });
    expect(fitLinearEncoding({ bits: 4, blockSize: 128, zeroPoints: true }, 1280)).toMatchObject({ blockSize: 128 });
    expect(fitLinearEncoding({ bits: 4, blockSize: 32, zeroPoints: true }, 40)).toEqual({ bits: 8 });
    expect(() => quantizeQ4(w, N, K, { blockSize: 24, zeroPoints: false })).toThrow(/power of 2/);
    expect(() => quantizeQ4(w.subarray(0, N * 96), N, 96, { blockSize: 64, zeroPoints: false })).toThrow(/divide/);
  });
});

describe('int8 per output channel (DequantizeLinear) and float16 (Cast)', () => {
  it.each([
    [{ bits: 8 } as const, 'q8', 'DequantizeLinear', 3e-2],
    ['float16' as const, 'float16', 'Cast', 1e-3],
    ['float32' as const, 'float32', 'MatMul', 1e-6],
  ])(
    '%j runs on WASM and onnxruntime-node CPU, close to the float32 product',
    async (encoding, name, op, tolerance) => {
      const { model, encodings } = await linearModel(w, N, K, encoding);
      assertWebGpuOps(model);
      expect(encodings).toEqual({ 'fc.weight': name });
      expect(opCounts(decodeModel(model)).has(op)).toBe(true);
      const [yWeb, yNode] = await runBoth(model, x, M, K);
      expect(relRms(yWeb, exact)).toBeLessThan(tolerance);
      expect(relMaxAbs(yNode, yWeb)).toBeLessThan(2e-6);
    },
  );

  it('int8 keeps one scale per channel of the chosen axis and rounds to nearest', () => {
    const t = quantizeQ8(w, [N, K], 0);
    expect(t.scales).toHaveLength(N);
    const back = dequantizeQ8(t);
    for (let r = 0; r < N; r++) {
      const row = w.subarray(r * K, (r + 1) * K);
      expect(t.scales[r]).toBeCloseTo(Math.max(...row.map(Math.abs)) / 127, 6);
      for (let c = 0; c < K; c++) {
        expect(Math.abs((back[r * K + c] as number) - (row[c] as number))).toBeLessThanOrEqual(
          (t.scales[r] as number) * 0.5 * (1 + 1e-6),
        );
      }
    }
    const cols = quantizeQ8(w, [N, K], 1);
    expect(cols.scales).toHaveLength(K);
    expect(Math.max(...cols.values.map(Math.abs))).toBe(127);
  });

  it('float16 bits round to nearest even, keep subnormals and overflow to infinity', () => {
    const values = Float32Array.of(
      0,
      -0,
      1,
      -2.5,
      65504,
      65520,
      1e-7,
      2 ** -24,
      2 ** -25,
      1 + 2 ** -11,
      1 + 3 * 2 ** -11,
    );
    const back = float16ToFloat32(float32ToFloat16(values));
    expect([...back]).toEqual([
      0,
      -0,
      1,
      -2.5,
      65504,
      Number.POSITIVE_INFINITY,
      1.1920928955078125e-7,
      2 ** -24,
      0,
      1,
      1 + 2 ** -9,
    ]);
    expect(Number.isNaN(float16ToFloat32(float32ToFloat16(Float32Array.of(Number.NaN)))[0])).toBe(true);
  });
});
