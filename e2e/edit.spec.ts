// Editing in Chromium (issue 16): the encoder and tokenizer graphs on WebGPU (SwiftShader) against WASM and the
// official goldens, and an edit through the engine on WASM (tiny: the official ids, as in Node) and WebGPU (micro).
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { decode as decodePng } from 'fast-png';
import { scaleOffsets } from '../src/core/graphs/scale-resample';
import { buildTokenizerGraph, tokenizerStepFeeds } from '../src/core/graphs/vq-tokenizer';
import { vqvaeEncoderGraph } from '../src/core/graphs/vqvae-encoder';
import { checkpointWeights } from '../src/core/graphs/weight-provider';
import { MemoryByteSource } from '../src/core/io/byte-source';
import { readVqvaeConfig } from '../src/core/model/vqvae-config';
import { openCheckpoint } from '../src/core/pth/checkpoint';
import type { LabTensor } from '../src/testing/lab/lab-api';
import { hostTensor, labTensor, maxAbsDiff, openLab, runInLab } from '../src/testing/lab/lab-client';
import { readNpyAs } from '../src/testing/npy';

const PATCH_NUMS = [1, 2, 3, 4, 5, 6, 8, 10, 13, 16];
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/${name}`, import.meta.url)));

async function tinyVae() {
  const ckpt = await openCheckpoint(new MemoryByteSource(fixture('tiny_vae.pth'), 'tiny_vae.pth'));
  return { weights: checkpointWeights(ckpt), config: await readVqvaeConfig(ckpt) };
}

/** The top-left size × size window of edit_input.png as (1, 3, size, size) in [0, 1]. */
function inputCrop(size: number): Float32Array {
  const png = decodePng(fixture('edit/edit_input.png'));
  const out = new Float32Array(3 * size * size);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        out[(c * size + y) * size + x] = (png.data[(y * png.width + x) * png.channels + c] as number) / 255;
  return out;
}

test('the encoder on a 64×64 image (→ 4×4) on WebGPU matches WASM', async ({ page }) => {
  const { weights, config } = await tinyVae();
  const { builder } = vqvaeEncoderGraph(weights, config);
  const encoder = (await builder.materialize()).toModel({ externalData: { location: 'encoder.data' } });
  await openLab(page);
  const feeds = { image: labTensor(inputCrop(64), [1, 3, 64, 64]) };
  const wasm = await runInLab(page, encoder, feeds, 'wasm');
  const gpu = await runInLab(page, encoder, feeds, 'webgpu');
  expect(gpu.webgpuAdapter).toMatch(/swiftshader/i);
  expect(gpu.providers).toEqual(['JsExecutionProvider']);
  const f = gpu.outputs.f as LabTensor;
  expect(f.dims).toEqual([1, 32, 4, 4]);
  const diff = maxAbsDiff(hostTensor(f), hostTensor(wasm.outputs.f as LabTensor));
  console.info(
    `encoder 64×64→4×4 on WebGPU: |Δ| vs WASM ${diff.toExponential(2)}, run ${gpu.firstRunMs.toFixed(0)} ms`,
  );
  expect(diff).toBeLessThanOrEqual(1e-3);
});

test('the tokenizer steps of all 10 scales on WebGPU give the official edit_ids and f_hat', async ({ page }) => {
  const { weights, config } = await tinyVae();
  const tokenizer = await buildTokenizerGraph(weights, { ...config, patchNums: PATCH_NUMS });
  const f = readNpyAs(fixture('edit/edit_enc_f.npy'), 'float32').data;
  const goldenIds = readNpyAs(fixture('edit/edit_ids.npy'), 'int32').data;
  const goldenFhat = readNpyAs(fixture('edit/edit_fhat.npy'), 'float32').data;
  const { begins } = scaleOffsets(PATCH_NUMS);
  await openLab(page);
  let fRest = labTensor(f, [1, 32, 16, 16]);
  let fHat = labTensor(new Float32Array(32 * 256), [1, 32, 16, 16]);
  let mismatches = 0;
  for (let si = 0; si < PATCH_NUMS.length; si++) {
    const step = tokenizerStepFeeds(PATCH_NUMS, si, config.phiCount);
    const run = await runInLab(
      page,
      tokenizer,
      {
        f_rest: fRest,
        f_hat: fHat,
        down_matrix: labTensor(step.downMatrix.data, step.downMatrix.dims),
        up_matrix: labTensor(step.upMatrix.data, step.upMatrix.dims),
        phi_index: labTensor(Int32Array.of(step.phiIndex), []),
      },
      'webgpu',
    );
    expect(run.providers).toEqual(['JsExecutionProvider']);
    const idsTensor = run.outputs.ids as LabTensor;
    expect(idsTensor.type).toBe('int64');
    const bytes = Buffer.from(idsTensor.data, 'base64');
    const ids = new BigInt64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    for (let i = 0; i < ids.length; i++) if (Number(ids[i]) !== goldenIds[(begins[si] as number) + i]) mismatches++;
    fRest = run.outputs.f_rest_out as LabTensor;
    fHat = run.outputs.f_hat_out as LabTensor;
  }
  const diff = maxAbsDiff(hostTensor(fHat), goldenFhat);
  console.info(`tokenizer on WebGPU: ${mismatches} of 680 ids differ, f_hat |Δ| vs golden ${diff.toExponential(2)}`);
  expect(mismatches).toBe(0);
  expect(diff).toBeLessThanOrEqual(1e-5);
});

interface EditOutcome {
  readonly backend: string;
  readonly pns: number[];
  readonly previews: number;
  readonly ids: number[];
  readonly rgba: number[];
  readonly width: number;
  readonly encodeMs: number;
  readonly totalMs: number;
}

/** An RGBA image as plain numbers (it crosses Playwright's evaluate boundary). */
function rgbaOf(name: string): { width: number; height: number; data: number[] } {
  const png = decodePng(fixture(name));
  const data: number[] = [];
  for (let p = 0; p < png.width * png.height; p++) {
    for (let c = 0; c < 3; c++) data.push(png.data[p * png.channels + (png.channels >= 3 ? c : 0)] as number);
    data.push(255);
  }
  return { width: png.width, height: png.height, data };
}

/** A size × size RGBA image: a colour gradient, or a mask (a centre box white, or all black). */
function synthetic(
  size: number,
  kind: 'gradient' | 'box' | 'black',
): { width: number; height: number; data: number[] } {
  const data: number[] = [];
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const inBox = x >= size / 4 && x < (3 * size) / 4 && y >= size / 4 && y < (3 * size) / 4;
      const v = kind === 'box' ? (inBox ? 255 : 0) : 0;
      if (kind === 'gradient') data.push((x * 4) % 256, (y * 4) % 256, ((x + y) * 2) % 256, 255);
      else data.push(v, v, v, 255);
    }
  return { width: size, height: size, data };
}

async function editInPage(
  page: import('@playwright/test').Page,
  request: {
    modelId: string;
    backend: 'wasm' | 'webgpu';
    classId: number | null;
    image: ReturnType<typeof rgbaOf>;
    mask: ReturnType<typeof rgbaOf>;
  },
): Promise<EditOutcome> {
  return page.evaluate(async (r) => {
    const engine = (window as unknown as { varEngine: import('../src/testing/lab/lab-api').LabEngine }).varEngine;
    const rgba = (x: { width: number; height: number; data: number[] }) => ({
      width: x.width,
      height: x.height,
      data: Uint8ClampedArray.from(x.data),
    });
    const pns: number[] = [];
    let previews = 0;
    const result = await engine.edit(
      {
        modelId: r.modelId,
        backend: r.backend,
        classId: r.classId,
        image: rgba(r.image),
        mask: rgba(r.mask),
        cfg: 4,
        topK: 1,
        topP: 0,
        moreSmooth: false,
        seed: 0,
      },
      {
        onScale: (u) => {
          pns.push(u.pn);
          if (u.previews) previews++;
        },
      },
    );
    const image = result.images[0];
    return {
      backend: result.backend,
      pns,
      previews,
      ids: Array.from(image?.ids ?? []),
      rgba: Array.from(image?.rgba.data ?? []),
      width: image?.rgba.width ?? 0,
      encodeMs: result.timings.encodeMs ?? -1,
      totalMs: result.timings.totalMs,
    };
  }, request);
}

test('an in-painting edit through the engine on WASM (tiny) gives the official ids, with previews', async ({
  page,
}) => {
  await openLab(page);
  const run = await editInPage(page, {
    modelId: 'tiny',
    backend: 'wasm',
    classId: 207,
    image: rgbaOf('edit/edit_input.png'),
    mask: rgbaOf('edit/mask_inpaint.png'),
  });
  console.info(
    `tiny edit on WASM in Chromium: encode ${run.encodeMs.toFixed(0)} ms, total ${run.totalMs.toFixed(0)} ms`,
  );
  expect(run.backend).toBe('wasm');
  expect(run.pns).toEqual([1, 2, 3, 4, 5, 6, 8, 10, 13, 16]);
  expect(run.previews).toBeGreaterThan(0);
  expect(run.encodeMs).toBeGreaterThan(0);
  expect(run.ids).toEqual(Array.from(readNpyAs(fixture('edit/edit_inpaint_ids.npy'), 'int32').data));
  // The golden image, within the generation goldens' tolerance (one level; RGBA bytes truncated as the CLI's).
  const golden = decodePng(fixture('edit/edit_inpaint.png'));
  let differing = 0;
  let worst = 0;
  for (let p = 0; p < 256 * 256; p++)
    for (let c = 0; c < 3; c++) {
      const d = Math.abs((run.rgba[p * 4 + c] as number) - (golden.data[p * 3 + c] as number));
      if (d > 0) differing++;
      worst = Math.max(worst, d);
    }
  console.info(`tiny edit on WASM in Chromium: ${differing} of 196,608 bytes differ from the golden, max ${worst}`);
  expect(worst).toBeLessThanOrEqual(1);
  expect(differing).toBeLessThanOrEqual(250);
});

test('an edit on WebGPU (micro) equals the WASM edit, and a zero mask keeps the image tokens', async ({ page }) => {
  await openLab(page);
  const request = {
    modelId: 'micro',
    classId: null,
    image: synthetic(64, 'gradient'),
    mask: synthetic(64, 'box'),
  } as const;
  const gpu = await editInPage(page, { ...request, backend: 'webgpu' });
  const wasm = await editInPage(page, { ...request, backend: 'wasm' });
  expect(gpu.backend).toBe('webgpu');
  expect(gpu.pns).toEqual([1, 2, 3, 4]);
  expect(gpu.width).toBe(64);
  expect(gpu.ids).toEqual(wasm.ids);
  let worst = 0;
  for (let i = 0; i < gpu.rgba.length; i++)
    worst = Math.max(worst, Math.abs((gpu.rgba[i] as number) - (wasm.rgba[i] as number)));
  console.info(
    `micro edit: WebGPU ${gpu.totalMs.toFixed(0)} ms, WASM ${wasm.totalMs.toFixed(0)} ms; max pixel diff ${worst}`,
  );
  expect(worst).toBeLessThanOrEqual(2);
  // A mask of zeros keeps every token: the image's own tokens, the same on both backends (tokenizer on the GPU).
  const keepGpu = await editInPage(page, { ...request, mask: synthetic(64, 'black'), backend: 'webgpu' });
  const keepWasm = await editInPage(page, { ...request, mask: synthetic(64, 'black'), backend: 'wasm' });
  expect(keepGpu.ids).toEqual(keepWasm.ids);
  expect(keepGpu.ids).not.toEqual(gpu.ids);
});
