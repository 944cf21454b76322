// VAR transformer config inferred from a state dict alone, and the full key → shape table it implies (var.md §3, §4.1).

import { VarError } from '../../shared/errors';
import type { Checkpoint, TensorInfo, TensorRef } from '../pth/types';
import { byName, checkStateDict, dim, type ExpectedTensor, indexCount, requireTensor } from './state-dict-check';

export interface VarConfig {
  readonly depth: number;
  /** C = embed_dim. */
  readonly width: number;
  readonly heads: number;
  readonly headDim: number;
  readonly mlpHidden: number;
  /** Side length of each scale's token map, e.g. (1,2,3,4,5,6,8,10,13,16). */
  readonly patchNums: readonly number[];
  /** L = Σ pn². */
  readonly numTokens: number;
  /** Real classes; class_emb has one more row, the null class used for CFG. */
  readonly numClasses: number;
  readonly vocabSize: number;
  /** Channels of the VQ-VAE latent that word_embed projects. */
  readonly cvae: number;
  /** d36-style shared AdaLN: one `shared_ada_lin`, per-block `ada_gss` instead of `ada_lin`. */
  readonly sharedAdaLN: boolean;
}

const WHAT = 'VAR transformer';

/**
 * patch_nums from the `lvl_1L` buffer (scale id of each token: 0, 1,1,1,1, 2×9, …): each level's count must be a
 * perfect square pn², levels ascending from 0 without gaps.
 */
export function patchNumsFromLevels(levels: ArrayLike<number | bigint>, file: string): number[] {
  const counts: number[] = [];
  for (let i = 0; i < levels.length; i++) {
    const level = Number(levels[i]);
    if (level === counts.length - 1) counts[level] = (counts[level] as number) + 1;
    else if (level === counts.length) counts.push(1);
    else {
      throw new VarError(
        'E_UNSUPPORTED_ARCHITECTURE',
        `${file}: lvl_1L is not a run of ascending scale ids (token ${i} has level ${level} after level ${counts.length - 1})`,
      );
    }
  }
  if (counts.length === 0) throw new VarError('E_UNSUPPORTED_ARCHITECTURE', `${file}: lvl_1L is empty`);
  return counts.map((n, level) => {
    const pn = Math.round(Math.sqrt(n));
    if (pn * pn !== n) {
      throw new VarError(
        'E_UNSUPPORTED_ARCHITECTURE',
        `${file}: scale ${level} has ${n} tokens in lvl_1L, which is not a square pn×pn token map`,
      );
    }
    return pn;
  });
}

/** Infers the config from names and shapes plus the `lvl_1L` values (the only data needed). */
export function inferVarConfig(
  infos: Iterable<TensorInfo>,
  levels: ArrayLike<number | bigint>,
  file = 'checkpoint',
): VarConfig {
  const map = byName(infos);
  const need = (name: string): TensorInfo => requireTensor(map, name, file, WHAT);
  const width = dim(need('pos_start'), 3, 2, file);
  const depth = indexCount(map.keys(), 'blocks.');
  const mlpHidden = dim(need('blocks.0.ffn.fc1.weight'), 2, 0, file);
  const scaleMul = map.get('blocks.0.attn.scale_mul_1H11');
  // Without scale_mul (attn_l2_norm=False) the builder's head_dim 64 is assumed; validation then lists the key as missing.
  const heads = scaleMul ? dim(scaleMul, 4, 1, file) : Math.max(1, Math.round(width / 64));
  if (heads === 0 || width % heads !== 0) {
    throw new VarError('E_UNSUPPORTED_ARCHITECTURE', `${file}: width ${width} is not divisible into ${heads} heads`);
  }
  const patchNums = patchNumsFromLevels(levels, file);
  return {
    depth,
    width,
    heads,
    headDim: width / heads,
    mlpHidden,
    patchNums,
    numTokens: patchNums.reduce((a, pn) => a + pn * pn, 0),
    numClasses: dim(need('class_emb.weight'), 2, 0, file) - 1,
    vocabSize: dim(need('head.weight'), 2, 0, file),
    cvae: dim(need('word_embed.weight'), 2, 1, file),
    sharedAdaLN: map.has('shared_ada_lin.1.weight'),
  };
}

/** Every parameter and buffer of `VAR(...).state_dict()`, in registration order. */
export function expectedVarKeys(c: VarConfig): Map<string, ExpectedTensor> {
  const C = c.width;
  const L = c.numTokens;
  const keys = new Map<string, ExpectedTensor>();
  const f = (name: string, ...shape: number[]): void => {
    keys.set(name, { shape, kind: 'float' });
  };
  f('pos_start', 1, 1, C);
  f('pos_1LC', 1, L, C);
  keys.set('lvl_1L', { shape: [1, L], kind: 'int' });
  f('attn_bias_for_masking', 1, 1, L, L);
  f('word_embed.weight', C, c.cvae);
  f('word_embed.bias', C);
  f('class_emb.weight', c.numClasses + 1, C);
  f('lvl_embed.weight', c.patchNums.length, C);
  if (c.sharedAdaLN) {
    f('shared_ada_lin.1.weight', 6 * C, C);
    f('shared_ada_lin.1.bias', 6 * C);
  }
  for (let i = 0; i < c.depth; i++) {
    const b = `blocks.${i}`;
    f(`${b}.attn.scale_mul_1H11`, 1, c.heads, 1, 1);
    f(`${b}.attn.q_bias`, C);
    f(`${b}.attn.v_bias`, C);
    f(`${b}.attn.zero_k_bias`, C);
    f(`${b}.attn.mat_qkv.weight`, 3 * C, C);
    f(`${b}.attn.proj.weight`, C, C);
    f(`${b}.attn.proj.bias`, C);
    f(`${b}.ffn.fc1.weight`, c.mlpHidden, C);
    f(`${b}.ffn.fc1.bias`, c.mlpHidden);
    f(`${b}.ffn.fc2.weight`, C, c.mlpHidden);
    f(`${b}.ffn.fc2.bias`, C);
    if (c.sharedAdaLN) {
      f(`${b}.ada_gss`, 1, 1, 6, C);
    } else {
      f(`${b}.ada_lin.1.weight`, 6 * C, C);
      f(`${b}.ada_lin.1.bias`, 6 * C);
    }
  }
  f('head_nm.ada_lin.1.weight', 2 * C, C);
  f('head_nm.ada_lin.1.bias', 2 * C);
  f('head.weight', c.vocabSize, C);
  f('head.bias', c.vocabSize);
  return keys;
}

export function describeVarConfig(c: VarConfig): string {
  return `depth ${c.depth}, width ${c.width}, ${c.heads} heads, ${c.patchNums.length} scales (L=${c.numTokens})`;
}

/** Strict check, as the official demo's load_state_dict(strict=True). */
export function validateVarStateDict(infos: Iterable<TensorInfo>, config: VarConfig, file = 'checkpoint'): void {
  checkStateDict(infos, expectedVarKeys(config), file, `${WHAT} (${describeVarConfig(config)})`);
}

/** Reads `lvl_1L`, infers the config and validates every key and shape. */
export async function readVarConfig(ckpt: Checkpoint): Promise<VarConfig> {
  const infos = [...ckpt.tensors.values()];
  requireTensor(ckpt.tensors, 'lvl_1L', ckpt.name, WHAT);
  const lvl = ckpt.tensors.get('lvl_1L') as TensorRef;
  // lvl_1L is [1, L]; refuse to read an absurd one (the 512px models have L = 2240).
  if (lvl.shape.length !== 2 || lvl.shape[0] !== 1 || (lvl.shape[1] as number) > 1 << 20) {
    throw new VarError('E_SHAPE_MISMATCH', `${ckpt.name}: lvl_1L: expected [1, L], got [${lvl.shape.join(', ')}]`);
  }
  const levels = await lvl.readInt();
  const config = inferVarConfig(infos, levels, ckpt.name);
  validateVarStateDict(infos, config, ckpt.name);
  return config;
}
