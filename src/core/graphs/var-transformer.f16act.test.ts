// The float16-activation transformer (issue 15) on the CPU: onnxruntime-node and ORT-web WASM run it (ORT inserts
// float32 Casts around the nodes its CPU EP has no float16 kernel for). Teacher-forced along the official greedy cfg-4
// run (fixtures README §4): logits against the float32 graph's, and the greedy choice against the golden ids.
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureBytes, loadNpy } from '../../testing/fixtures';
import type { OrtApi } from '../generate/backend';
import { lookupCodebook } from '../generate/codebook';
import { mixGuidance } from '../generate/guidance';
import { emptyPast, transformerFeeds } from '../generate/transformer-feeds';
import { MemoryByteSource } from '../io/byte-source';
import { GraphBuilder } from '../onnx/graph-builder';
import { decodeModel } from '../onnx/model-info';
import { assertWebGpuOps } from '../onnx/webgpu-ops';
import type { PackManifest } from '../pack/manifest';
import { openCheckpoint } from '../pth/checkpoint';
import type { LinearEncoding } from '../weight-quant/weight-encoding';
import { buildVarTransformer, VAR_IO, type VarGraphConfig } from './var-transformer';
import { buildQuantizerGraph, quantizerStepFeeds } from './vq-quantizer';
import { checkpointWeights, type WeightProvider } from './weight-provider';

const PATCH_NUMS = [1, 2, 3, 4, 5, 6, 8, 10, 13, 16];
const BEGINS = [0, 1, 5, 14, 30, 55, 91, 155, 255, 424];
const L = 680;
const V = 4096;
const CVAE = 32;
const LABELS = [0, 207, 980];
const tiny: VarGraphConfig = {
  depth: 2,
  width: 128,
  heads: 2,
  patchNums: PATCH_NUMS,
  numClasses: 1000,
  vocabSize: V,
  cvae: CVAE,
  sharedAdaLN: false,
};
const manifest = (activations: 'float32' | 'float16') =>
  ({ var: tiny, graphs: { transformer: { activations } } }) as unknown as Pick<PackManifest, 'var' | 'graphs'>;

let varWeights: WeightProvider;
let nextInputs: Float32Array[];
const golden = loadNpy('a_cfg4_ids.npy', 'int32').data;

beforeAll(async () => {
  ortWeb.env.wasm.numThreads = 1;
  const varCkpt = await openCheckpoint(new MemoryByteSource(fixtureBytes('tiny_var.pth'), 'tiny_var.pth'));
  const vaeCkpt = await openCheckpoint(new MemoryByteSource(fixtureBytes('tiny_vae.pth'), 'tiny_vae.pth'));
  varWeights = checkpointWeights(varCkpt);
  const vae = checkpointWeights(vaeCkpt);
  // idxBl_to_var_input of the golden ids through the quantizer graph (float32, as in generation).
  const quantizer = await ortNode.InferenceSession.create(
    (await buildQuantizerGraph(vae, { patchNums: PATCH_NUMS, zChannels: CVAE, phiCount: 4 })).model,
  );
  const codebook = await vae.get('quantize.embedding.weight', [V, CVAE]);
  let fHat: ortNode.Tensor = new ortNode.Tensor('float32', new Float32Array(3 * CVAE * 256), [3, CVAE, 16, 16]);
  nextInputs = [];
  for (let si = 0; si < PATCH_NUMS.length - 1; si++) {
    const n = (PATCH_NUMS[si] as number) ** 2;
    const ids = new Int32Array(3 * n);
    for (let r = 0; r < 3; r++)
      ids.set(golden.subarray(r * L + (BEGINS[si] as number), r * L + (BEGINS[si] as number) + n), r * n);
    const f = quantizerStepFeeds(PATCH_NUMS, si, 4);
    const out = await quantizer.run({
      h_BnC: new ortNode.Tensor('float32', lookupCodebook(codebook, CVAE, ids), [3, n, CVAE]),
      f_hat: fHat,
      up_matrix: new ortNode.Tensor('float32', f.upMatrix.data, [...f.upMatrix.dims]),
      down_matrix: new ortNode.Tensor('float32', f.downMatrix.data, [...f.downMatrix.dims]),
      phi_index: new ortNode.Tensor('int32', Int32Array.of(f.phiIndex), []),
    });
    fHat = out.f_hat_out as ortNode.Tensor;
    nextInputs.push((out.next_input as ortNode.Tensor).data as Float32Array);
  }
});

async function build(linear: LinearEncoding, activations: 'float32' | 'float16'): Promise<Uint8Array> {
  const g = new GraphBuilder('var_transformer');
  buildVarTransformer(g, tiny, varWeights, {
    linear,
    embeddings: linear === 'float16' ? 'float16' : 'float32',
    activations,
  });
  const built = (await g.materialize()).toModel();
  return built.model;
}

/** CFG-mixed (t = 4·si/9) logits of every scale, forced along the golden ids: (3, l, V) per scale. */
async function forcedLogits(
  ort: OrtApi,
  model: Uint8Array,
  activations: 'float32' | 'float16',
): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(model);
  const T = ort.Tensor;
  const labels2B = new T('int64', BigInt64Array.from([...LABELS, 1000, 1000, 1000], BigInt), [6]);
  let past = emptyPast(T, manifest(activations), 3);
  const out: Float32Array[] = [];
  for (const [si, pn] of PATCH_NUMS.entries()) {
    const l = pn * pn;
    const nextInput = new T('float32', si === 0 ? new Float32Array(3 * CVAE) : (nextInputs[si - 1] as Float32Array), [
      3,
      l,
      CVAE,
    ]);
    const r = await session.run(
      transformerFeeds(T, { labels2B, nextInput, begin: BEGINS[si] as number, length: l, past }),
    );
    const present = r[VAR_IO.presentKey(0)];
    expect(present?.type).toBe(activations);
    out.push(mixGuidance((await r[VAR_IO.logits]?.getData()) as Float32Array, (4 * si) / 9));
    past = {};
    for (let i = 0; i < tiny.depth; i++) {
      past[VAR_IO.pastKey(i)] = r[VAR_IO.presentKey(i)] as never;
      past[VAR_IO.pastValue(i)] = r[VAR_IO.presentValue(i)] as never;
    }
  }
  await session.release();
  return out;
}

/** Index of the largest value and the gap to the second largest. */
function top2(row: Float32Array): { best: number; gap: number } {
  let best = 0;
  let second = Number.NEGATIVE_INFINITY;
  for (let v = 1; v < row.length; v++) {
    const x = row[v] as number;
    if (x > (row[best] as number)) {
      second = row[best] as number;
      best = v;
    } else if (x > second) second = x;
  }
  return { best, gap: (row[best] as number) - second };
}

/**
 * max |a − b|; greedy agreement with the golden ids (and where the golden top-2 gap exceeds `gap`); agreement with
 * the reference's greedy choice where its own top-2 gap exceeds `gap` (rounding alone cannot flip those).
 */
function compare(ours: Float32Array[], reference: Float32Array[], gap: number) {
  const top5 = loadNpy('a_cfg4_top5_val.npy', 'float32').data;
  const c = { maxDiff: 0, agree: 0, refAgree: 0, clear: 0, clearAgree: 0, refClear: 0, refClearAgree: 0, total: 3 * L };
  ours.forEach((logits, si) => {
    const l = (PATCH_NUMS[si] as number) ** 2;
    const ref = reference[si] as Float32Array;
    for (let i = 0; i < logits.length; i++)
      c.maxDiff = Math.max(c.maxDiff, Math.abs((logits[i] as number) - (ref[i] as number)));
    for (let r = 0; r < 3; r++) {
      for (let t = 0; t < l; t++) {
        const mine = top2(logits.subarray((r * l + t) * V, (r * l + t + 1) * V));
        const theirs = top2(ref.subarray((r * l + t) * V, (r * l + t + 1) * V));
        const pos = r * L + (BEGINS[si] as number) + t;
        const ok = mine.best === golden[pos];
        c.refAgree += mine.best === theirs.best ? 1 : 0;
        c.agree += ok ? 1 : 0;
        if ((top5[pos * 5] as number) - (top5[pos * 5 + 1] as number) > gap) {
          c.clear++;
          c.clearAgree += ok ? 1 : 0;
        }
        if (theirs.gap > gap) {
          c.refClear++;
          c.refClearAgree += mine.best === theirs.best ? 1 : 0;
        }
      }
    }
  });
  return c;
}

describe('VAR transformer with float16 activations (CPU)', () => {
  it('has float16 KV cache inputs/outputs, float32 logits, and passes the WebGPU op check', async () => {
    const model = await build('float16', 'float16');
    assertWebGpuOps(model);
    const graph = decodeModel(model).graph;
    const elem = (list: NonNullable<typeof graph>['input'], name: string) =>
      list?.find((v) => v.name === name)?.type?.tensorType?.elemType;
    expect(elem(graph?.input, VAR_IO.pastKey(0))).toBe(10); // FLOAT16
    expect(elem(graph?.output, VAR_IO.presentValue(1))).toBe(10);
    expect(elem(graph?.output, VAR_IO.logits)).toBe(1); // FLOAT
    expect(elem(graph?.input, VAR_IO.nextInput)).toBe(1);
  });

  it.each([
    // [runtime, weights, measured max |Δlogit| vs the same weights in float32 activations → limit]
    ['native', 'float16', 0.05],
    ['native', { bits: 4, blockSize: 128, zeroPoints: false }, 0.05],
    ['wasm', 'float16', 0.05],
  ] as const)('%s, %j weights: logits near float32, greedy choices as the goldens', async (runtime, linear, limit) => {
    const ort = (runtime === 'native' ? ortNode : ortWeb) as unknown as OrtApi;
    const reference = await forcedLogits(ort, await build(linear, 'float32'), 'float32');
    const ours = await forcedLogits(ort, await build(linear, 'float16'), 'float16');
    // Golden decisions whose top-2 gap is 10× the fp16 noise cannot flip from rounding alone.
    const c = compare(ours, reference, 10 * limit);
    const base = compare(reference, reference, 10 * limit);
    console.info(
      `f16 activations ${runtime} ${JSON.stringify(linear)}: max |Δlogit| vs float32 activations ${c.maxDiff.toExponential(2)}; ` +
        `greedy = float32-activation greedy ${c.refAgree}/${c.total}, = golden ${c.agree}/${c.total} (float32 activations, same weights: ${base.agree}/${c.total}); ` +
        `where the golden gap > ${10 * limit}: ${c.clearAgree}/${c.clear}; ` +
        `= float32-activation choice where its gap > ${10 * limit}: ${c.refClearAgree}/${c.refClear}`,
    );
    expect(c.maxDiff).toBeLessThan(limit);
    expect(c.maxDiff).toBeGreaterThan(0); // it really ran in float16
    expect(c.refClearAgree).toBe(c.refClear);
    // float16 weights keep the official decisions; 4-bit weights change them before any activation does.
    if (linear === 'float16') expect(c.clearAgree).toBe(c.clear);
  });
});
