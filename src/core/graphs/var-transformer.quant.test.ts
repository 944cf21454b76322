// The transformer graph with quantized weights: every encoding runs all scales close to float32, passes the WebGPU
// op check, records each tensor's encoding, and streams byte-identically to its in-memory export.

import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { createSession } from '../../testing/ort-node';
import { cosineSimilarity } from '../evaluate/fidelity-metrics';
import { GraphBuilder } from '../onnx/graph-builder';
import { decodeModel, opCounts } from '../onnx/model-info';
import { assertWebGpuOps } from '../onnx/webgpu-ops';
import type { LinearEncoding, TensorEncoding } from '../weight-quant/weight-encoding';
import { buildVarTransformer, VAR_IO, type VarGraphConfig } from './var-transformer';
import { randomWeights, type WeightProvider } from './weight-provider';

const config: VarGraphConfig = {
  depth: 2,
  width: 128,
  heads: 2,
  patchNums: [1, 2, 3, 4],
  numClasses: 10,
  vocabSize: 64,
  cvae: 8,
  sharedAdaLN: false,
};

async function build(linear: LinearEncoding, embeddings: TensorEncoding) {
  const g = new GraphBuilder('var');
  // Fresh provider per build: randomWeights is one stream, and every build reads the tensors in the same order.
  const tensors = buildVarTransformer(g, config, randomWeights(11), { linear, embeddings });
  return { built: (await g.materialize()).toModel({ externalData: { location: 'var.data' } }), tensors };
}

async function logitsOfAllScales(session: ort.InferenceSession): Promise<Float32Array[]> {
  const labels = [3, 7, 10, 10];
  const hd = config.width / config.heads;
  let past: Record<string, ort.Tensor> = {};
  for (let i = 0; i < config.depth; i++) {
    past[VAR_IO.pastKey(i)] = new ort.Tensor('float32', new Float32Array(0), [4, config.heads, 0, hd]);
    past[VAR_IO.pastValue(i)] = new ort.Tensor('float32', new Float32Array(0), [4, config.heads, 0, hd]);
  }
  const out: Float32Array[] = [];
  let begin = 0;
  for (const [si, pn] of config.patchNums.entries()) {
    const l = pn * pn;
    const next = Float32Array.from({ length: 2 * l * config.cvae }, (_, k) => (si === 0 ? 0 : Math.sin(k * 0.37 + si)));
    const r = await session.run({
      [VAR_IO.labels]: new ort.Tensor('int64', BigInt64Array.from(labels, BigInt), [4]),
      [VAR_IO.nextInput]: new ort.Tensor('float32', next, [2, l, config.cvae]),
      [VAR_IO.tokenBegin]: new ort.Tensor('int64', BigInt64Array.of(BigInt(begin)), [1]),
      [VAR_IO.tokenEnd]: new ort.Tensor('int64', BigInt64Array.of(BigInt(begin + l)), [1]),
      [VAR_IO.isFirst]: new ort.Tensor('bool', Uint8Array.of(si === 0 ? 1 : 0), [1]),
      ...past,
    });
    begin += l;
    out.push(r[VAR_IO.logits]?.data as Float32Array);
    past = {};
    for (let i = 0; i < config.depth; i++) {
      past[VAR_IO.pastKey(i)] = r[VAR_IO.presentKey(i)] as ort.Tensor;
      past[VAR_IO.pastValue(i)] = r[VAR_IO.presentValue(i)] as ort.Tensor;
    }
  }
  return out;
}

describe('VAR transformer with quantized weights', () => {
  it.each([
    [
      { bits: 4, blockSize: 32, zeroPoints: false } as const,
      'q8' as const,
      'com.microsoft:MatMulNBits',
      'q4-b32',
      0.99,
    ],
    [
      { bits: 4, blockSize: 128, zeroPoints: true } as const,
      'q8' as const,
      'com.microsoft:MatMulNBits',
      'q4z-b128',
      0.98,
    ],
    [{ bits: 8 } as const, 'q8' as const, 'DequantizeLinear', 'q8', 0.9999],
    ['float16' as const, 'float16' as const, 'Cast', 'float16', 0.999999],
  ])('%j runs every scale close to float32', async (linear, embeddings, op, encoding, minCosine) => {
    const reference = await logitsOfAllScales(await createSession((await build('float32', 'float32')).built));
    const { built, tensors } = await build(linear, embeddings);
    assertWebGpuOps(built.model);
    // Six Linear layers per block (qkv, proj, fc1, fc2, ada_lin) + head_nm.ada_lin + head go through `op`.
    const counts = opCounts(decodeModel(built.model));
    if (op === 'com.microsoft:MatMulNBits') expect(counts.get(op)).toBe(5 * config.depth + 2);
    else expect(counts.get(op)).toBeGreaterThanOrEqual(5 * config.depth + 2);
    expect(tensors['blocks.1.attn.mat_qkv.weight']).toBe(encoding);
    expect(tensors['head.weight']).toBe(encoding);
    expect(tensors['class_emb.weight']).toBe(embeddings);
    expect(tensors.lvl_pos).toBe(embeddings);
    expect(tensors['word_embed.weight']).toBe('float32');
    expect(tensors['blocks.0.ffn.fc1.bias']).toBe('float32');
    const logits = await logitsOfAllScales(await createSession(built));
    for (const [si, ref] of reference.entries()) {
      const ours = logits[si] as Float32Array;
      expect(ours).toHaveLength(ref.length);
      expect(cosineSimilarity(ours, ref), `scale ${si}`).toBeGreaterThan(minCosine);
      expect(cosineSimilarity(ours, ref), `scale ${si}`).toBeLessThan(linear === 'float16' ? 1.0000001 : 0.9999999);
    }
  });

  it('streams 4-bit weights byte-identically to the in-memory export (values, scales and zero points cut from one quantization)', async () => {
    const linear: LinearEncoding = { bits: 4, blockSize: 32, zeroPoints: true };
    // Values depend on the name only: a streamed export reads small tensors first, an in-memory one in order.
    const byName: WeightProvider = {
      get: async (name, shape) => {
        const seed = [...name].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 1000, 7);
        return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(seed + i * 1.7));
      },
    };
    const streaming = new GraphBuilder('var');
    buildVarTransformer(streaming, config, byName, { linear, embeddings: 'q8' });
    const streamed = await streaming.toStreamingModel({ externalData: { location: 'var.data' } });
    const reference = new GraphBuilder('var');
    buildVarTransformer(reference, config, byName, { linear, embeddings: 'q8' });
    const inMemory = (await reference.materialize()).toModel({ externalData: { location: 'var.data' } });
    expect(Buffer.from(streamed.model).equals(inMemory.model)).toBe(true);
    const [file] = streamed.files;
    const parts: Uint8Array[] = [];
    for await (const chunk of file?.chunks() ?? []) parts.push(chunk);
    expect(Buffer.concat(parts).equals(inMemory.externalData.get('var.data') as Uint8Array)).toBe(true);
  });
});
