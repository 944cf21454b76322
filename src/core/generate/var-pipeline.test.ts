// The loop end to end on the tiny fixture model (WASM in Node): greedy runs reproduce the official ids exactly.

import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureBytes, loadNpy } from '../../testing/fixtures';
import { compareFloatWithGoldenPng } from '../../testing/golden-png';
import { memoryPack } from '../../testing/memory-pack';
import { maxAbsDiff } from '../../testing/ort-node';
import { MemoryByteSource } from '../io/byte-source';
import { openCheckpoint } from '../pth/checkpoint';
import type { InferenceBackend } from './backend';
import { type GenerateRequest, VarPipeline } from './var-pipeline';

const wasm: InferenceBackend = { name: 'wasm', ort, executionProviders: ['wasm'], deviceResident: false };
let pipeline: VarPipeline;

beforeAll(async () => {
  ort.env.wasm.numThreads = 1;
  const varCkpt = await openCheckpoint(new MemoryByteSource(fixtureBytes('tiny_var.pth'), 'tiny_var.pth'));
  const vaeCkpt = await openCheckpoint(new MemoryByteSource(fixtureBytes('tiny_vae.pth'), 'tiny_vae.pth'));
  pipeline = await VarPipeline.load(await memoryPack(varCkpt, vaeCkpt), wasm);
});

// Per golden case, about 3× what the loop measures (WASM, one thread: deterministic); measured figures beside.
// `outside`: how far a float value lies outside its golden byte's truncation interval ([0, 1] units).
const PNG_LIMITS = {
  4: { differing: 500, maxByteDiff: 1, outside: 1.8e-5 }, // measured: 191 of 589,824 bytes, 1, 5.98e-6
  0: { differing: 500, maxByteDiff: 1, outside: 1.5e-5 }, // measured: 200 of 589,824 bytes, 1, 4.97e-6
} as const;

describe('VarPipeline.generate (tiny fixture model, WASM)', () => {
  it.each([4, 0])('greedy at cfg %d reproduces all 3 × 680 official ids and the golden images', async (cfg) => {
    const events: number[] = [];
    const result = await pipeline.generate(
      { labels: [0, 207, 980], cfg, topK: 1, topP: 0, moreSmooth: false, seed: 0 },
      { onScale: (e) => void events.push(e.pn) },
    );
    expect(events).toEqual([1, 2, 3, 4, 5, 6, 8, 10, 13, 16]);
    const golden = loadNpy(`a_cfg${cfg}_ids.npy`, 'int32').data;
    for (let b = 0; b < 3; b++) {
      const mismatches = (result.ids[b] as Int32Array).reduce(
        (n, id, i) => n + (id === golden[b * 680 + i] ? 0 : 1),
        0,
      );
      expect(mismatches, `image ${b}`).toBe(0);
    }
    // Final images against the golden PNG (bytes and float intervals) and, for cfg 4, the float image of row 0.
    const parity = compareFloatWithGoldenPng(result.images.data, 3, result.images.size, `a_cfg${cfg}_image.png`);
    console.info(`pipeline cfg ${cfg}: ${JSON.stringify(parity)}`);
    const limits = PNG_LIMITS[cfg as 4 | 0];
    expect(parity.maxByteDiff).toBeLessThanOrEqual(limits.maxByteDiff);
    expect(parity.differing).toBeLessThanOrEqual(limits.differing);
    expect(parity.maxOutside).toBeLessThanOrEqual(limits.outside);
    if (cfg === 4) {
      const golden = loadNpy('a_cfg4_image.npy', 'float32').data;
      const err = maxAbsDiff(result.images.data.subarray(0, golden.length), golden);
      console.info(`pipeline cfg 4: image row 0 max |Δ| ${err.toExponential(2)}`);
      expect(err).toBeLessThanOrEqual(4.5e-5); // measured 1.49e-5
    }
  });

  it('gives the same ids for the same seed and different ids for another seed', async () => {
    const request = { labels: [207], cfg: 4, topK: 900, topP: 0.95, moreSmooth: false, seed: 7 };
    const a = await pipeline.generate(request);
    const b = await pipeline.generate(request);
    const c = await pipeline.generate({ ...request, seed: 8 });
    expect(Array.from(a.ids[0] as Int32Array)).toEqual(Array.from(b.ids[0] as Int32Array));
    expect(Array.from(a.ids[0] as Int32Array)).not.toEqual(Array.from(c.ids[0] as Int32Array));
    expect(a.images.data).toEqual(b.images.data);
  });

  it('image b of a batch equals image 0 of a run seeded seed + b (what a share link relies on)', async () => {
    const batch = await pipeline.generate({
      labels: [1, 2],
      cfg: 1.5,
      topK: 900,
      topP: 0.96,
      moreSmooth: false,
      seed: 10,
    });
    const single = await pipeline.generate({
      labels: [2],
      cfg: 1.5,
      topK: 900,
      topP: 0.96,
      moreSmooth: false,
      seed: 11,
    });
    expect(Array.from(single.ids[0] as Int32Array)).toEqual(Array.from(batch.ids[1] as Int32Array));
  });

  it('runs more_smooth (soft embeddings) deterministically', async () => {
    const request = { labels: [980], cfg: 4, topK: 900, topP: 0.95, moreSmooth: true, seed: 3 };
    const a = await pipeline.generate(request);
    const b = await pipeline.generate(request);
    const plain = await pipeline.generate({ ...request, moreSmooth: false });
    expect(a.images.data).toEqual(b.images.data);
    // The sampled ids are drawn before the Gumbel noise, so the first scale's id matches; f_hat (and so later
    // scales and the image) differ.
    expect((a.ids[0] as Int32Array)[0]).toBe((plain.ids[0] as Int32Array)[0]);
    expect(a.images.data).not.toEqual(plain.images.data);
  });

  it('stops between scales when aborted, with E_ABORTED', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const run = pipeline.generate(
      { labels: [0], cfg: 4, topK: 900, topP: 0.95, moreSmooth: false, seed: 1 },
      {
        signal: controller.signal,
        onScale: (e) => {
          seen.push(e.si);
          if (e.si === 2) controller.abort();
        },
      },
    );
    await expect(run).rejects.toMatchObject({ code: 'E_ABORTED' });
    expect(seen).toEqual([0, 1, 2]);
  });

  it('rejects bad settings (naming the field) and classes with specific errors, before running anything', async () => {
    const ok = { labels: [0], cfg: 4, topK: 900, topP: 0.95, moreSmooth: false, seed: 0 };
    const bad: [Partial<GenerateRequest>, string][] = [
      [{ cfg: -1 }, 'cfg'],
      [{ cfg: Number.NaN }, 'cfg'],
      [{ topK: 4097 }, 'topK'], // the tiny model's V = 4096
      [{ topK: 1.5 }, 'topK'],
      [{ topP: 1.5 }, 'topP'],
      [{ topP: Number.POSITIVE_INFINITY }, 'topP'],
      [{ seed: -1 }, 'seed'],
      [{ seed: 2 ** 32 }, 'seed'],
      [{ labels: [] }, 'labels'],
      [{ labels: [-1] }, 'labels[0]'],
      [{ labels: [3, 0.5] }, 'labels[1]'],
    ];
    for (const [change, field] of bad) {
      await expect(pipeline.generate({ ...ok, ...change }), field).rejects.toMatchObject({
        code: 'E_BAD_SETTINGS',
        details: { field },
      });
    }
    await expect(pipeline.generate({ ...ok, labels: [1000] })).rejects.toMatchObject({ code: 'E_BAD_CLASS' });
  });

  it('decodes a preview of the image so far at every scale', async () => {
    const sizes: number[] = [];
    await pipeline.generate(
      { labels: [5], cfg: 4, topK: 900, topP: 0.95, moreSmooth: false, seed: 2 },
      {
        onScale: async (e) => {
          if (e.si % 4 === 0) sizes.push((await e.decodePreview()).size);
        },
      },
    );
    expect(sizes).toEqual([256, 256, 256]);
  });
});
