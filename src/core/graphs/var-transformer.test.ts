// The KV-cache transformer graph runs all scales, and its two attention forms (MatMul+Softmax, MHA) agree.
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { createSession, maxAbsDiff } from '../../testing/ort-node';
import type { VarConfig } from '../model/var-config';
import { expectedVarKeys } from '../model/var-config';
import { GraphBuilder } from '../onnx/graph-builder';
import { assertWebGpuOps } from '../onnx/webgpu-ops';
import type { AttentionKind, VarGraphConfig } from './var-transformer';
import { buildVarTransformer, VAR_IO } from './var-transformer';
import type { WeightProvider } from './weight-provider';
import { randomWeights } from './weight-provider';

const micro: VarGraphConfig = {
  depth: 2,
  width: 64,
  heads: 2,
  patchNums: [1, 2, 3, 4],
  numClasses: 10,
  vocabSize: 32,
  cvae: 8,
  sharedAdaLN: false,
};

async function build(attention: AttentionKind, config = micro) {
  const g = new GraphBuilder('var');
  buildVarTransformer(g, config, randomWeights(7), { attention });
  return (await g.materialize()).toModel();
}

/** Runs every scale with a KV cache; returns logits per scale. next_input is seeded noise (its values do not matter here). */
async function runAllScales(session: ort.InferenceSession, config: VarGraphConfig, labels: number[]) {
  const B2 = labels.length;
  const hd = config.width / config.heads;
  let past: Record<string, ort.Tensor> = {};
  for (let i = 0; i < config.depth; i++) {
    past[VAR_IO.pastKey(i)] = new ort.Tensor('float32', new Float32Array(0), [B2, config.heads, 0, hd]);
    past[VAR_IO.pastValue(i)] = new ort.Tensor('float32', new Float32Array(0), [B2, config.heads, 0, hd]);
  }
  const logits: Float32Array[] = [];
  let begin = 0;
  for (const [si, pn] of config.patchNums.entries()) {
    const l = pn * pn;
    const next = Float32Array.from({ length: (B2 / 2) * l * config.cvae }, (_, k) => Math.sin(k * 0.37 + si));
    const out = await session.run({
      [VAR_IO.labels]: new ort.Tensor('int64', BigInt64Array.from(labels, BigInt), [B2]),
      [VAR_IO.nextInput]: new ort.Tensor('float32', si === 0 ? new Float32Array((B2 / 2) * config.cvae) : next, [
        B2 / 2,
        l,
        config.cvae,
      ]),
      [VAR_IO.tokenBegin]: new ort.Tensor('int64', BigInt64Array.of(BigInt(begin)), [1]),
      [VAR_IO.tokenEnd]: new ort.Tensor('int64', BigInt64Array.of(BigInt(begin + l)), [1]),
      [VAR_IO.isFirst]: new ort.Tensor('bool', Uint8Array.of(si === 0 ? 1 : 0), [1]),
      ...past,
    });
    begin += l;
    const lg = out[VAR_IO.logits] as ort.Tensor;
    expect(lg.dims).toEqual([B2, l, config.vocabSize]);
    logits.push(lg.data as Float32Array);
    past = {};
    for (let i = 0; i < config.depth; i++) {
      const k = out[VAR_IO.presentKey(i)] as ort.Tensor;
      expect(k.dims).toEqual([B2, config.heads, begin, hd]);
      past[VAR_IO.pastKey(i)] = k;
      past[VAR_IO.pastValue(i)] = out[VAR_IO.presentValue(i)] as ort.Tensor;
    }
  }
  return logits;
}

describe('VAR transformer graph', () => {
  it('runs every scale with a growing KV cache, and MatMul and MHA attention agree', async () => {
    const [matmul, mha] = await Promise.all([build('matmul'), build('mha')]);
    assertWebGpuOps(matmul.model);
    assertWebGpuOps(mha.model);
    const labels = [3, 7, micro.numClasses, micro.numClasses];
    const a = await runAllScales(await createSession(matmul), micro, labels);
    const b = await runAllScales(await createSession(mha), micro, labels);
    for (let si = 0; si < a.length; si++) {
      expect(maxAbsDiff(a[si] as Float32Array, b[si] as Float32Array)).toBeLessThan(1e-4);
    }
    // Different labels give different logits (the class condition reaches the output).
    const first = a[0] as Float32Array;
    expect(
      maxAbsDiff(first.subarray(0, micro.vocabSize), first.subarray(micro.vocabSize, 2 * micro.vocabSize)),
    ).toBeGreaterThan(1e-3);
  });

  it('refuses the shared-AdaLN variant with a clear message', () => {
    const g = new GraphBuilder('var');
    expect(() => buildVarTransformer(g, { ...micro, sharedAdaLN: true }, randomWeights(1))).toThrow(
      expect.objectContaining({
        code: 'E_UNSUPPORTED_ARCHITECTURE',
        message: expect.stringMatching(/Shared-AdaLN .*d36/),
      }),
    );
  });

  it('streams its external weights tensor by tensor, byte-identical to the in-memory export', async () => {
    // Values depend on the name only (randomWeights is one stream, so load order would change them).
    const byName: WeightProvider = {
      get: async (name, shape) => {
        const seed = [...name].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 1000, 7);
        return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(seed + i));
      },
    };
    const streaming = new GraphBuilder('var');
    buildVarTransformer(streaming, micro, byName);
    const streamed = await streaming.toStreamingModel({ externalData: { location: 'var.data' } });
    const reference = new GraphBuilder('var');
    buildVarTransformer(reference, micro, byName);
    const inMemory = (await reference.materialize()).toModel({ externalData: { location: 'var.data' } });
    // Buffer.equals: vitest's deep equality is very slow on large byte arrays.
    expect(Buffer.from(streamed.model).equals(inMemory.model)).toBe(true);
    expect(streamed.files.map((f) => f.location)).toEqual([...inMemory.externalData.keys()]);
    for (const file of streamed.files) {
      const parts: Uint8Array[] = [];
      for await (const chunk of file.chunks()) parts.push(chunk);
      const joined = new Uint8Array(file.byteLength);
      let offset = 0;
      for (const part of parts) {
        joined.set(part, offset);
        offset += part.byteLength;
      }
      expect(offset).toBe(file.byteLength);
      expect(Buffer.from(joined).equals(inMemory.externalData.get(file.location) as Uint8Array)).toBe(true);
    }
  });

  // Structure only: the weights are never read (a provider that throws), so even d30's 8 GB export is planned in
  // milliseconds. Every checkpoint parameter must land in the external files except the training-only buffers.
  it.each([16, 20, 24, 30])('exports the d%d architecture with every weight accounted for', async (depth) => {
    const C = 64 * depth;
    const config: VarConfig = {
      depth,
      width: C,
      heads: depth,
      headDim: 64,
      mlpHidden: 4 * C,
      patchNums: [1, 2, 3, 4, 5, 6, 8, 10, 13, 16],
      numTokens: 680,
      numClasses: 1000,
      vocabSize: 4096,
      cvae: 32,
      sharedAdaLN: false,
    };
    const untouched: WeightProvider = {
      get: (name) => Promise.reject(new Error(`structure-only export read ${name}`)),
    };
    const g = new GraphBuilder('var');
    buildVarTransformer(g, config, untouched);
    const { model, files } = await g.toStreamingModel({ externalData: { location: 'var.data', thresholdBytes: 0 } });
    assertWebGpuOps(model);
    const numel = [...expectedVarKeys(config).values()].reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
    const L = 680;
    // Not exported: attn_bias_for_masking (L²), lvl_1L (L); lvl_embed (10·C) is folded into lvl_pos; zero_k_bias is
    // replaced one for one by the zero k part of each block's qkv_bias.
    const expectedBytes = 4 * (numel - L * L - L - 10 * C);
    const actualBytes = files.reduce((n, f) => n + f.byteLength, 0);
    // Alignment padding (≤ 63 bytes per tensor) and the graph's own small constants make up the rest.
    expect(actualBytes).toBeGreaterThanOrEqual(expectedBytes);
    expect(actualBytes - expectedBytes).toBeLessThan(64 * 1024);
    expect(model.byteLength).toBeLessThan(1024 * 1024);
  });
});
