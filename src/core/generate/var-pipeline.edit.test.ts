// Editing end to end on the tiny fixture model (WASM in Node): the official edit goldens (fixtures README §7).

import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { editInputImage, fixturePixels } from '../../testing/edit-fixtures';
import { fixtureBytes, loadNpy } from '../../testing/fixtures';
import { compareFloatWithGoldenPng } from '../../testing/golden-png';
import { memoryPack } from '../../testing/memory-pack';
import { maxAbsDiff } from '../../testing/ort-node';
import { MemoryByteSource } from '../io/byte-source';
import { openCheckpoint } from '../pth/checkpoint';
import type { InferenceBackend } from './backend';
import { constantMask, fitMask } from './edit-input';
import { type EditRequest, VarPipeline } from './var-pipeline';

const wasm: InferenceBackend = { name: 'wasm', ort, executionProviders: ['wasm'], deviceResident: false };
const GREEDY = { cfg: 4, topK: 1, topP: 0, moreSmooth: false, seed: 0 } as const;
let pipeline: VarPipeline;

// The generation goldens' limits (var-pipeline.test.ts: ≤ 1 level, 500 of 3 images' bytes, 1.8e-5 outside the
// golden byte's interval), per image: about 3× the measured figures of one image of 196,608 bytes.
// Measured: inpaint 78 bytes, 1, 6.97e-6; outpaint 72, 1, 4.49e-6; reconstruction 59, 1, 5.51e-6.
const PNG_LIMITS = { differing: 250, maxByteDiff: 1, outside: 1.8e-5 };

beforeAll(async () => {
  ort.env.wasm.numThreads = 1;
  const varCkpt = await openCheckpoint(new MemoryByteSource(fixtureBytes('tiny_var.pth'), 'tiny_var.pth'));
  const vaeCkpt = await openCheckpoint(new MemoryByteSource(fixtureBytes('tiny_vae.pth'), 'tiny_vae.pth'));
  pipeline = await VarPipeline.load(await memoryPack(varCkpt, vaeCkpt), wasm);
});

function mask(name: string): Float32Array {
  return fitMask(fixturePixels(`edit/${name}`), 256, 256, 256);
}

function mismatches(ours: Int32Array, golden: Int32Array): number {
  return ours.reduce((n, id, i) => n + (id === golden[i] ? 0 : 1), 0);
}

describe('VarPipeline.edit (tiny fixture model, WASM)', () => {
  it('tokenizes edit_input.png to the official edit_ids', async () => {
    const { ids, fHat } = await pipeline.tokenize(editInputImage());
    expect(mismatches(ids, loadNpy('edit/edit_ids.npy', 'int32').data)).toBe(0);
    expect(maxAbsDiff(fHat, loadNpy('edit/edit_fhat.npy', 'float32').data)).toBeLessThanOrEqual(1e-5);
  });

  it.each([
    ['inpaint', 'mask_inpaint.png', 207],
    ['outpaint', 'mask_outpaint.png', null],
  ] as const)('greedy %s reproduces the official 680 ids and the golden image', async (name, maskFile, label) => {
    const cases = JSON.parse(new TextDecoder().decode(fixtureBytes('edit/edit_cases.json')));
    const golden = cases.files[`edit_${name}_ids.npy`];
    expect(golden.label).toBe(label ?? -1);
    const previews: number[] = [];
    const result = await pipeline.edit(
      { ...GREEDY, cfg: golden.cfg, image: editInputImage(), mask: mask(maskFile), label },
      { onScale: (e) => void previews.push(e.pn) },
    );
    expect(previews).toEqual([1, 2, 3, 4, 5, 6, 8, 10, 13, 16]);
    expect(result.generatedPerScale).toEqual(golden.generated_tokens_per_scale);
    expect(mismatches(result.ids[0] as Int32Array, loadNpy(`edit/edit_${name}_ids.npy`, 'int32').data)).toBe(0);
    const parity = compareFloatWithGoldenPng(result.images.data, 1, 256, `edit/edit_${name}.png`);
    console.info(`edit ${name}: ${JSON.stringify(parity)}`);
    expect(parity.maxByteDiff).toBeLessThanOrEqual(PNG_LIMITS.maxByteDiff);
    expect(parity.differing).toBeLessThanOrEqual(PNG_LIMITS.differing);
    expect(parity.maxOutside).toBeLessThanOrEqual(PNG_LIMITS.outside);
  });

  it('a mask of zeros reproduces the image tokens and the reconstruction edit_recon.png', async () => {
    const result = await pipeline.edit({ ...GREEDY, image: editInputImage(), mask: constantMask(256, 0), label: 207 });
    const ids = result.ids[0] as Int32Array;
    expect(Array.from(ids)).toEqual(Array.from(loadNpy('edit/edit_ids.npy', 'int32').data));
    expect(result.generatedPerScale.every((n) => n === 0)).toBe(true);
    const parity = compareFloatWithGoldenPng(result.images.data, 1, 256, 'edit/edit_recon.png');
    console.info(`edit recon: ${JSON.stringify(parity)}`);
    expect(parity.maxByteDiff).toBeLessThanOrEqual(PNG_LIMITS.maxByteDiff);
    expect(parity.differing).toBeLessThanOrEqual(PNG_LIMITS.differing);
    expect(parity.maxOutside).toBeLessThanOrEqual(PNG_LIMITS.outside);
  });

  it('an all-white mask is plain generation (same ids and image as generate() with the same settings)', async () => {
    const sampling = { cfg: 4, topK: 900, topP: 0.95, moreSmooth: false, seed: 5 };
    const edited = await pipeline.edit({
      ...sampling,
      image: editInputImage(),
      mask: constantMask(256, 1),
      label: 980,
    });
    const plain = await pipeline.generate({ ...sampling, labels: [980] });
    expect(Array.from(edited.ids[0] as Int32Array)).toEqual(Array.from(plain.ids[0] as Int32Array));
    expect(edited.images.data).toEqual(plain.images.data);
  });

  it('refuses bad masks, images and settings with specific errors', async () => {
    const ok: EditRequest = { ...GREEDY, image: editInputImage(), mask: constantMask(256, 1), label: 1 };
    await expect(pipeline.edit({ ...ok, mask: new Float32Array(10) })).rejects.toMatchObject({ code: 'E_BAD_MASK' });
    await expect(pipeline.edit({ ...ok, image: new Float32Array(10) })).rejects.toMatchObject({ code: 'E_BAD_IMAGE' });
    await expect(pipeline.edit({ ...ok, label: 1000 })).rejects.toMatchObject({ code: 'E_BAD_CLASS' });
    await expect(pipeline.edit({ ...ok, topP: 2 })).rejects.toMatchObject({
      code: 'E_BAD_SETTINGS',
      details: { field: 'topP' },
    });
  });

  it('a pack without the encoder generates but refuses to edit (E_PACK_NO_ENCODER)', async () => {
    const varCkpt = await openCheckpoint(new MemoryByteSource(fixtureBytes('tiny_var.pth'), 'tiny_var.pth'));
    const vaeCkpt = await openCheckpoint(new MemoryByteSource(fixtureBytes('tiny_vae.pth'), 'tiny_vae.pth'));
    const old = await VarPipeline.load(await memoryPack(varCkpt, vaeCkpt, { encoder: false }), wasm);
    expect(old.canEdit).toBe(false);
    await expect(
      old.edit({ ...GREEDY, image: editInputImage(), mask: constantMask(256, 1), label: 1 }),
    ).rejects.toMatchObject({ code: 'E_PACK_NO_ENCODER' });
    await old.release();
  });
});
