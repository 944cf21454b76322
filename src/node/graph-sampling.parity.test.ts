// sampleOn 'graph' against the default JS sampling on the tiny fixture model, in onnxruntime-node (CPU EP) and
// onnxruntime-web (WASM): the same ids, image for image, and the settings the graph does not reproduce fall back.
import { beforeAll, describe, expect, it } from 'vitest';
import type { GenerateRequest } from '../core/generate/var-pipeline';
import { VarPipeline } from '../core/generate/var-pipeline';
import { MemoryByteSource } from '../core/io/byte-source';
import type { PackSource } from '../core/pack/pack-source';
import { openCheckpoint } from '../core/pth/checkpoint';
import { fixtureBytes, loadNpy } from '../testing/fixtures';
import { memoryPack } from '../testing/memory-pack';
import { type NodeBackendName, nodeBackend } from './ort-backends';

const BACKENDS: readonly NodeBackendName[] = ['native', 'wasm'];
let pack: PackSource;
const pipelines = new Map<string, VarPipeline>();
const pipeline = (backend: NodeBackendName, sampleOn: 'js' | 'graph') =>
  pipelines.get(`${backend}-${sampleOn}`) as VarPipeline;

beforeAll(async () => {
  const varCkpt = await openCheckpoint(new MemoryByteSource(fixtureBytes('tiny_var.pth'), 'tiny_var.pth'));
  const vaeCkpt = await openCheckpoint(new MemoryByteSource(fixtureBytes('tiny_vae.pth'), 'tiny_vae.pth'));
  pack = await memoryPack(varCkpt, vaeCkpt);
  for (const backend of BACKENDS) {
    for (const sampleOn of ['js', 'graph'] as const) {
      pipelines.set(
        `${backend}-${sampleOn}`,
        await VarPipeline.load(pack, await nodeBackend(backend, 1), { sampleOn }),
      );
    }
  }
});

const ids = (r: { ids: Int32Array[] }) => r.ids.flatMap((row) => Array.from(row));

describe.each(BACKENDS)("sampleOn 'graph' (%s)", (backend) => {
  it('greedy cfg 4 reproduces the official ids', async () => {
    const result = await pipeline(backend, 'graph').generate({
      labels: [0, 207, 980],
      cfg: 4,
      topK: 1,
      topP: 0,
      moreSmooth: false,
      seed: 0,
    });
    expect(result.sampledOn).toBe('graph');
    expect(ids(result)).toEqual(Array.from(loadNpy('a_cfg4_ids.npy', 'int32').data));
  });

  // WASM is ~3× slower here: it runs the demo-like case only.
  it.each(
    [
      { cfg: 4, topK: 900, seed: 3 },
      { cfg: 1.5, topK: 0, seed: 4 },
      { cfg: 0, topK: 50, seed: 5 },
    ].slice(0, backend === 'wasm' ? 1 : 3),
  )('sampled runs give the JS path ids (%o)', async (settings) => {
    const request: GenerateRequest = { labels: [207, 980], topP: 0, moreSmooth: false, ...settings };
    const js = await pipeline(backend, 'js').generate(request);
    const graph = await pipeline(backend, 'graph').generate(request);
    expect([js.sampledOn, graph.sampledOn]).toEqual(['js', 'graph']);
    expect(ids(graph)).toEqual(ids(js));
    expect(graph.images.data).toEqual(js.images.data);
  });

  it('top-p and more_smooth fall back to JS sampling (same ids as sampleOn js)', async () => {
    for (const extra of [
      { topP: 0.95, moreSmooth: false },
      { topP: 0, moreSmooth: true },
    ]) {
      const request: GenerateRequest = { labels: [207], cfg: 4, topK: 900, seed: 9, ...extra };
      const graph = await pipeline(backend, 'graph').generate(request);
      expect(graph.sampledOn).toBe('js');
      expect(ids(graph)).toEqual(ids(await pipeline(backend, 'js').generate(request)));
    }
  });
});
