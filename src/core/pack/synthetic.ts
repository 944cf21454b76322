// Architectures of random-weight packs (real VAR-d16…d30 sizes for benchmarks, `micro` for slow-backend tests) and their weights.

import { randomWeights, type WeightProvider } from '../graphs/weight-provider';
import type { VarConfig } from '../model/var-config';
import type { VqvaeConfig } from '../model/vqvae-config';
import type { SyntheticArchitecture } from './manifest';

export interface SyntheticModel {
  readonly var: VarConfig;
  readonly vqvae: VqvaeConfig;
}

export const SYNTHETIC_ARCHITECTURES: readonly SyntheticArchitecture[] = ['d16', 'd20', 'd24', 'd30', 'micro'];

/** The 256-pixel models' scales (var.md §3.1). */
const PATCH_NUMS_256 = [1, 2, 3, 4, 5, 6, 8, 10, 13, 16] as const;

/** vae_ch160v4096z32, the VQ-VAE every released 256-pixel VAR uses (var.md §2.1). */
const VAE_CH160: VqvaeConfig = {
  ch: 160,
  chMult: [1, 1, 2, 2, 4],
  numResBlocks: 2,
  zChannels: 32,
  vocabSize: 4096,
  phiCount: 4,
  numScales: PATCH_NUMS_256.length,
  usingSa: true,
  usingMidSa: true,
  inChannels: 3,
};

/** build_vae_var ties width = 64·depth, heads = depth, MLP 4C (var.md §3.1). */
function releasedVar(depth: number): VarConfig {
  const width = 64 * depth;
  return varConfig({ depth, width, heads: depth, mlpHidden: 4 * width, patchNums: PATCH_NUMS_256 });
}

function varConfig(c: {
  depth: number;
  width: number;
  heads: number;
  mlpHidden: number;
  patchNums: readonly number[];
}): VarConfig {
  return {
    ...c,
    patchNums: [...c.patchNums],
    headDim: c.width / c.heads,
    numTokens: c.patchNums.reduce((n, pn) => n + pn * pn, 0),
    numClasses: 1000,
    vocabSize: 4096,
    cvae: 32,
    sharedAdaLN: false,
  };
}

/**
 * The smallest model of the family, for browser tests on SwiftShader WebGPU (~100× slower than WASM): 4 scales
 * (1, 2, 3, 4 → 30 tokens), a 2-block transformer of width 64, and a decoder that still has the real structure
 * (5 levels, ×16 upsampling 4×4 → 64×64, mid and lowest-level attention, GroupNorm 32, 4 Phi convs) with 32 channels
 * and one ResBlock per level. Vocabulary, Cvae and classes stay real (4096, 32, 1000) so the sampler's defaults
 * (top-k 900), the class picker and the codebook lookup see real sizes; the vocabulary costs 1 MB (head) + 0.5 MB
 * (codebook), which is nothing next to any transfer or session-creation time.
 */
const MICRO: SyntheticModel = {
  var: varConfig({ depth: 2, width: 64, heads: 1, mlpHidden: 256, patchNums: [1, 2, 3, 4] }),
  vqvae: {
    ch: 32,
    chMult: [1, 1, 1, 1, 1],
    numResBlocks: 0,
    zChannels: 32,
    vocabSize: 4096,
    phiCount: 4,
    numScales: 4,
    usingSa: true,
    usingMidSa: true,
    inChannels: 3,
  },
};

export function syntheticModel(architecture: SyntheticArchitecture): SyntheticModel {
  switch (architecture) {
    case 'd16':
      return { var: releasedVar(16), vqvae: VAE_CH160 };
    case 'd20':
      return { var: releasedVar(20), vqvae: VAE_CH160 };
    case 'd24':
      return { var: releasedVar(24), vqvae: VAE_CH160 };
    case 'd30':
      return { var: releasedVar(30), vqvae: VAE_CH160 };
    case 'micro':
      return MICRO;
  }
}

/** ln 4: the official init of every head's attention temperature (`torch.full((1, H, 1, 1), 4.0).log()`). */
const SCALE_MUL_INIT = Math.log(4);

/**
 * Seeded random weights for a VAR + VQ-VAE pair, deterministic per (seed, tensor name): the values do not depend on
 * the order in which tensors are read, so a streamed export and an in-memory one of the same pack are byte-identical.
 * Base: randomWeights (norms ≈ 1, small biases, matrices and kernels N(0, 1/fan_in)). VAR embeddings follow the
 * official init (trunc_normal, std √(1/(3C))), and scale_mul_1H11 = ln 4 as initialized, so attention has its
 * trained-from temperature instead of a random one.
 */
export function syntheticWeights(seed: number, width: number): WeightProvider {
  const embedStd = Math.sqrt(1 / (3 * width));
  return {
    async get(name, shape) {
      if (name.endsWith('.scale_mul_1H11')) return new Float32Array(numel(shape)).fill(SCALE_MUL_INIT);
      const base = randomWeights(tensorSeed(seed, name));
      if (EMBEDDINGS.has(name)) {
        // N(0, 1) from the base provider: a plain matrix whose fan-in is 1.
        const unit = await base.get('embedding', [numel(shape), 1]);
        for (let i = 0; i < unit.length; i++) unit[i] = Math.fround((unit[i] as number) * embedStd);
        return unit;
      }
      return base.get(name, shape);
    },
  };
}

const EMBEDDINGS = new Set(['class_emb.weight', 'pos_start', 'pos_1LC', 'lvl_embed.weight']);

function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** FNV-1a over the seed and the name: one independent stream per tensor. */
function tensorSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  h = Math.imul(h, 0x01000193);
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0 || 1;
}
