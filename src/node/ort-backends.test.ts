// onnxruntime-node (CPU EP) and onnxruntime-web (WASM) give the same ids for the same pack, settings and seed.
import { beforeAll, describe, expect, it } from 'vitest';
import type { GenerateRequest } from '../core/generate/var-pipeline';
import { VarPipeline } from '../core/generate/var-pipeline';
import { MemoryByteSource } from '../core/io/byte-source';
import type { PackSource } from '../core/pack/pack-source';
import { openCheckpoint } from '../core/pth/checkpoint';
import { fixtureBytes, loadNpy } from '../testing/fixtures';
import { memoryPack } from '../testing/memory-pack';
import { nodeBackend } from './ort-backends';

let pack: PackSource;
const pipelines: Partial<Record<'wasm' | 'native', VarPipeline>> = {};

beforeAll(async () => {
  const varCkpt = await openCheckpoint(new MemoryByteSource(fixtureBytes('tiny_var.pth'), 'tiny_var.pth'));
  const vaeCkpt = await openCheckpoint(new MemoryByteSource(fixtureBytes('tiny_vae.pth'), 'tiny_vae.pth'));
  pack = await memoryPack(varCkpt, vaeCkpt);
  pipelines.wasm = await VarPipeline.load(pack, await nodeBackend('wasm', 1));
  pipelines.native = await VarPipeline.load(pack, await nodeBackend('native', 1));
});

describe('Node backends', () => {
  it('native greedy cfg 4 reproduces the official ids', async () => {
    const result = await (pipelines.native as VarPipeline).generate({
      labels: [0, 207, 980],
      cfg: 4,
      topK: 1,
      topP: 0,
      moreSmooth: false,
      seed: 0,
    });
    expect(result.backend).toBe('native');
    const golden = loadNpy('a_cfg4_ids.npy', 'int32').data;
    expect(result.ids.flatMap((ids) => Array.from(ids))).toEqual(Array.from(golden));
  });

  it.each([0, 1, 2, 3])('sampled ids agree between WASM and native (seed %d)', async (seed) => {
    const request: GenerateRequest = { labels: [207, 980], cfg: 4, topK: 900, topP: 0.95, moreSmooth: false, seed };
    const wasm = await (pipelines.wasm as VarPipeline).generate(request);
    const native = await (pipelines.native as VarPipeline).generate(request);
    expect(native.ids.map((ids) => Array.from(ids))).toEqual(wasm.ids.map((ids) => Array.from(ids)));
    let worst = 0;
    for (let i = 0; i < wasm.images.data.length; i++) {
      worst = Math.max(worst, Math.abs((wasm.images.data[i] as number) - (native.images.data[i] as number)));
    }
    expect(worst).toBeLessThan(1e-3);
  });
});
