// One scale of the tiny VAR transformer on WebGPU (SwiftShader) equals the same scale on WASM, in Chromium.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import type { AttentionKind, VarGraphConfig } from '../src/core/graphs/var-transformer';
import { buildVarTransformer, VAR_IO } from '../src/core/graphs/var-transformer';
import { checkpointWeights } from '../src/core/graphs/weight-provider';
import { MemoryByteSource } from '../src/core/io/byte-source';
import { GraphBuilder } from '../src/core/onnx/graph-builder';
import { openCheckpoint } from '../src/core/pth/checkpoint';
import type { LabTensor } from '../src/testing/lab/lab-api';
import { hostTensor, labTensor, maxAbsDiff, openLab, runInLab } from '../src/testing/lab/lab-client';

const tiny: VarGraphConfig = {
  depth: 2,
  width: 128,
  heads: 2,
  patchNums: [1, 2, 3, 4, 5, 6, 8, 10, 13, 16],
  numClasses: 1000,
  vocabSize: 4096,
  cvae: 32,
  sharedAdaLN: false,
};
const BEGINS = [0, 1, 5, 14, 30, 55];
/** Scale 5 (6×6 = 36 tokens, 55 cached): past the ≥ 32-token size where the native EP's MHA went wrong here. */
const SCALE = 5;

async function buildTiny(attention: AttentionKind) {
  const bytes = new Uint8Array(readFileSync(new URL('../fixtures/tiny_var.pth', import.meta.url)));
  const ckpt = await openCheckpoint(new MemoryByteSource(bytes, 'tiny_var.pth'));
  const g = new GraphBuilder('var_transformer');
  buildVarTransformer(g, tiny, checkpointWeights(ckpt), { attention });
  return (await g.materialize()).toModel({ externalData: { location: 'var.data' } });
}

function scaleFeeds(si: number, past: Record<string, LabTensor>): Record<string, LabTensor> {
  const rows = 4;
  const pn = tiny.patchNums[si] as number;
  const l = pn * pn;
  const begin = BEGINS[si] as number;
  const next =
    si === 0
      ? new Float32Array((rows / 2) * 32)
      : Float32Array.from({ length: (rows / 2) * l * 32 }, (_, k) => Math.sin(0.1 * k + si));
  return {
    [VAR_IO.labels]: labTensor(BigInt64Array.from([207, 980, 1000, 1000], BigInt), [rows]),
    [VAR_IO.nextInput]: labTensor(next, [rows / 2, l, 32]),
    [VAR_IO.tokenBegin]: labTensor(BigInt64Array.of(BigInt(begin)), [1]),
    [VAR_IO.tokenEnd]: labTensor(BigInt64Array.of(BigInt(begin + l)), [1]),
    [VAR_IO.isFirst]: labTensor(Uint8Array.of(si === 0 ? 1 : 0), [1]),
    ...past,
  };
}

for (const attention of ['matmul', 'mha'] as const) {
  test(`one scale of the transformer (${attention} attention) on WebGPU matches WASM`, async ({ page }) => {
    const model = await buildTiny(attention);
    await openLab(page);
    // Fill the KV cache with scales 0..4 on WASM, then run scale 5 on both backends from the same cache.
    let past: Record<string, LabTensor> = {};
    for (let i = 0; i < tiny.depth; i++) {
      past[VAR_IO.pastKey(i)] = labTensor(new Float32Array(0), [4, 2, 0, 64]);
      past[VAR_IO.pastValue(i)] = labTensor(new Float32Array(0), [4, 2, 0, 64]);
    }
    for (let si = 0; si < SCALE; si++) {
      const r = await runInLab(page, model, scaleFeeds(si, past), 'wasm');
      past = {};
      for (let i = 0; i < tiny.depth; i++) {
        past[VAR_IO.pastKey(i)] = r.outputs[VAR_IO.presentKey(i)] as LabTensor;
        past[VAR_IO.pastValue(i)] = r.outputs[VAR_IO.presentValue(i)] as LabTensor;
      }
    }
    const feeds = scaleFeeds(SCALE, past);
    const wasm = await runInLab(page, model, feeds, 'wasm');
    const gpu = await runInLab(page, model, feeds, 'webgpu', 1);

    expect(gpu.webgpuAdapter).toMatch(/swiftshader/i);
    expect(gpu.providers).toEqual(['JsExecutionProvider']); // every node on WebGPU, none on the CPU EP
    expect(wasm.providers).toEqual(['CPUExecutionProvider']);
    const logitsDiff = maxAbsDiff(
      hostTensor(gpu.outputs[VAR_IO.logits] as LabTensor),
      hostTensor(wasm.outputs[VAR_IO.logits] as LabTensor),
    );
    const keyDiff = maxAbsDiff(
      hostTensor(gpu.outputs[VAR_IO.presentKey(1)] as LabTensor),
      hostTensor(wasm.outputs[VAR_IO.presentKey(1)] as LabTensor),
    );
    console.info(
      `transformer ${attention}, scale ${SCALE}: |Δlogits| ${logitsDiff.toExponential(2)}, |Δpresent_key_1| ${keyDiff.toExponential(2)}; ` +
        `WebGPU session ${gpu.sessionMs.toFixed(0)} ms, run ${gpu.timedRunMs[0]?.toFixed(0)} ms (first ${gpu.firstRunMs.toFixed(0)} ms); ` +
        `WASM run ${wasm.firstRunMs.toFixed(1)} ms`,
    );
    expect(logitsDiff).toBeLessThanOrEqual(1e-3);
    expect(keyDiff).toBeLessThanOrEqual(1e-3);
  });
}
