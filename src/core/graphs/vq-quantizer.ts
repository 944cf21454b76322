// VAR's multi-scale quantizer step (quant.py get_next_autoregressive_input) as one ONNX graph shared by all scales.

import type { BuiltModel, ExternalDataOptions } from '../onnx/graph-builder';
import { GraphBuilder } from '../onnx/graph-builder';
import { areaMatrix, bicubicMatrix, kroneckerSquare, phiIndex } from './scale-resample';
import type { WeightProvider } from './weight-provider';

export interface QuantizerConfig {
  /** Token-map side per scale, e.g. 1,2,3,4,5,6,8,10,13,16 (from the model pack; the last one is f_hat's side). */
  readonly patchNums: readonly number[];
  /** Codebook vector width Cvae (32). */
  readonly zChannels: number;
  /** Number of shared Phi convs (`share_quant_resi`, 4). */
  readonly phiCount: number;
  /** `quant_resi`: Phi(x) = (1 − r)·x + r·conv(x); 0.5 in every released VQVAE (not stored in the checkpoint). */
  readonly resiRatio?: number;
}

/** Per-scale inputs of the step graph besides `ids` and `f_hat`; all derived from patch_nums in TypeScript. */
export interface QuantizerStepFeeds {
  /** (S², pn²) float32: bicubic pn→S as one matrix (Kronecker square of the separable map). */
  readonly upMatrix: { readonly data: Float32Array; readonly dims: readonly [number, number] };
  /** (pn_next², S²) float32: area S→pn_next. The last scale gets the identity (its next_input is unused). */
  readonly downMatrix: { readonly data: Float32Array; readonly dims: readonly [number, number] };
  /** Which shared Phi conv this scale uses. */
  readonly phiIndex: number;
}

/**
 * The graph computes, for scale si with token map side pn (S = last patch num, C = zChannels):
 *   h          = h_BnC (codebook[ids], looked up by the caller)  (B, pn², C) → (B, C, pn, pn)
 *   h_up       = bicubic(h → S×S)                            (identity for pn = S: the last scale)
 *   f_hat_out  = f_hat + (1 − r)·h_up + r·conv3x3_k(h_up)    k = phi_index
 *   next_input = area(f_hat_out → pn_next)ᵀ                  (B, pn_next², C), row-major h·pn + w
 *
 * Inputs: h_BnC (B, n, C), f_hat (B, C, S, S), up_matrix (S², n), down_matrix (m, S²), phi_index int32 scalar.
 * The token vectors come in rather than the ids because sampling runs on the CPU: the loop looks the ids up there
 * (src/core/generate/codebook.ts) and, for more_smooth, mixes codebook rows by the Gumbel-softmax weights.
 * Outputs: f_hat_out (B, C, S, S), next_input (B, m, C).
 * The interpolations are the exact separable matrices (scale-resample.ts) applied as one MatMul on the flattened
 * map (M ⊗ M) so that pn never appears in a Reshape: one graph, one session, every scale.
 * Why one graph rather than one per scale (measured, ORT-web 1.30 WASM in Node, 1 thread, tiny VQVAE): the same
 * 10-step time (3.7 ms at B=1, 10 ms at B=3) but 0.67 MB instead of 8.4 MB (ten codebook copies) and one warm
 * session creation of 3–8 ms instead of ten totalling 30–60 ms; the per-step feeds are ≤ 256 KB each.
 */
export async function buildQuantizerGraph(
  weights: WeightProvider,
  config: QuantizerConfig,
  options: { externalData?: ExternalDataOptions } = {},
): Promise<BuiltModel> {
  const { zChannels: C, phiCount: K } = config;
  const S = finalSize(config.patchNums);
  const r = config.resiRatio ?? 0.5;
  const b = new GraphBuilder(
    'var_quantizer_step',
    'VAR multi-scale quantizer step (quant.py get_next_autoregressive_input)',
  );

  const hBnC = b.input('h_BnC', 'float32', ['B', 'n', C]);
  const fHat = b.input('f_hat', 'float32', ['B', C, S, S]);
  const upMatrix = b.input('up_matrix', 'float32', [S * S, 'n']);
  const downMatrix = b.input('down_matrix', 'float32', ['m', S * S]);
  const phiIdx = b.input('phi_index', 'int32', []);

  const phiConvs = await stackedPhiConvs(b, weights, C, K);
  const phi = upsampledPhi(b, { h: () => hBnC, upMatrix, phiConvs, phiIdx, C, S, r });
  b.op('Add', [fHat, phi], {}, { out: 'f_hat_out' });
  // next_input (B, m, C) = D @ f_hat_out flattened to (B, S², C), D = area ⊗ area (m, S²).
  b.scope('downsample', () => {
    const flat = b.op('Reshape', ['f_hat_out', b.int64s([0, C, S * S])]);
    const fBLC = b.op('Transpose', [flat], { perm: [0, 2, 1] });
    b.op('MatMul', [downMatrix, fBLC], {}, { out: 'next_input' });
  });

  b.output('f_hat_out', 'float32', ['B', C, S, S]);
  b.output('next_input', 'float32', ['B', 'm', C]);
  return b.toModel(options);
}

/** The K shared Phi convs (`quant_resi`) stacked as two initializers, so a scale picks its conv with a Gather. */
export async function stackedPhiConvs(
  b: GraphBuilder,
  weights: WeightProvider,
  C: number,
  K: number,
): Promise<{ readonly weights: string; readonly biases: string }> {
  const phiW = new Float32Array(K * C * C * 9);
  const phiB = new Float32Array(K * C);
  for (let k = 0; k < K; k++) {
    phiW.set(await weights.get(`quantize.quant_resi.qresi_ls.${k}.weight`, [C, C, 3, 3]), k * C * C * 9);
    phiB.set(await weights.get(`quantize.quant_resi.qresi_ls.${k}.bias`, [C]), k * C);
  }
  return {
    weights: b.initializer('quantize.quant_resi.qresi_ls.weight', 'float32', [K, C, C, 3, 3], phiW),
    biases: b.initializer('quantize.quant_resi.qresi_ls.bias', 'float32', [K, C], phiB),
  };
}

/**
 * Phi_k(h_up) = (1 − r)·h_up + r·conv3x3_k(h_up), with h_up (B, C, S, S) = (U @ h)ᵀ, U = bicubic ⊗ bicubic (S², n):
 * the step both the quantizer and the tokenizer take. `h` makes the (B, n, C) token vectors inside the 'upsample'
 * scope (the tokenizer gathers them from the codebook there).
 */
export function upsampledPhi(
  b: GraphBuilder,
  p: {
    readonly h: () => string;
    readonly upMatrix: string;
    readonly phiConvs: { readonly weights: string; readonly biases: string };
    readonly phiIdx: string;
    readonly C: number;
    readonly S: number;
    readonly r: number;
  },
): string {
  const hUp = b.scope('upsample', () => {
    const hBLC = b.op('MatMul', [p.upMatrix, p.h()]);
    const hBCL = b.op('Transpose', [hBLC], { perm: [0, 2, 1] });
    return b.op('Reshape', [hBCL, b.int64s([0, p.C, p.S, p.S])]);
  });
  return b.scope('quant_resi', () => {
    const w = b.op('Gather', [p.phiConvs.weights, p.phiIdx], { axis: 0 });
    const bias = b.op('Gather', [p.phiConvs.biases, p.phiIdx], { axis: 0 });
    const conv = b.op('Conv', [hUp, w, bias], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    return b.op('Add', [b.op('Mul', [hUp, b.scalar(1 - p.r)]), b.op('Mul', [conv, b.scalar(p.r)])]);
  });
}

/** The per-scale matrices and Phi index for step `si` (0-based) of `patchNums`. */
export function quantizerStepFeeds(patchNums: readonly number[], si: number, phiCount: number): QuantizerStepFeeds {
  const S = finalSize(patchNums);
  const pn = patchNums[si];
  if (pn === undefined) throw new RangeError(`Scale ${si} is outside patch_nums (${patchNums.length} scales)`);
  const next = patchNums[si + 1] ?? S;
  return {
    upMatrix: { data: kroneckerSquare(bicubicMatrix(pn, S), S, pn), dims: [S * S, pn * pn] },
    downMatrix: { data: kroneckerSquare(areaMatrix(S, next), next, S), dims: [next * next, S * S] },
    phiIndex: phiIndex(si, patchNums.length, phiCount),
  };
}

function finalSize(patchNums: readonly number[]): number {
  const S = patchNums[patchNums.length - 1];
  if (S === undefined) throw new RangeError('patch_nums is empty');
  return S;
}
