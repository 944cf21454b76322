import type * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../../shared/errors';
import { loadNpy, tinyVae } from '../../testing/fixtures';
import { compareFloatWithGoldenPng } from '../../testing/golden-png';
import { createSession, f32, maxAbsDiff, runQuantizerChain } from '../../testing/ort-node';
import type { VqvaeConfig } from '../model/vqvae-config';
import { expectedVqvaeKeys, readVqvaeConfig } from '../model/vqvae-config';
import { decodeModel, initializerBytes, opCounts } from '../onnx/model-info';
import { assertWebGpuOps } from '../onnx/webgpu-ops';
import { scaleOffsets } from './scale-resample';
import { buildQuantizerGraph } from './vq-quantizer';
import { buildVqvaeDecoderGraph } from './vqvae-decoder';
import type { WeightProvider } from './weight-provider';
import { checkpointWeights } from './weight-provider';

const PATCH_NUMS = [1, 2, 3, 4, 5, 6, 8, 10, 13, 16];
const IMAGE = 3 * 256 * 256;

describe('VQVAE decoder graph (tiny_vae.pth)', () => {
  let weights: WeightProvider;
  let config: VqvaeConfig;
  let decoder: ort.InferenceSession;
  let quantizer: ort.InferenceSession;
  let codebook: Float32Array;
  let decoderModel: Uint8Array;
  const report: Record<string, number | string> = {};

  beforeAll(async () => {
    const checkpoint = await tinyVae();
    weights = checkpointWeights(checkpoint);
    // The architecture comes from the state dict: fixtures/README.md §1, ch 32, ch_mult (1,1,1,1,2).
    config = await readVqvaeConfig(checkpoint);
    expect(config).toMatchObject({ ch: 32, chMult: [1, 1, 1, 1, 2], numResBlocks: 2, zChannels: 32, phiCount: 4 });
    // External data here, so the parity tests also cover the path the browser uses.
    const built = await buildVqvaeDecoderGraph(weights, config, { externalData: { location: 'vqvae-decoder.data' } });
    decoderModel = built.model;
    decoder = await createSession(built);
    quantizer = await createSession(await buildQuantizerGraph(weights, { ...config, patchNums: PATCH_NUMS }));
    codebook = await weights.get('quantize.embedding.weight', [config.vocabSize, config.zChannels]);
  });

  afterAll(async () => {
    console.info(`decoder parity: ${JSON.stringify(report)}`);
    await decoder?.release();
    await quantizer?.release();
  });

  async function decodeImage(fHat: Float32Array, batch: number, h = 16, w = 16): Promise<ort.Tensor> {
    const out = await decoder.run({ f_hat: f32(fHat, [batch, 32, h, w]) });
    return out.image as ort.Tensor;
  }

  it('uses only WebGPU ops: GroupNorm as InstanceNormalization, no GroupNormalization', () => {
    assertWebGpuOps(decoderModel);
    const counts = opCounts(decodeModel(decoderModel));
    expect(counts.has('GroupNormalization')).toBe(false);
    // 2 per ResBlock (3 mid-level + 5 levels × 3 = 17 blocks… mid has 2), 1 per AttnBlock (1 mid + 3), norm_out.
    const resBlocks = 2 + 5 * 3;
    const attnBlocks = 1 + 3;
    expect(counts.get('InstanceNormalization')).toBe(2 * resBlocks + attnBlocks + 1);
    expect(counts.get('Resize')).toBe(4);
    expect(counts.get('Softmax')).toBe(attnBlocks);
  });

  it('decodes any latent size (symbolic h, w) to 16× the size', async () => {
    const image = await decodeImage(new Float32Array(32 * 2 * 3).fill(0.1), 1, 2, 3);
    expect(image.dims).toEqual([1, 3, 32, 48]);
    const data = image.data as Float32Array;
    expect(data.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('case c: ids → quantizer chain → decoder matches c_image_pm1 (range [−1, 1])', async () => {
    const golden = loadNpy('c_image_pm1.npy', 'float32');
    expect(golden.shape).toEqual([1, 3, 256, 256]);
    const { fHats } = await runQuantizerChain(
      quantizer,
      codebook,
      loadNpy('c_ids.npy', 'int32').data,
      1,
      PATCH_NUMS,
      4,
      32,
    );
    const image = (await decodeImage(fHats[9] as Float32Array, 1)).data as Float32Array;
    const err = maxAbsDiff(
      image.map((v) => 2 * v - 1),
      golden.data,
    );
    // The decoder alone, from the golden f_hat.
    const goldenFhat = loadNpy('c_fhat.npy', 'float32').data.slice(9 * 32 * 256);
    const alone = (await decodeImage(goldenFhat, 1)).data as Float32Array;
    const errAlone = maxAbsDiff(
      alone.map((v) => 2 * v - 1),
      golden.data,
    );
    report['c image [-1,1] end-to-end'] = err;
    report['c image [-1,1] decoder alone'] = errAlone;
    // fixtures README: torch float32 vs float64 differ by 5.9e-6 (5.8e-6 decoder alone) on [−1, 1].
    expect(err).toBeLessThanOrEqual(6e-5); // measured 2.12e-5
    expect(errAlone).toBeLessThanOrEqual(6e-5); // measured 2.19e-5
  });

  // Limits per golden case: about 3× (never over 5×) what this graph measures (ORT-web WASM, one thread:
  // deterministic), the measured figure beside each. `outside`: how far a float value lies outside the interval its
  // golden byte was truncated from ([0, 1] units; a lower bound of the float error, see src/testing/golden-png.ts).
  const PNG_LIMITS = {
    a_cfg4: { differing: 500, maxByteDiff: 1, outside: 1.8e-5 }, // measured: 191 of 589,824 bytes, 1, 5.98e-6
    a_cfg0: { differing: 500, maxByteDiff: 1, outside: 1.5e-5 }, // measured: 200 of 589,824 bytes, 1, 4.97e-6
  } as const;

  it.each(['a_cfg4', 'a_cfg0'] as const)(
    '%s: 3 rows decoded in one batch match the golden PNG (bytes and float intervals; image.npy where stored)',
    async (name) => {
      const { length: L } = scaleOffsets(PATCH_NUMS);
      const ids = loadNpy(`${name}_ids.npy`, 'int32');
      expect(ids.shape).toEqual([3, L]);
      const { fHats } = await runQuantizerChain(quantizer, codebook, ids.data, 3, PATCH_NUMS, 4, 32);
      const image = (await decodeImage(fHats[9] as Float32Array, 3)).data as Float32Array;

      const parity = compareFloatWithGoldenPng(image, 3, 256, `${name}_image.png`);
      report[`${name} PNG bytes differing (of ${parity.bytes})`] = parity.differing;
      report[`${name} PNG max byte diff`] = parity.maxByteDiff;
      report[`${name} float outside its golden byte's interval`] = parity.maxOutside;
      const limits = PNG_LIMITS[name];
      expect(parity.maxByteDiff).toBeLessThanOrEqual(limits.maxByteDiff);
      expect(parity.differing).toBeLessThanOrEqual(limits.differing);
      expect(parity.maxOutside).toBeLessThanOrEqual(limits.outside);

      if (name === 'a_cfg4') {
        const golden = loadNpy('a_cfg4_image.npy', 'float32');
        expect(golden.shape).toEqual([1, 3, 256, 256]);
        const err = maxAbsDiff(image.subarray(0, IMAGE), golden.data);
        report['a_cfg4 image [0,1] row 0'] = err;
        expect(err).toBeLessThanOrEqual(4.5e-5); // measured 1.49e-5
      }
    },
  );

  it('builds the real vae_ch160v4096z32 decoder: every official decoder key used once, with its shape', async () => {
    const ch160: VqvaeConfig = { ...config, ch: 160, chMult: [1, 1, 2, 2, 4] };
    const expected = expectedVqvaeKeys(ch160);
    const requested: string[] = [];
    const zeros: WeightProvider = {
      async get(name, shape) {
        expect(expected.get(name)?.shape).toEqual(shape);
        requested.push(name);
        return new Float32Array(shape.reduce((a, b) => a * b, 1));
      },
    };
    const built = await buildVqvaeDecoderGraph(zeros, ch160, { externalData: { location: 'd.data' } });
    const needed = [...expected.keys()].filter((k) => k.startsWith('decoder.') || k.startsWith('post_quant_conv.'));
    expect([...requested].sort()).toEqual(needed.sort());
    const model = decodeModel(built.model);
    assertWebGpuOps(model);
    // var.md §2.3: decoder 64,653,923 + post_quant_conv 9,248 parameters, all float32; only the small shape/scalar
    // constants and sub-KiB biases stay inline.
    // Auto-named constants carry a '/const_' suffix; weights keep their state-dict names.
    const weights = model.graph?.initializer?.filter((t) => !t.name?.includes('const_')) ?? [];
    const weightModel = { graph: { initializer: weights } };
    const bytes = initializerBytes(weightModel);
    expect(bytes.inline + bytes.external).toBe((64_653_923 + 9_248) * 4);
    expect(bytes.inline).toBeLessThan(64 * 1024);
    expect(opCounts(model).get('Conv')).toBe(51); // one more than tiny: a second nin_shortcut (640→320, 320→160)
  });

  it('rejects a checkpoint whose shapes do not fit the config (E_SHAPE_MISMATCH)', async () => {
    const wrong = { ...config, ch: 64 };
    await expect(buildVqvaeDecoderGraph(weights, wrong)).rejects.toSatisfy((e: unknown) =>
      hasErrorCode(e, 'E_SHAPE_MISMATCH'),
    );
  });
});
