import type * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNpy, tinyVae } from '../../testing/fixtures';
import { createSession, maxAbsDiff, runQuantizerChain } from '../../testing/ort-node';
import { readVqvaeConfig } from '../model/vqvae-config';
import { assertWebGpuOps } from '../onnx/webgpu-ops';
import { scaleOffsets } from './scale-resample';
import { buildQuantizerGraph } from './vq-quantizer';
import { checkpointWeights } from './weight-provider';

const PATCH_NUMS = [1, 2, 3, 4, 5, 6, 8, 10, 13, 16];
const FHAT = 32 * 16 * 16;
const { begins, length: L } = scaleOffsets(PATCH_NUMS);
// Largest |Δ| per golden case, about 3× what this graph measures (ORT-web WASM, one thread: deterministic), the
// measured f_hat / f_hat_final / next_input figures beside each. The fixtures' torch float32 vs float64: 2.5e-6.
const LIMITS = {
  c: 7e-6, // measured 2.38e-6 / – / 2.15e-6
  a_cfg4: 7e-6, // measured 2.26e-6 / 2.38e-6 / 2.15e-6
  a_cfg0: 8.5e-6, // measured 2.86e-6 / 2.86e-6 / 2.38e-6
} as const;

/** Golden word_embed input rows of scale si ≥ 1 (row 0 of the batch): rows [begin_si − 1, begin_si − 1 + pn²). */
function wordEmbedRows(golden: Float32Array, si: number): Float32Array {
  const start = (begins[si] as number) - 1;
  return golden.subarray(start * 32, (start + (PATCH_NUMS[si] as number) ** 2) * 32);
}

describe('quantizer step graph (tiny_vae.pth)', () => {
  let session: ort.InferenceSession;
  let codebook: Float32Array;
  const errors: Record<string, number> = {};

  beforeAll(async () => {
    const checkpoint = await tinyVae();
    const config = await readVqvaeConfig(checkpoint);
    expect(config).toMatchObject({ vocabSize: 4096, zChannels: 32, phiCount: 4, numScales: PATCH_NUMS.length });
    const built = await buildQuantizerGraph(checkpointWeights(checkpoint), { ...config, patchNums: PATCH_NUMS });
    codebook = await checkpointWeights(checkpoint).get('quantize.embedding.weight', [4096, 32]);
    assertWebGpuOps(built.model);
    session = await createSession(built);
  });

  afterAll(async () => {
    console.info(`quantizer max abs errors: ${JSON.stringify(errors)}`);
    await session?.release();
  });

  it('case c: f_hat after every scale and the next-scale inputs match the goldens', async () => {
    const ids = loadNpy('c_ids.npy', 'int32').data;
    const fhatGolden = loadNpy('c_fhat.npy', 'float32');
    expect(fhatGolden.shape).toEqual([10, 1, 32, 16, 16]);
    const wordEmbed = loadNpy('c_word_embed_in.npy', 'float32');
    expect(wordEmbed.shape).toEqual([1, L - 1, 32]);
    const { fHats, nextInputs } = await runQuantizerChain(session, codebook, ids, 1, PATCH_NUMS, 4, 32);
    let fhatErr = 0;
    let nextErr = 0;
    for (let si = 0; si < PATCH_NUMS.length; si++) {
      fhatErr = Math.max(
        fhatErr,
        maxAbsDiff(fHats[si] as Float32Array, fhatGolden.data.subarray(si * FHAT, (si + 1) * FHAT)),
      );
      if (si > 0)
        nextErr = Math.max(nextErr, maxAbsDiff(nextInputs[si - 1] as Float32Array, wordEmbedRows(wordEmbed.data, si)));
    }
    errors['c f_hat'] = fhatErr;
    errors['c next_input'] = nextErr;
    expect(fhatErr).toBeLessThanOrEqual(LIMITS.c);
    expect(nextErr).toBeLessThanOrEqual(LIMITS.c);
  });

  it.each(['a_cfg4', 'a_cfg0'] as const)('%s greedy goldens: 3 rows in one batch', async (name) => {
    const ids = loadNpy(`${name}_ids.npy`, 'int32');
    expect(ids.shape).toEqual([3, L]);
    const { fHats, nextInputs } = await runQuantizerChain(session, codebook, ids.data, 3, PATCH_NUMS, 4, 32);
    const perScale = loadNpy(`${name}_fhat.npy`, 'float32').data; // row 0 only
    const final = loadNpy(`${name}_fhat_final.npy`, 'float32'); // all rows
    const wordEmbed = loadNpy(`${name}_word_embed_in.npy`, 'float32').data; // row 0 only
    expect(final.shape).toEqual([3, 32, 16, 16]);
    let fhatErr = 0;
    let nextErr = 0;
    for (let si = 0; si < PATCH_NUMS.length; si++) {
      const row0 = (fHats[si] as Float32Array).subarray(0, FHAT);
      fhatErr = Math.max(fhatErr, maxAbsDiff(row0, perScale.subarray(si * FHAT, (si + 1) * FHAT)));
      if (si > 0) {
        const n = (PATCH_NUMS[si] as number) ** 2;
        const next0 = (nextInputs[si - 1] as Float32Array).subarray(0, n * 32);
        nextErr = Math.max(nextErr, maxAbsDiff(next0, wordEmbedRows(wordEmbed, si)));
      }
    }
    const finalErr = maxAbsDiff(fHats[9] as Float32Array, final.data);
    errors[`${name} f_hat`] = fhatErr;
    errors[`${name} f_hat_final`] = finalErr;
    errors[`${name} next_input`] = nextErr;
    expect(fhatErr).toBeLessThanOrEqual(LIMITS[name]);
    expect(finalErr).toBeLessThanOrEqual(LIMITS[name]);
    expect(nextErr).toBeLessThanOrEqual(LIMITS[name]);
  });
});
