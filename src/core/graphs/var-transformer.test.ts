// The KV-cache transformer graph runs all scales, and its two attention forms (MatMul+Softmax, MHA) agree.
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../onnx/graph-builder';
import { assertWebGpuOps } from '../onnx/webgpu-ops';
import { createSession, maxAbsDiff } from './testing/ort-node';
import type { AttentionKind, VarGraphConfig } from './var-transformer';
import { buildVarTransformer, VAR_IO } from './var-transformer';
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
  await buildVarTransformer(g, config, randomWeights(7), { attention });
  return g.toModel();
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

  it('refuses the shared-AdaLN variant with a clear message', async () => {
    const g = new GraphBuilder('var');
    await expect(buildVarTransformer(g, { ...micro, sharedAdaLN: true }, randomWeights(1))).rejects.toMatchObject({
      code: 'E_UNSUPPORTED_ARCHITECTURE',
      message: expect.stringMatching(/Shared-AdaLN .*d36/),
    });
  });
});
