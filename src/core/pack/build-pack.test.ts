// The pack plan: pair and kind checks before anything is produced, real sizes of synthetic packs, names and labels.

import { describe, expect, it } from 'vitest';
import { openFixture } from '../../testing/fixtures';
import { varCheckpointBytes } from '../../testing/pack-fixtures';
import { MemoryByteSource } from '../io/byte-source';
import { openCheckpoint } from '../pth/checkpoint';
import {
  checkPackPair,
  type PackPlan,
  packImageSize,
  planPack,
  readCheckpointPair,
  varLabel,
  varParameterCount,
} from './build-pack';
import type { PackFile } from './manifest';
import { syntheticModel, syntheticWeights } from './synthetic';

const SOURCE: { var: PackFile; vae: PackFile } = {
  var: { path: 'tiny_var.pth', bytes: 1, sha256: '0'.repeat(64) },
  vae: { path: 'tiny_vae.pth', bytes: 1, sha256: '0'.repeat(64) },
};

describe('checkPackPair', () => {
  const d16 = syntheticModel('d16');
  const files = { var: 'var_d16.pth', vae: 'vae_x.pth' };

  it('accepts the released pair', () => {
    expect(() => checkPackPair(d16.var, d16.vqvae, files)).not.toThrow();
    expect(packImageSize(d16.var.patchNums, d16.vqvae)).toBe(256);
  });

  it.each([
    ['Cvae', { cvae: 16 }, {}, /latent channels .*: 16 in var_d16\.pth, 32 in vae_x\.pth/],
    ['vocabulary', { vocabSize: 1024 }, {}, /vocabulary .*: 1024 in var_d16\.pth, 4096 in vae_x\.pth/],
    ['number of scales', {}, { numScales: 7 }, /number of scales .*: 10 in var_d16\.pth, 7 in vae_x\.pth/],
  ])('names both files and the %s that differs (E_PACK_MISMATCH)', (_what, varEdit, vaeEdit, message) => {
    expect(() => checkPackPair({ ...d16.var, ...varEdit }, { ...d16.vqvae, ...vaeEdit }, files)).toThrow(
      expect.objectContaining({
        code: 'E_PACK_MISMATCH',
        message: expect.stringMatching(
          new RegExp(`var_d16\\.pth and vae_x\\.pth do not belong together: .*${message.source}`),
        ),
      }),
    );
  });

  it('refuses a VQ-VAE without Phi convs and patch_nums that do not grow', () => {
    expect(() => checkPackPair(d16.var, { ...d16.vqvae, phiCount: 0 }, files)).toThrow(
      expect.objectContaining({ code: 'E_UNSUPPORTED_ARCHITECTURE' }),
    );
    const shuffled = { ...d16.var, patchNums: [1, 3, 2, 4, 5, 6, 8, 10, 13, 16] };
    expect(() => checkPackPair(shuffled, d16.vqvae, files)).toThrow(
      expect.objectContaining({ code: 'E_UNSUPPORTED_ARCHITECTURE' }),
    );
  });
});

describe('planPack from checkpoints', () => {
  it('refuses a swapped pair with E_WRONG_CHECKPOINT_KIND', async () => {
    const [v, q] = await Promise.all([openFixture('tiny_var.pth'), openFixture('tiny_vae.pth')]);
    await expect(readCheckpointPair(q, v)).rejects.toMatchObject({
      code: 'E_WRONG_CHECKPOINT_KIND',
      message: expect.stringMatching(/VQ-VAE checkpoint \(tiny_vae\.pth\), expected a VAR transformer checkpoint/),
    });
    await expect(planPack({ kind: 'checkpoints', var: v, vae: v, source: SOURCE })).rejects.toMatchObject({
      code: 'E_WRONG_CHECKPOINT_KIND',
    });
  });

  it('refuses a well-formed VAR whose vocabulary is not the VQ-VAE codebook (E_PACK_MISMATCH)', async () => {
    const config = { ...syntheticModel('micro').var, patchNums: [1, 2, 3, 4, 5, 6, 8, 10, 13, 16], numTokens: 680 };
    const bytes = await varCheckpointBytes({ ...config, vocabSize: 1024 });
    const v = await openCheckpoint(new MemoryByteSource(bytes, 'var_v1024.pth'));
    const q = await openFixture('tiny_vae.pth');
    await expect(planPack({ kind: 'checkpoints', var: v, vae: q, source: SOURCE })).rejects.toMatchObject({
      code: 'E_PACK_MISMATCH',
      message: expect.stringMatching(
        /var_v1024\.pth and tiny_vae\.pth .*vocabulary .*1024 in var_v1024\.pth, 4096 in tiny_vae\.pth/,
      ),
    });
  });

  it('names a real pack from its depth and marks fixtures as random weights on request', async () => {
    const [v, q] = await Promise.all([openFixture('tiny_var.pth'), openFixture('tiny_vae.pth')]);
    const plan = await planPack({ kind: 'checkpoints', var: v, vae: q, source: SOURCE });
    expect(plan.manifest).toMatchObject({
      name: 'var_d2',
      label: 'VAR-d2 (1M)',
      synthetic: false,
      randomWeights: false,
    });
    expect(plan.manifest.seed).toBeUndefined();
    const tiny = await planPack(
      { kind: 'checkpoints', var: v, vae: q, source: SOURCE },
      { name: 'tiny', label: 'Tiny test model (random weights)', randomWeights: true, attention: 'mha' },
    );
    expect(tiny.manifest).toMatchObject({ name: 'tiny', randomWeights: true, source: SOURCE });
    expect(tiny.manifest.graphs.transformer.attention).toBe('mha');
    await expect(
      planPack({ kind: 'checkpoints', var: v, vae: q, source: SOURCE }, { name: '../x' }),
    ).rejects.toMatchObject({ code: 'E_PACK_FORMAT' });
    await expect(
      planPack({ kind: 'checkpoints', var: v, vae: q, source: SOURCE }, { label: '' }),
    ).rejects.toMatchObject({
      code: 'E_PACK_FORMAT',
      message: expect.stringMatching(/label must be a non-empty string/),
    });
  });
});

describe('synthetic packs', () => {
  it.each([
    [16, 310_283_520, 'VAR-d16 (310M)'],
    [20, 600_917_136, 'VAR-d20 (600M)'],
    [24, 1_033_399_360, 'VAR-d24 (1.0B)'],
    [30, 2_010_020_356, 'VAR-d30 (2.0B)'],
  ] as const)('d%d has the released parameter count %d (var.md §3.1) and label', (depth, params, label) => {
    const config = syntheticModel(`d${depth}` as 'd16').var;
    expect(varParameterCount(config)).toBe(params);
    expect(varLabel(config)).toBe(label);
  });

  // Planned, never streamed: the weights are drawn only when a file's chunks are read.
  it('plans d16 at its real size without writing 1.2 GB', async () => {
    const plan = await planPack({ kind: 'synthetic', architecture: 'd16' });
    const m = plan.manifest;
    expect(m).toMatchObject({
      name: 'synthetic-d16',
      label: 'Synthetic d16 (random weights)',
      synthetic: 'd16',
      randomWeights: true,
      seed: 1,
      source: null,
      patchNums: [1, 2, 3, 4, 5, 6, 8, 10, 13, 16],
      numClasses: 1000,
      imageSize: 256,
      codebook: { path: 'codebook.f32', dims: [4096, 32] },
    });
    expect(m.var).toMatchObject({ depth: 16, width: 1024, heads: 16, mlpHidden: 4096, vocabSize: 4096, cvae: 32 });
    expect(m.vqvae).toMatchObject({ ch: 160, chMult: [1, 1, 2, 2, 4], numResBlocks: 2, phiCount: 4, numScales: 10 });
    // Past 1 GiB the transformer's external data continues in a second file (Chrome's ArrayBuffer cap).
    expect(m.graphs.transformer.externalData).toEqual(['transformer.data', 'transformer.data.1']);
    const size = (prefix: string) =>
      plan.files.filter((f) => f.path.startsWith(prefix)).reduce((n, f) => n + f.byteLength, 0);
    const transformerData = size('transformer.data');
    expect(Math.abs(transformerData / (4 * 310_283_520) - 1)).toBeLessThan(0.01);
    // Decoder 64,653,923 + post_quant_conv 9,248 parameters (var.md §2.3), fp32.
    expect(Math.abs(size('decoder.data') / (4 * (64_653_923 + 9_248)) - 1)).toBeLessThan(0.01);
    expect(size('codebook.f32')).toBe(4096 * 32 * 4);
    // Encoder 44,107,872 + quant_conv 9,248 parameters (var.md §2.3), fp32 (issue 16: editing).
    expect(Math.abs(size('encoder.data') / (4 * (44_107_872 + 9_248)) - 1)).toBeLessThan(0.01);
    expect(m.graphs.encoder).toMatchObject({ model: 'encoder.onnx', externalData: ['encoder.data'] });
    expect(m.graphs.tokenizer).toMatchObject({ model: 'tokenizer.onnx', externalData: [], weights: 'float32' });
    expect(plan.totalBytes).toBe(plan.files.reduce((n, f) => n + f.byteLength, 0));
    expect(plan.files.map((f) => f.path)).toEqual([
      'transformer.onnx',
      'transformer.data',
      'transformer.data.1',
      'quantizer.onnx',
      'decoder.onnx',
      'decoder.data',
      'codebook.f32',
      'encoder.onnx',
      'encoder.data',
      'tokenizer.onnx',
    ]);
    const without = await planPack({ kind: 'synthetic', architecture: 'd16' }, { encoder: false });
    expect(without.files.map((f) => f.path)).not.toContain('encoder.data');
    expect(without.manifest.graphs.encoder).toBeUndefined();
    expect(without.manifest.graphs.tokenizer).toBeUndefined();
  });

  it('micro is the smallest model of the family: 4 scales, 64×64 pixels', async () => {
    const plan = await planPack({ kind: 'synthetic', architecture: 'micro', seed: 5 });
    expect(plan.manifest).toMatchObject({ name: 'synthetic-micro', seed: 5, patchNums: [1, 2, 3, 4], imageSize: 64 });
    expect(plan.manifest.vqvae).toMatchObject({ numScales: 4, chMult: [1, 1, 1, 1, 1], numResBlocks: 0 });
    expect(plan.totalBytes).toBeLessThan(5e6); // 4.56 MB, of which the encoder and tokenizer 1.0 MB
  });

  it('draws VAR-like weights that depend on seed and name only, not on read order', async () => {
    const a = syntheticWeights(3, 1024);
    const b = syntheticWeights(3, 1024);
    const fc1 = await a.get('blocks.0.ffn.fc1.weight', [256, 64]);
    await b.get('head.weight', [8, 64]); // another tensor first: no effect on the next one
    expect(await b.get('blocks.0.ffn.fc1.weight', [256, 64])).toEqual(fc1);
    expect(await syntheticWeights(4, 1024).get('blocks.0.ffn.fc1.weight', [256, 64])).not.toEqual(fc1);
    // Official init: scale_mul = ln 4 (attention temperature 4), embeddings std √(1/(3C)).
    expect([...(await a.get('blocks.3.attn.scale_mul_1H11', [1, 16, 1, 1]))]).toEqual(
      Array(16).fill(Math.fround(Math.log(4))),
    );
    const pos = await a.get('pos_1LC', [1, 680, 1024]);
    const std = Math.sqrt(pos.reduce((s, x) => s + x * x, 0) / pos.length);
    expect(std).toBeGreaterThan(0.97 * Math.sqrt(1 / 3072));
    expect(std).toBeLessThan(1.03 * Math.sqrt(1 / 3072));
  });
});

describe('quantized packs (convert --quant)', () => {
  const size = (plan: { files: readonly { path: string; byteLength: number }[] }, prefix: string) =>
    plan.files.filter((f) => f.path.startsWith(prefix)).reduce((n, f) => n + f.byteLength, 0);

  // Planned only: sizes are known before a weight is drawn. Targets (issue 6): d16 ≤ 230 MB, d20 ≤ 400 MB.
  it.each([
    ['d16', 310_283_520, 232.6e6],
    ['d20', 600_917_136, 387.7e6],
  ] as const)(
    '%s q4: ~4.25 bits per transformer parameter (%d), 8 per decoder parameter, total ≤ %d bytes',
    async (arch, params, maxBytes) => {
      const plan = await planPack({ kind: 'synthetic', architecture: arch }, { quant: 'q4' });
      const m = plan.manifest;
      expect(m).toMatchObject({ name: `synthetic-${arch}-q4`, quant: 'q4' });
      expect(m.label).toBe(`Synthetic ${arch} (random weights) · 4-bit`);
      expect(m.requires).toBeUndefined();
      expect(m.graphs.transformer).toMatchObject({ weights: 'q4', externalData: ['transformer.data'] });
      expect(m.graphs.decoder.weights).toBe('q8');
      expect(m.graphs.quantizer.weights).toBe('float32');
      expect(m.graphs.quantizer.tensors).toBeUndefined();
      // 4 bits + a float32 scale per 128 weights; embeddings int8, biases float32.
      const bitsPerParam = (8 * size(plan, 'transformer.data')) / params;
      expect(bitsPerParam).toBeGreaterThan(4.25);
      expect(bitsPerParam).toBeLessThan(4.35);
      // Decoder: one byte per parameter plus per-channel scales and float32 biases/norms (< 0.5 %).
      expect(size(plan, 'decoder.data') / (64_653_923 + 9_248)).toBeGreaterThan(1);
      expect(size(plan, 'decoder.data') / (64_653_923 + 9_248)).toBeLessThan(1.005);
      // The targets are for generation; the encoder (int8 as the decoder) and the tokenizer come on top (issue 16).
      const edit = size(plan, 'encoder.') + size(plan, 'tokenizer.');
      expect(plan.totalBytes - edit).toBeLessThanOrEqual(maxBytes);
      expect(size(plan, 'encoder.data') / (44_107_872 + 9_248)).toBeGreaterThan(1);
      expect(size(plan, 'encoder.data') / (44_107_872 + 9_248)).toBeLessThan(1.005);
      expect(m.graphs.encoder?.weights).toBe('q8');
      const tensors = m.graphs.transformer.tensors ?? {};
      expect(Object.values(tensors).filter((e) => e === 'q4-b128')).toHaveLength(5 * m.var.depth + 2);
      expect(tensors['class_emb.weight']).toBe('q8');
      const decoderTensors = Object.entries(m.graphs.decoder.tensors ?? {});
      expect(decoderTensors.filter(([name]) => name.endsWith('conv_out.weight'))).toEqual([
        ['decoder.conv_out.weight', 'q8'],
      ]);
      expect(decoderTensors.filter(([, e]) => e === 'q8').every(([name]) => name.endsWith('.weight'))).toBe(true);
    },
  );

  it('q8 is a quarter of float32, fp16 half (and requires shader-f16); none is the float32 pack as before', async () => {
    const plans = Object.fromEntries(
      await Promise.all(
        (['none', 'fp16', 'q8', 'q4'] as const).map(
          async (quant) => [quant, await planPack({ kind: 'synthetic', architecture: 'd16' }, { quant })] as const,
        ),
      ),
    );
    const none = plans.none as PackPlan;
    const fp16 = plans.fp16 as PackPlan;
    const q8 = plans.q8 as PackPlan;
    const q4 = plans.q4 as PackPlan;
    expect(none.manifest).toMatchObject({ name: 'synthetic-d16', quant: 'none' });
    expect(none.manifest.graphs.transformer.tensors).toBeUndefined();
    expect(none.manifest.requires).toBeUndefined();
    expect(fp16.manifest.requires).toEqual(['shader-f16']);
    expect(fp16.manifest.name).toBe('synthetic-d16-fp16');
    expect(Math.abs(fp16.totalBytes / none.totalBytes - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(q8.totalBytes / none.totalBytes - 0.25)).toBeLessThan(0.01);
    expect(q4.totalBytes).toBeLessThan(0.7 * q8.totalBytes); // 0.66 with the int8 encoder, 0.62 without
    expect(q8.manifest.graphs.transformer.weights).toBe('q8');
  });

  it('refuses a 4-bit block size MatMulNBits cannot run', async () => {
    await expect(
      planPack({ kind: 'synthetic', architecture: 'micro' }, { quant: 'q4', q4BlockSize: 48 }),
    ).rejects.toMatchObject({ code: 'E_BAD_SETTINGS', message: expect.stringMatching(/power of 2 ≥ 16, got 48/) });
  });
});
