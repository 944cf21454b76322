// VQ-VAE config inferred from a state dict alone, and the full key → shape table of the official VQVAE (var.md §2).

import { VarError } from '../../shared/errors';
import type { Checkpoint, TensorInfo } from '../pth/types';
import { byName, checkStateDict, dim, type ExpectedTensor, indexCount, requireTensor } from './state-dict-check';

export interface VqvaeConfig {
  readonly ch: number;
  /** Channel multiplier per resolution level; level 0 is full resolution. */
  readonly chMult: readonly number[];
  /** ResnetBlocks per encoder level; the decoder has one more per level. */
  readonly numResBlocks: number;
  /** Cvae: latent and codebook vector channels. */
  readonly zChannels: number;
  readonly vocabSize: number;
  /** quant_resi (Phi) convs shared across scales (share_quant_resi). */
  readonly phiCount: number;
  /** Rows of the ema_vocab_hit_SV training buffer = number of scales the quantizer was built for. */
  readonly numScales: number;
  /** AttnBlocks after each ResnetBlock of the lowest-resolution level. */
  readonly usingSa: boolean;
  readonly usingMidSa: boolean;
  /** Image channels. */
  readonly inChannels: number;
}

const WHAT = 'VQ-VAE';
const GROUPS = 32; // GroupNorm(32, C) everywhere: every channel count must divide into 32 groups.

export function inferVqvaeConfig(infos: Iterable<TensorInfo>, file = 'checkpoint'): VqvaeConfig {
  const map = byName(infos);
  const need = (name: string): TensorInfo => requireTensor(map, name, file, WHAT);
  const levels = Math.max(1, indexCount(map.keys(), 'decoder.up.'));
  const encoderIn = map.get('encoder.conv_in.weight');
  // Without an encoder, ch comes from decoder.conv_out (ch·ch_mult[0]), assuming ch_mult[0] = 1 as all VAR models do.
  const ch = encoderIn ? dim(encoderIn, 4, 0, file) : dim(need('decoder.conv_out.weight'), 4, 1, file);
  const chMult: number[] = [];
  for (let i = 0; i < levels; i++) {
    const out = dim(need(`decoder.up.${i}.block.0.conv1.weight`), 4, 0, file);
    if (out % ch !== 0 || out % GROUPS !== 0) {
      throw new VarError(
        'E_UNSUPPORTED_ARCHITECTURE',
        `${file}: decoder level ${i} has ${out} channels, not a multiple of ch=${ch} and of the ${GROUPS} GroupNorm groups`,
      );
    }
    chMult.push(out / ch);
  }
  const ema = map.get('quantize.ema_vocab_hit_SV');
  return {
    ch,
    chMult,
    numResBlocks: indexCount(map.keys(), 'decoder.up.0.block.') - 1,
    zChannels: dim(need('decoder.conv_in.weight'), 4, 1, file),
    vocabSize: dim(need('quantize.embedding.weight'), 2, 0, file),
    phiCount: indexCount(map.keys(), 'quantize.quant_resi.qresi_ls.'),
    numScales: ema ? dim(ema, 2, 0, file) : 10,
    usingSa: map.has(`decoder.up.${levels - 1}.attn.0.norm.weight`),
    usingMidSa: map.has('decoder.mid.attn_1.norm.weight'),
    inChannels: dim(need('decoder.conv_out.weight'), 4, 0, file),
  };
}

/** Every parameter and buffer of `VQVAE(...).state_dict()` (basic_vae.py Encoder/Decoder, quant.py VectorQuantizer2). */
export function expectedVqvaeKeys(c: VqvaeConfig): Map<string, ExpectedTensor> {
  const keys = new Map<string, ExpectedTensor>();
  const f = (name: string, ...shape: number[]): void => {
    keys.set(name, { shape, kind: 'float' });
  };
  const conv = (p: string, out: number, inp: number, k: number): void => {
    f(`${p}.weight`, out, inp, k, k);
    f(`${p}.bias`, out);
  };
  const norm = (p: string, channels: number): void => {
    f(`${p}.weight`, channels);
    f(`${p}.bias`, channels);
  };
  const resnet = (p: string, inp: number, out: number): void => {
    norm(`${p}.norm1`, inp);
    conv(`${p}.conv1`, out, inp, 3);
    norm(`${p}.norm2`, out);
    conv(`${p}.conv2`, out, out, 3);
    if (inp !== out) conv(`${p}.nin_shortcut`, out, inp, 1); // Identity (no keys) when channels are unchanged.
  };
  const attn = (p: string, channels: number): void => {
    norm(`${p}.norm`, channels);
    conv(`${p}.qkv`, 3 * channels, channels, 1);
    conv(`${p}.proj_out`, channels, channels, 1);
  };
  const mid = (p: string, channels: number): void => {
    resnet(`${p}.block_1`, channels, channels);
    if (c.usingMidSa) attn(`${p}.attn_1`, channels);
    resnet(`${p}.block_2`, channels, channels);
  };
  const last = c.chMult.length - 1;
  const chAt = (level: number): number => c.ch * (c.chMult[level] as number);

  conv('encoder.conv_in', c.ch, c.inChannels, 3);
  let blockIn = c.ch;
  for (let i = 0; i <= last; i++) {
    for (let b = 0; b < c.numResBlocks; b++) {
      resnet(`encoder.down.${i}.block.${b}`, blockIn, chAt(i));
      blockIn = chAt(i);
    }
    if (i === last && c.usingSa) for (let b = 0; b < c.numResBlocks; b++) attn(`encoder.down.${i}.attn.${b}`, blockIn);
    if (i !== last) conv(`encoder.down.${i}.downsample.conv`, blockIn, blockIn, 3);
  }
  mid('encoder.mid', blockIn);
  norm('encoder.norm_out', blockIn);
  conv('encoder.conv_out', c.zChannels, blockIn, 3);

  blockIn = chAt(last);
  conv('decoder.conv_in', blockIn, c.zChannels, 3);
  mid('decoder.mid', blockIn);
  // The decoder runs levels last → 0, but its ModuleList (and so the key order) is indexed by level 0 → last.
  for (let i = 0; i <= last; i++) {
    let levelIn = i === last ? chAt(last) : chAt(i + 1);
    for (let b = 0; b <= c.numResBlocks; b++) {
      resnet(`decoder.up.${i}.block.${b}`, levelIn, chAt(i));
      levelIn = chAt(i);
    }
    if (i === last && c.usingSa) for (let b = 0; b <= c.numResBlocks; b++) attn(`decoder.up.${i}.attn.${b}`, chAt(i));
    if (i !== 0) conv(`decoder.up.${i}.upsample.conv`, chAt(i), chAt(i), 3);
  }
  blockIn = chAt(0);
  norm('decoder.norm_out', blockIn);
  conv('decoder.conv_out', c.inChannels, blockIn, 3);

  f('quantize.ema_vocab_hit_SV', c.numScales, c.vocabSize);
  for (let k = 0; k < c.phiCount; k++) conv(`quantize.quant_resi.qresi_ls.${k}`, c.zChannels, c.zChannels, 3);
  f('quantize.embedding.weight', c.vocabSize, c.zChannels);
  conv('quant_conv', c.zChannels, c.zChannels, 3);
  conv('post_quant_conv', c.zChannels, c.zChannels, 3);
  return keys;
}

export function describeVqvaeConfig(c: VqvaeConfig): string {
  return `ch ${c.ch}, ch_mult [${c.chMult.join(', ')}], ${c.numResBlocks} res blocks, z ${c.zChannels}, vocab ${c.vocabSize}`;
}

export function validateVqvaeStateDict(infos: Iterable<TensorInfo>, config: VqvaeConfig, file = 'checkpoint'): void {
  checkStateDict(infos, expectedVqvaeKeys(config), file, `${WHAT} (${describeVqvaeConfig(config)})`);
}

/** Infers the config and validates every key and shape (async for symmetry with readVarConfig). */
export async function readVqvaeConfig(ckpt: Checkpoint): Promise<VqvaeConfig> {
  const infos = [...ckpt.tensors.values()];
  const config = inferVqvaeConfig(infos, ckpt.name);
  validateVqvaeStateDict(infos, config, ckpt.name);
  return config;
}
