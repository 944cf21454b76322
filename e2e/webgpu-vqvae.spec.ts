// The VQ-VAE decoder and the multi-scale quantizer on WebGPU (SwiftShader) equal WASM, in Chromium.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { lookupCodebook } from '../src/core/generate/codebook';
import { buildQuantizerGraph, quantizerStepFeeds } from '../src/core/graphs/vq-quantizer';
import { buildVqvaeDecoderGraph } from '../src/core/graphs/vqvae-decoder';
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

test('the decoder on a 4×4 latent (→ 64×64) on WebGPU matches WASM', async ({ page }) => {
  const { weights, config } = await tinyVae();
  const decoder = await buildVqvaeDecoderGraph(weights, config, { externalData: { location: 'decoder.data' } });
  // A real f_hat: the golden final f_hat of case c, top-left 4×4 window of each channel.
  const fhat = readNpyAs(fixture('c_fhat.npy'), 'float32').data.subarray(9 * 32 * 256);
  const crop = new Float32Array(32 * 16);
  for (let c = 0; c < 32; c++)
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 4; x++) crop[c * 16 + y * 4 + x] = fhat[c * 256 + y * 16 + x] as number;
  await openLab(page);
  const feeds = { f_hat: labTensor(crop, [1, 32, 4, 4]) };
  const wasm = await runInLab(page, decoder, feeds, 'wasm');
  const gpu = await runInLab(page, decoder, feeds, 'webgpu', 1);
  expect(gpu.webgpuAdapter).toMatch(/swiftshader/i);
  expect(gpu.providers).toEqual(['JsExecutionProvider']);
  const image = gpu.outputs.image as LabTensor;
  expect(image.dims).toEqual([1, 3, 64, 64]);
  const diff = maxAbsDiff(hostTensor(image), hostTensor(wasm.outputs.image as LabTensor));
  console.info(
    `decoder 4×4→64×64: |Δ| ${diff.toExponential(2)}; WebGPU session ${gpu.sessionMs.toFixed(0)} ms, ` +
      `decode ${gpu.timedRunMs[0]?.toFixed(0)} ms (first ${gpu.firstRunMs.toFixed(0)} ms); WASM decode ${wasm.firstRunMs.toFixed(0)} ms`,
  );
  expect(diff).toBeLessThanOrEqual(1e-3);
});

test('the quantizer steps of all 10 scales on WebGPU match WASM and the golden f_hat', async ({ page }) => {
  const { weights, config } = await tinyVae();
  const quantizer = await buildQuantizerGraph(weights, {
    patchNums: PATCH_NUMS,
    zChannels: 32,
    phiCount: config.phiCount,
  });
  const codebook = await weights.get('quantize.embedding.weight', [config.vocabSize, 32]);
  const ids = readNpyAs(fixture('c_ids.npy'), 'int32').data;
  const goldenFhat = readNpyAs(fixture('c_fhat.npy'), 'float32').data;
  await openLab(page);
  const fHat: Record<'webgpu' | 'wasm', LabTensor> = {
    webgpu: labTensor(new Float32Array(32 * 256), [1, 32, 16, 16]),
    wasm: labTensor(new Float32Array(32 * 256), [1, 32, 16, 16]),
  };
  let begin = 0;
  let worst = { vsWasm: 0, vsGolden: 0, next: 0 };
  for (const [si, pn] of PATCH_NUMS.entries()) {
    const step = quantizerStepFeeds(PATCH_NUMS, si, config.phiCount);
    const outs: Partial<Record<'webgpu' | 'wasm', Record<string, LabTensor>>> = {};
    for (const backend of ['webgpu', 'wasm'] as const) {
      const run = await runInLab(
        page,
        quantizer,
        {
          h_BnC: labTensor(lookupCodebook(codebook, 32, ids.slice(begin, begin + pn * pn)), [1, pn * pn, 32]),
          f_hat: fHat[backend],
          up_matrix: labTensor(step.upMatrix.data, step.upMatrix.dims),
          down_matrix: labTensor(step.downMatrix.data, step.downMatrix.dims),
          phi_index: labTensor(Int32Array.of(step.phiIndex), []),
        },
        backend,
      );
      if (backend === 'webgpu') expect(run.providers).toEqual(['JsExecutionProvider']);
      outs[backend] = run.outputs;
      fHat[backend] = run.outputs.f_hat_out as LabTensor;
    }
    const gpuF = hostTensor(fHat.webgpu);
    worst = {
      vsWasm: Math.max(worst.vsWasm, maxAbsDiff(gpuF, hostTensor(fHat.wasm))),
      vsGolden: Math.max(worst.vsGolden, maxAbsDiff(gpuF, goldenFhat.subarray(si * 32 * 256, (si + 1) * 32 * 256))),
      next: Math.max(
        worst.next,
        maxAbsDiff(hostTensor(outs.webgpu?.next_input as LabTensor), hostTensor(outs.wasm?.next_input as LabTensor)),
      ),
    };
    begin += pn * pn;
  }
  console.info(
    `quantizer on WebGPU: f_hat |Δ| vs WASM ${worst.vsWasm.toExponential(2)}, vs golden ${worst.vsGolden.toExponential(2)}, next_input vs WASM ${worst.next.toExponential(2)}`,
  );
  expect(worst.vsWasm).toBeLessThanOrEqual(1e-3);
  expect(worst.next).toBeLessThanOrEqual(1e-3);
  expect(worst.vsGolden).toBeLessThanOrEqual(1e-5);
});
