// The loop frees what it owns: over 100 generations every device-resident tensor ORT hands it is disposed.
//
// WASM has no GPU buffers, so the sessions here are wrapped: every output is given to the loop as a stand-in that
// reports location 'gpu-buffer' and counts its dispose(); stand-ins fed back as inputs are unwrapped for ORT.

import type { InferenceSession, Tensor } from 'onnxruntime-common';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { planPack } from '../pack/build-pack';
import type { PackManifest } from '../pack/manifest';
import type { PackSource } from '../pack/pack-source';
import type { InferenceBackend, OrtApi } from './backend';
import { VarPipeline } from './var-pipeline';

async function microPack(): Promise<PackSource> {
  const plan = await planPack({ kind: 'synthetic', architecture: 'micro' });
  const files = new Map<string, Uint8Array>();
  for (const f of plan.files) {
    const bytes = new Uint8Array(f.byteLength);
    let offset = 0;
    for await (const chunk of f.chunks()) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    files.set(f.path, bytes);
  }
  const manifest: PackManifest = { ...plan.manifest, files: [] };
  return { manifest, file: async (path) => files.get(path) as Uint8Array };
}

describe('VarPipeline tensor lifetime', () => {
  it('disposes every device-resident output over 100 generations (none left alive)', async () => {
    ort.env.wasm.numThreads = 1;
    const alive = new Set<Tensor>();
    const real = new WeakMap<Tensor, Tensor>();
    let handedOut = 0;
    const standIn = (t: Tensor): Tensor => {
      const proxy: Tensor = new Proxy(t, {
        get(target, prop) {
          if (prop === 'location') return 'gpu-buffer';
          if (prop === 'dispose') return () => alive.delete(proxy);
          const value = Reflect.get(target, prop, target) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      real.set(proxy, t);
      alive.add(proxy);
      handedOut++;
      return proxy;
    };
    const wrapped: OrtApi = {
      Tensor: ort.Tensor,
      InferenceSession: {
        async create(model, options) {
          const { preferredOutputLocation: _, ...cpuOptions } = options ?? {};
          const session = await ort.InferenceSession.create(model, cpuOptions);
          return new Proxy(session, {
            get(target, prop) {
              if (prop !== 'run') return Reflect.get(target, prop, target);
              return async (feeds: Record<string, Tensor>) => {
                const inputs = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, real.get(t) ?? t]));
                const out = await target.run(inputs as InferenceSession.FeedsType);
                return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, standIn(t as Tensor)]));
              };
            },
          });
        },
      },
    };
    const backend: InferenceBackend = {
      name: 'wasm (device-resident stand-ins)',
      ort: wrapped,
      executionProviders: ['wasm'],
      deviceResident: true,
    };
    const pipeline = await VarPipeline.load(await microPack(), backend);
    for (let i = 0; i < 100; i++) {
      await pipeline.generate(
        { labels: [i % 1000], cfg: 4, topK: 900, topP: 0.95, moreSmooth: false, seed: i },
        i % 10 === 0 ? { onScale: async (e) => void (await e.decodePreview(2)) } : {},
      );
      expect(alive.size, `tensors left alive after generation ${i}`).toBe(0);
    }
    // 4 scales × (transformer: logits + 2·depth presents; quantizer: 2) + 1 decode, per generation (and previews).
    expect(handedOut).toBeGreaterThan(100 * (4 * (1 + 2 * 2 + 2) + 1));
    await pipeline.release();
  });
});
