// The loop end to end on the tiny fixture model (WASM in Node): greedy runs reproduce the official ids exactly.

import { decode as decodePng } from 'fast-png';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixtureBytes, loadNpy } from '../../testing/fixtures';
import { memoryPack } from '../../testing/memory-pack';
import { MemoryByteSource } from '../io/byte-source';
import { openCheckpoint } from '../pth/checkpoint';
import type { InferenceBackend } from './backend';
import { VarPipeline } from './var-pipeline';

const wasm: InferenceBackend = { name: 'wasm', ort, executionProviders: ['wasm'], deviceResident: false };
let pipeline: VarPipeline;

beforeAll(async () => {
  ort.env.wasm.numThreads = 1;
  const varCkpt = await openCheckpoint(new MemoryByteSource(fixtureBytes('tiny_var.pth'), 'tiny_var.pth'));
  const vaeCkpt = await openCheckpoint(new MemoryByteSource(fixtureBytes('tiny_vae.pth'), 'tiny_vae.pth'));
  pipeline = await VarPipeline.load(await memoryPack(varCkpt, vaeCkpt), wasm);
});

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
    // Final images within 2/255 of the golden PNG (256 × 768: the three images side by side, uint8(x·255) truncated).
    const png = decodePng(fixtureBytes(`a_cfg${cfg}_image.png`));
    const channels = png.channels;
    const { data, size } = result.images;
    let worst = 0;
    for (let b = 0; b < 3; b++) {
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < size; y++) {
          for (let x = 0; x < size; x++) {
            const ours = Math.trunc((data[((b * 3 + c) * size + y) * size + x] as number) * 255);
            const theirs = png.data[(y * png.width + b * size + x) * channels + c] as number;
            worst = Math.max(worst, Math.abs(ours - theirs));
          }
        }
      }
    }
    expect(worst).toBeLessThanOrEqual(2);
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

  it('rejects bad settings and classes with specific errors', async () => {
    const ok = { labels: [0], cfg: 4, topK: 900, topP: 0.95, moreSmooth: false, seed: 0 };
    await expect(pipeline.generate({ ...ok, cfg: -1 })).rejects.toMatchObject({ code: 'E_BAD_SETTINGS' });
    await expect(pipeline.generate({ ...ok, topP: 1.5 })).rejects.toMatchObject({ code: 'E_BAD_SETTINGS' });
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
