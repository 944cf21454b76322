// Packs on disk: the tiny fixtures and the micro architecture written, hashed, read back, verified and run in ORT.

import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VAR_IO } from '../core/graphs/var-transformer';
import { quantizerStepFeeds } from '../core/graphs/vq-quantizer';
import { checkpointWeights } from '../core/graphs/weight-provider';
import { assertWebGpuOps } from '../core/onnx/webgpu-ops';
import { type PackPlan, planPack, TRANSFORMER_EXTERNAL_DATA, transformerBuilder } from '../core/pack/build-pack';
import type { PackManifest } from '../core/pack/manifest';
import type { PackSource } from '../core/pack/pack-source';
import type { Checkpoint } from '../core/pth/types';
import { openFixture } from '../testing/fixtures';
import { listDir, packSession, tempDir } from '../testing/pack-fixtures';
import { openPackDir, writePack } from './pack-dir';

const SHA0 = '0'.repeat(64);

let root: { dir: string; cleanup(): Promise<void> };
let varCkpt: Checkpoint;
let vaeCkpt: Checkpoint;

async function tinyPlan(): Promise<PackPlan> {
  return planPack(
    {
      kind: 'checkpoints',
      var: varCkpt,
      vae: vaeCkpt,
      source: {
        var: { path: 'tiny_var.pth', bytes: 7_371_227, sha256: SHA0 },
        vae: { path: 'tiny_vae.pth', bytes: 6_193_027, sha256: SHA0 },
      },
    },
    { name: 'tiny', label: 'Tiny test model (random weights)', randomWeights: true },
  );
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  root = await tempDir('pack');
  [varCkpt, vaeCkpt] = await Promise.all([openFixture('tiny_var.pth'), openFixture('tiny_vae.pth')]);
});

afterAll(async () => {
  await root.cleanup();
});

describe('the tiny fixture pack', () => {
  let dir: string;
  let manifest: PackManifest;

  beforeAll(async () => {
    dir = join(root.dir, 'tiny');
    const progress: number[] = [];
    ({ manifest } = await writePack(await tinyPlan(), dir, { onProgress: (p) => progress.push(p.bytesWritten) }));
    // Progress only grows and ends at the total.
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(manifest.files.reduce((n, f) => n + f.bytes, 0));
  });

  it('records the inferred configs, patch_nums and every file with its size and sha256', async () => {
    const onDisk = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as PackManifest;
    expect(onDisk).toEqual(manifest);
    expect(manifest).toMatchObject({
      name: 'tiny',
      label: 'Tiny test model (random weights)',
      synthetic: false,
      randomWeights: true,
      patchNums: [1, 2, 3, 4, 5, 6, 8, 10, 13, 16],
      imageSize: 256,
      var: { depth: 2, width: 128, heads: 2, mlpHidden: 512, vocabSize: 4096, cvae: 32, numClasses: 1000 },
      vqvae: { ch: 32, chMult: [1, 1, 1, 1, 2], numResBlocks: 2, zChannels: 32, phiCount: 4, numScales: 10 },
      graphs: {
        transformer: {
          model: 'transformer.onnx',
          externalData: ['transformer.data'],
          weights: 'float32',
          attention: 'matmul',
        },
        quantizer: { model: 'quantizer.onnx', externalData: [], weights: 'float32' },
        decoder: { model: 'decoder.onnx', externalData: ['decoder.data'], weights: 'float32' },
      },
    });
    expect(manifest.files.map((f) => f.path).sort()).toEqual(
      [
        'codebook.f32',
        'decoder.data',
        'decoder.onnx',
        'encoder.data',
        'encoder.onnx',
        'quantizer.onnx',
        'tokenizer.onnx',
        'transformer.data',
        'transformer.onnx',
      ].sort(),
    );
    expect(await listDir(dir)).toEqual([...manifest.files.map((f) => f.path), 'manifest.json'].sort());
    for (const f of manifest.files) {
      const bytes = await readFile(join(dir, f.path));
      expect(bytes.byteLength, f.path).toBe(f.bytes);
      expect(sha256(bytes), f.path).toBe(f.sha256);
    }
    // Only what generation needs: no encoder, no training buffers, no quant_conv.
    const decoderModel = await readFile(join(dir, 'decoder.onnx'), 'latin1');
    expect(decoderModel).toMatch(/post_quant_conv\.weight/);
    expect(decoderModel).not.toMatch(/encoder\.|(?<!post_)quant_conv\.|ema_vocab_hit/);
    expect(await readFile(join(dir, 'transformer.onnx'), 'latin1')).not.toMatch(/attn_bias_for_masking|zero_k_bias/);
    // The codebook file is the checkpoint's quantize.embedding.weight, raw float32.
    const codebook = await vaeCkpt.tensors.get('quantize.embedding.weight')?.readFloat32();
    expect(
      Buffer.from(await readFile(join(dir, 'codebook.f32'))).equals(Buffer.from((codebook as Float32Array).buffer)),
    ).toBe(true);
  });

  it('writes the transformer byte-identical to an in-memory build of the same graph', async () => {
    const reference = transformerBuilder(manifest.var, checkpointWeights(varCkpt), 'matmul');
    const built = (await reference.materialize()).toModel({ externalData: TRANSFORMER_EXTERNAL_DATA });
    expect((await readFile(join(dir, 'transformer.onnx'))).equals(built.model)).toBe(true);
    expect(
      (await readFile(join(dir, 'transformer.data'))).equals(built.externalData.get('transformer.data') as Uint8Array),
    ).toBe(true);
  });

  it('reads back through openPackDir; every graph passes the WebGPU op check and loads in ORT WASM', async () => {
    const pack = await openPackDir(dir);
    expect(pack.manifest).toEqual(manifest);
    for (const graph of Object.values(pack.manifest.graphs)) {
      assertWebGpuOps(await pack.file(graph.model));
      const session = await packSession(pack, graph);
      expect(session.inputNames.length).toBeGreaterThan(0);
      await session.release();
    }
  });

  it('detects a flipped byte, a truncated file and a missing file (E_PACK_CORRUPT naming the file)', async () => {
    const copy = join(root.dir, 'tiny-damaged');
    await cp(dir, copy, { recursive: true });
    const data = await readFile(join(copy, 'decoder.data'));
    data[1000] = (data[1000] as number) ^ 0x01;
    await writeFile(join(copy, 'decoder.data'), data);
    const pack = await openPackDir(copy);
    await expect(pack.file('decoder.data')).rejects.toMatchObject({
      code: 'E_PACK_CORRUPT',
      message: expect.stringMatching(/^decoder\.data in the pack at .* does not match its sha256/),
    });
    await truncate(join(copy, 'transformer.data'), 1000);
    await expect(pack.file('transformer.data')).rejects.toMatchObject({
      code: 'E_PACK_CORRUPT',
      message: expect.stringMatching(/^transformer\.data .* has 1000 bytes, the manifest says \d+ \(truncated\)/),
    });
    await writeFile(join(copy, 'codebook.f32'), '');
    await expect(pack.file('codebook.f32')).rejects.toMatchObject({ code: 'E_PACK_CORRUPT' });
    await expect(pack.file('../manifest.json')).rejects.toMatchObject({ code: 'E_PACK_FORMAT' });
    // Untouched files still read.
    expect((await pack.file('quantizer.onnx')).byteLength).toBeGreaterThan(0);
  });

  it('says clearly when there is no pack, or no valid manifest', async () => {
    await expect(openPackDir(join(root.dir, 'nowhere'))).rejects.toMatchObject({
      code: 'E_PACK_MISSING',
      message: expect.stringMatching(
        /^no model pack at .*nowhere \(manifest\.json not found\); make one with npm run convert$/,
      ),
    });
    const bad = join(root.dir, 'bad-json');
    await mkdir(bad);
    await writeFile(join(bad, 'manifest.json'), '{"format": ');
    await expect(openPackDir(bad)).rejects.toMatchObject({ code: 'E_PACK_FORMAT' });
    await writeFile(join(bad, 'manifest.json'), JSON.stringify({ ...manifest, formatVersion: 2 }));
    await expect(openPackDir(bad)).rejects.toMatchObject({ code: 'E_PACK_VERSION' });
  });
});

describe('writePack is all or nothing', () => {
  /** The tiny plan with one file whose stream fails before its `failAt`-th chunk (or after its last one: 'end'). */
  async function failingPlan(path: string, failAt: number | 'end'): Promise<PackPlan> {
    const plan = await tinyPlan();
    return {
      ...plan,
      files: plan.files.map((f) =>
        f.path !== path
          ? f
          : {
              ...f,
              async *chunks() {
                let n = 0;
                for await (const chunk of f.chunks()) {
                  if (++n === failAt) throw new Error('disk on fire');
                  yield chunk;
                }
                throw new Error('disk on fire');
              },
            },
      ),
    };
  }

  it('leaves no outDir and no temp folder when a weight stream fails midway', async () => {
    const parent = join(root.dir, 'interrupted');
    await mkdir(parent);
    await expect(writePack(await failingPlan('decoder.data', 3), join(parent, 'pack'))).rejects.toThrow('disk on fire');
    expect(await listDir(parent)).toEqual([]);
  });

  it('leaves nothing when aborted, and an existing pack unchanged', async () => {
    const parent = join(root.dir, 'aborted');
    const out = join(parent, 'pack');
    await writePack(await tinyPlan(), out);
    const before = await readFile(join(out, 'manifest.json'), 'utf8');
    const controller = new AbortController();
    const plan = await tinyPlan();
    const write = writePack(plan, out, {
      force: true,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.file === 'transformer.data' && p.fileBytesWritten > 0) controller.abort();
      },
    });
    await expect(write).rejects.toMatchObject({ code: 'E_ABORTED' });
    expect(await listDir(parent)).toEqual(['pack']);
    expect(await readFile(join(out, 'manifest.json'), 'utf8')).toBe(before);
    // A failure while replacing (here after the last file, just before the manifest) leaves the old pack too.
    await expect(writePack(await failingPlan('codebook.f32', 'end'), out, { force: true })).rejects.toThrow(
      'disk on fire',
    );
    expect(await listDir(parent)).toEqual(['pack']);
    expect(await readFile(join(out, 'manifest.json'), 'utf8')).toBe(before);
  });

  it('refuses an existing outDir without force (E_PACK_EXISTS), replaces a pack with force, never a non-pack', async () => {
    const parent = join(root.dir, 'exists');
    const out = join(parent, 'pack');
    await writePack(await tinyPlan(), out);
    await expect(writePack(await tinyPlan(), out)).rejects.toMatchObject({
      code: 'E_PACK_EXISTS',
      message: expect.stringMatching(/already exists; choose another --out or pass --force/),
    });
    const micro = await planPack({ kind: 'synthetic', architecture: 'micro' });
    await writePack(micro, out, { force: true });
    expect((await openPackDir(out)).manifest.name).toBe('synthetic-micro');
    expect(await listDir(parent)).toEqual(['pack']);
    expect(await listDir(out)).not.toContain('transformer.data.1');

    const notAPack = join(parent, 'photos');
    await mkdir(notAPack);
    await writeFile(join(notAPack, 'cat.jpg'), 'meow');
    await expect(writePack(micro, notAPack, { force: true })).rejects.toMatchObject({
      code: 'E_PACK_EXISTS',
      message: expect.stringMatching(/is not a model pack .*refusing to replace it even with --force/),
    });
    expect(await listDir(notAPack)).toEqual(['cat.jpg']);
  });
});

describe('the synthetic micro pack', () => {
  let pack: PackSource;

  beforeAll(async () => {
    const dir = join(root.dir, 'micro');
    await writePack(await planPack({ kind: 'synthetic', architecture: 'micro' }), dir);
    pack = await openPackDir(dir);
  });

  it('is deterministic for a seed', async () => {
    const again = join(root.dir, 'micro-again');
    const { manifest } = await writePack(await planPack({ kind: 'synthetic', architecture: 'micro' }), again);
    expect(manifest.files).toEqual(pack.manifest.files);
  });

  it('runs its first scale through transformer, quantizer and decoder (4×4 latent → 64×64 image)', async () => {
    const m = pack.manifest;
    const { var: v, vqvae } = m;
    const [transformer, quantizer, decoder] = await Promise.all([
      packSession(pack, m.graphs.transformer),
      packSession(pack, m.graphs.quantizer),
      packSession(pack, m.graphs.decoder),
    ]);
    const empty = new ort.Tensor('float32', new Float32Array(0), [2, v.heads, 0, v.headDim]);
    const past: Record<string, ort.Tensor> = {};
    for (let i = 0; i < v.depth; i++) {
      past[VAR_IO.pastKey(i)] = empty;
      past[VAR_IO.pastValue(i)] = empty;
    }
    const out = await transformer.run({
      [VAR_IO.labels]: new ort.Tensor('int64', BigInt64Array.of(207n, BigInt(m.numClasses)), [2]),
      [VAR_IO.nextInput]: new ort.Tensor('float32', new Float32Array(v.cvae), [1, 1, v.cvae]),
      [VAR_IO.tokenBegin]: new ort.Tensor('int64', BigInt64Array.of(0n), [1]),
      [VAR_IO.tokenEnd]: new ort.Tensor('int64', BigInt64Array.of(1n), [1]),
      [VAR_IO.isFirst]: new ort.Tensor('bool', Uint8Array.of(1), [1]),
      ...past,
    });
    const logits = out[VAR_IO.logits] as ort.Tensor;
    expect(logits.dims).toEqual([2, 1, v.vocabSize]);
    const values = logits.data as Float32Array;
    expect(values.every(Number.isFinite)).toBe(true);
    // Random but not degenerate: the logits spread, and the class reaches them.
    expect(Math.max(...values) - Math.min(...values)).toBeGreaterThan(0.1);
    expect(values.subarray(0, v.vocabSize)).not.toEqual(values.subarray(v.vocabSize));

    const S = m.patchNums.at(-1) as number;
    const feeds = quantizerStepFeeds(m.patchNums, 0, vqvae.phiCount);
    const codebook = new Float32Array((await pack.file(m.codebook.path)).slice().buffer);
    const step = await quantizer.run({
      h_BnC: new ort.Tensor('float32', codebook.slice(7 * vqvae.zChannels, 8 * vqvae.zChannels), [
        1,
        1,
        vqvae.zChannels,
      ]),
      f_hat: new ort.Tensor('float32', new Float32Array(vqvae.zChannels * S * S), [1, vqvae.zChannels, S, S]),
      up_matrix: new ort.Tensor('float32', feeds.upMatrix.data, feeds.upMatrix.dims),
      down_matrix: new ort.Tensor('float32', feeds.downMatrix.data, feeds.downMatrix.dims),
      phi_index: new ort.Tensor('int32', Int32Array.of(feeds.phiIndex), []),
    });
    expect((step.f_hat_out as ort.Tensor).dims).toEqual([1, vqvae.zChannels, S, S]);
    expect((step.next_input as ort.Tensor).dims).toEqual([1, 4, vqvae.zChannels]);

    const fHat = { f_hat: step.f_hat_out as ort.Tensor };
    await decoder.run(fHat); // warm-up
    const t0 = performance.now();
    const image = (await decoder.run(fHat)).image as ort.Tensor;
    const decodeMs = performance.now() - t0;
    expect(image.dims).toEqual([1, 3, m.imageSize, m.imageSize]);
    expect((image.data as Float32Array).every((x) => x >= 0 && x <= 1)).toBe(true);
    console.info(`micro decoder, WASM 1 thread, 4×4 → 64×64: ${decodeMs.toFixed(1)} ms`);
    await Promise.all([transformer.release(), quantizer.release(), decoder.release()]);
  });
});
