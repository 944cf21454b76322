// Where graph builders get weights: by name and expected shape, from a checkpoint or from a seeded random source.

import { VarError } from '../../shared/errors';
import type { Checkpoint } from '../pth/types';

/** Graph builders ask for every weight by its state-dict name and the shape they expect. */
export interface WeightProvider {
  /** Float32 values of `name` (C order); rejects when the tensor is missing or has another shape. */
  get(name: string, shape: readonly number[]): Promise<Float32Array>;
}

/** Weights read lazily from a .pth checkpoint (shapes checked; anything non-float32 converted). */
export function checkpointWeights(checkpoint: Checkpoint): WeightProvider {
  return {
    async get(name, shape) {
      const tensor = checkpoint.tensors.get(name);
      if (tensor === undefined) {
        throw new VarError('E_MISSING_KEYS', `${checkpoint.name} has no tensor ${name}`, { missing: [name] });
      }
      if (!sameShape(tensor.shape, shape)) {
        throw new VarError(
          'E_SHAPE_MISMATCH',
          `${checkpoint.name}: ${name} has shape [${tensor.shape.join(', ')}], expected [${shape.join(', ')}]`,
          { name, actual: [...tensor.shape], expected: [...shape] },
        );
      }
      return tensor.readFloat32();
    },
  };
}

/**
 * Seeded random weights shaped like a trained model's: norm weights ≈ 1, biases small, matrices and kernels
 * N(0, 1/fan_in) so activations keep their scale through deep stacks (benchmarks of real architectures).
 */
export function randomWeights(seed = 1): WeightProvider {
  let state = seed >>> 0 || 1;
  // xorshift32 + Box–Muller: deterministic and platform-neutral; statistical quality is irrelevant here.
  const uniform = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) + 0.5) / 2 ** 32;
  };
  const normal = (): number => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return {
    async get(name, shape) {
      const numel = shape.reduce((a, b) => a * b, 1);
      const out = new Float32Array(numel);
      const isNorm = /norm[^.]*\.weight$/.test(name);
      const isBias = name.endsWith('.bias') || (shape.length === 1 && !isNorm);
      const fanIn = shape.length >= 2 ? numel / (shape[0] as number) : 1;
      for (let i = 0; i < numel; i++) {
        if (isNorm) out[i] = 1 + 0.1 * normal();
        else if (isBias) out[i] = 0.05 * normal();
        else out[i] = normal() / Math.sqrt(fanIn);
      }
      return out;
    },
  };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
