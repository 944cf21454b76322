// VAR config inference and strict key/shape validation on the fixture, the real key lists and edited state dicts.

import { describe, expect, it } from 'vitest';
import { errorOf, openFixture, readFixtureJson, readKeysTsv } from '../../testing/fixtures';
import { type PthTensorEntry, writePthToBytes } from '../../testing/writers/pth-writer';
import { MemoryByteSource } from '../io/byte-source';
import { openCheckpoint } from '../pth/checkpoint';
import type { Checkpoint, TensorInfo } from '../pth/types';
import {
  expectedVarKeys,
  inferVarConfig,
  patchNumsFromLevels,
  readVarConfig,
  type VarConfig,
  validateVarStateDict,
} from './var-config';

const PATCH_NUMS_256 = [1, 2, 3, 4, 5, 6, 8, 10, 13, 16];

function levelsOf(patchNums: readonly number[]): number[] {
  return patchNums.flatMap((pn, level) => new Array<number>(pn * pn).fill(level));
}

/** Re-writes a checkpoint through the writer, after `edit` has changed its entry list. */
async function rewrite(ckpt: Checkpoint, edit: (entries: PthTensorEntry[]) => PthTensorEntry[]): Promise<Checkpoint> {
  const entries: PthTensorEntry[] = [...ckpt.tensors.values()].map((t) => ({
    name: t.name,
    dtype: t.dtype,
    shape: t.shape,
    data: () => t.readBytes(),
  }));
  const bytes = await writePthToBytes(edit(entries), { flavour: 'torch-1.13', root: 'tiny_var' });
  return openCheckpoint(new MemoryByteSource(bytes, 'edited_var.pth'));
}

interface CasesJson {
  config: {
    builder_call: {
      depth: number;
      patch_nums: number[];
      V: number;
      Cvae: number;
      num_classes: number;
      shared_aln: boolean;
    };
    var: { embed_dim: number; num_heads: number; head_dim: number; mlp_hidden: number; L: number };
  };
}

describe('VAR config inference', () => {
  it('infers the tiny fixture config exactly as cases.json describes it', async () => {
    const { config } = await readFixtureJson<CasesJson>('cases.json');
    const c = await readVarConfig(await openFixture('tiny_var.pth'));
    expect(c).toEqual({
      depth: config.builder_call.depth,
      width: config.var.embed_dim,
      heads: config.var.num_heads,
      headDim: config.var.head_dim,
      mlpHidden: config.var.mlp_hidden,
      patchNums: config.builder_call.patch_nums,
      numTokens: config.var.L,
      numClasses: config.builder_call.num_classes,
      vocabSize: config.builder_call.V,
      cvae: config.builder_call.Cvae,
      sharedAdaLN: config.builder_call.shared_aln,
    } satisfies VarConfig);
    expect(c).toMatchObject({ depth: 2, width: 128, heads: 2, numClasses: 1000, vocabSize: 4096, cvae: 32 });
  });

  for (const [file, depth, width] of [
    ['var_d16.tsv', 16, 1024],
    ['var_d20.tsv', 20, 1280],
  ] as const) {
    it(`validates every key and shape of the real ${file} (no data needed)`, async () => {
      const infos = await readKeysTsv(file);
      const c = inferVarConfig(infos, levelsOf(PATCH_NUMS_256), file);
      expect(c).toMatchObject({
        depth,
        width,
        heads: depth,
        mlpHidden: 4 * width,
        patchNums: PATCH_NUMS_256,
        numTokens: 680,
      });
      expect(c).toMatchObject({ numClasses: 1000, vocabSize: 4096, cvae: 32, sharedAdaLN: false });
      validateVarStateDict(infos, c, file);
      // Same keys in the same order as the official state_dict().
      expect([...expectedVarKeys(c).keys()]).toEqual(infos.map((i) => i.name));
    });
  }

  it('handles shared AdaLN (d36-style ada_gss + shared_ada_lin)', () => {
    const base = {
      depth: 3,
      width: 256,
      heads: 4,
      headDim: 64,
      mlpHidden: 1024,
      numClasses: 1000,
      vocabSize: 4096,
      cvae: 32,
    };
    const config: VarConfig = {
      ...base,
      patchNums: [1, 2, 3, 4, 6, 9, 13, 18, 24, 32],
      numTokens: 2240,
      sharedAdaLN: true,
    };
    const infos: TensorInfo[] = [...expectedVarKeys(config)].map(([name, e]) => ({
      name,
      shape: e.shape,
      dtype: e.kind === 'int' ? 'int64' : 'float16',
    }));
    expect(infos.some((i) => i.name === 'blocks.2.ada_gss')).toBe(true);
    const inferred = inferVarConfig(infos, levelsOf(config.patchNums));
    expect(inferred).toEqual(config);
    validateVarStateDict(infos, inferred);
  });

  it('derives patch_nums from lvl_1L and rejects non-square or unordered levels', () => {
    expect(patchNumsFromLevels(levelsOf([1, 2, 3]), 'x')).toEqual([1, 2, 3]);
    expect(patchNumsFromLevels(BigInt64Array.from(levelsOf([1, 4]), BigInt), 'x')).toEqual([1, 4]);
    const notSquare = errorOf(() => patchNumsFromLevels([0, 1, 1, 1], 'x.pth'));
    expect(notSquare.code).toBe('E_UNSUPPORTED_ARCHITECTURE');
    expect(notSquare.message).toContain('scale 1 has 3 tokens');
    expect(errorOf(() => patchNumsFromLevels([0, 2, 2, 2, 2], 'x.pth')).code).toBe('E_UNSUPPORTED_ARCHITECTURE');
    expect(errorOf(() => patchNumsFromLevels([], 'x.pth')).code).toBe('E_UNSUPPORTED_ARCHITECTURE');
  });
});

describe('VAR state-dict validation', () => {
  it('reports a dropped key as E_MISSING_KEYS naming it', async () => {
    const ckpt = await rewrite(await openFixture('tiny_var.pth'), (e) =>
      e.filter((t) => t.name !== 'blocks.1.ffn.fc2.bias'),
    );
    await expect(readVarConfig(ckpt)).rejects.toMatchObject({
      code: 'E_MISSING_KEYS',
      message: expect.stringMatching(/edited_var\.pth: 1 key\(s\) .* missing: blocks\.1\.ffn\.fc2\.bias/),
    });
  });

  it('reports a dropped key needed for inference (pos_start) as E_MISSING_KEYS', async () => {
    const ckpt = await rewrite(await openFixture('tiny_var.pth'), (e) => e.filter((t) => t.name !== 'pos_start'));
    await expect(readVarConfig(ckpt)).rejects.toMatchObject({
      code: 'E_MISSING_KEYS',
      message: expect.stringContaining('pos_start'),
    });
  });

  it('reports an extra key as E_UNEXPECTED_KEYS naming it', async () => {
    const extra: PthTensorEntry = {
      name: 'blocks.0.attn.extra_bias',
      dtype: 'float32',
      shape: [128],
      data: new Uint8Array(512),
    };
    const ckpt = await rewrite(await openFixture('tiny_var.pth'), (e) => [...e, extra]);
    await expect(readVarConfig(ckpt)).rejects.toMatchObject({
      code: 'E_UNEXPECTED_KEYS',
      message: expect.stringContaining('blocks.0.attn.extra_bias'),
    });
  });

  it('reports a wrong shape as E_SHAPE_MISMATCH with expected and actual', async () => {
    const ckpt = await rewrite(await openFixture('tiny_var.pth'), (e) =>
      e.map((t) => (t.name === 'head.bias' ? { ...t, shape: [4095], data: new Uint8Array(4095 * 4) } : t)),
    );
    await expect(readVarConfig(ckpt)).rejects.toMatchObject({
      code: 'E_SHAPE_MISMATCH',
      message: expect.stringContaining('head.bias: expected [4096], got [4095]'),
    });
  });

  it('reports a pos_1LC inconsistent with lvl_1L as a shape mismatch', async () => {
    const infos = (await readKeysTsv('var_d16.tsv')).map((i) =>
      i.name === 'pos_1LC' ? { ...i, shape: [1, 679, 1024] } : i,
    );
    const error = errorOf(() =>
      validateVarStateDict(infos, inferVarConfig(infos, levelsOf(PATCH_NUMS_256)), 'd16.pth'),
    );
    expect(error.code).toBe('E_SHAPE_MISMATCH');
    expect(error.message).toContain('pos_1LC: expected [1, 680, 1024], got [1, 679, 1024]');
  });

  it('rejects a float lvl_1L as the wrong dtype', async () => {
    const infos = (await readKeysTsv('var_d16.tsv')).map((i) =>
      i.name === 'lvl_1L' ? { ...i, dtype: 'float32' as const } : i,
    );
    const error = errorOf(() =>
      validateVarStateDict(infos, inferVarConfig(infos, levelsOf(PATCH_NUMS_256)), 'd16.pth'),
    );
    expect(error.code).toBe('E_UNSUPPORTED_DTYPE');
    expect(error.message).toContain('lvl_1L');
  });
});
