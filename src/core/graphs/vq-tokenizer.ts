// VAR's multi-scale residual tokenizer (quant.py f_to_idxBl_or_fhat) as one ONNX step graph shared by all scales.

import type { BuiltModel, ExternalDataOptions } from '../onnx/graph-builder';
import { GraphBuilder } from '../onnx/graph-builder';
import { areaMatrix, bicubicMatrix, kroneckerSquare, phiIndex } from './scale-resample';
import { type QuantizerConfig, stackedPhiConvs, upsampledPhi } from './vq-quantizer';
import type { WeightProvider } from './weight-provider';

/** ONNX graph name of the tokenizer (`graph.name`). */
export const TOKENIZER_GRAPH_NAME = 'var_tokenizer_step';

/** Per-scale inputs of the tokenizer step besides the two running maps. */
export interface TokenizerStepFeeds {
  /** (pn², S²) float32: area S→pn (the identity at the last scale, where the residual is used as it is). */
  readonly downMatrix: { readonly data: Float32Array; readonly dims: readonly [number, number] };
  /** (S², pn²) float32: bicubic pn→S (the identity at the last scale). */
  readonly upMatrix: { readonly data: Float32Array; readonly dims: readonly [number, number] };
  readonly phiIndex: number;
}

/**
 * The step for scale si (S = last patch num, C = zChannels, V = vocabulary), exactly the loop body of
 * `f_to_idxBl_or_fhat` (var.md §2.6):
 *   z          = area(f_rest → pn×pn)ᵀ                      (B, pn², C)   (f_rest itself at the last scale)
 *   ids        = argmin_v |z|² + |e_v|² − 2 z·e_v            (B, pn²) int64, first index on ties
 *   h_up       = bicubic(codebook[ids] → S×S)                (the ids' vectors at the last scale)
 *   phi        = (1 − r)·h_up + r·conv3x3_k(h_up)            k = phi_index
 *   f_hat_out  = f_hat + phi;  f_rest_out = f_rest − phi
 * Inputs: f_rest, f_hat (B, C, S, S), down_matrix (n, S²), up_matrix (S², n), phi_index int32 scalar. The argmin is an
 * ArgMax of 2 z·e − |e|² (|z|² is the same for every entry of a row); the codebook and the stacked Phi convs are
 * initializers. Start with f_rest = f (the encoder's output) and f_hat = 0; after the last scale f_hat is the image's
 * quantized latent and the ids of the scales are its tokens.
 */
export async function buildTokenizerGraph(
  weights: WeightProvider,
  config: QuantizerConfig & { readonly vocabSize: number },
  options: { externalData?: ExternalDataOptions } = {},
): Promise<BuiltModel> {
  const { zChannels: C, phiCount: K, vocabSize: V } = config;
  const S = config.patchNums[config.patchNums.length - 1] as number;
  const r = config.resiRatio ?? 0.5;
  const b = new GraphBuilder(TOKENIZER_GRAPH_NAME, 'VAR multi-scale tokenizer step (quant.py f_to_idxBl_or_fhat)');

  const fRest = b.input('f_rest', 'float32', ['B', C, S, S]);
  const fHat = b.input('f_hat', 'float32', ['B', C, S, S]);
  const downMatrix = b.input('down_matrix', 'float32', ['n', S * S]);
  const upMatrix = b.input('up_matrix', 'float32', [S * S, 'n']);
  const phiIdx = b.input('phi_index', 'int32', []);

  const codebook = b.initializer(
    'quantize.embedding.weight',
    'float32',
    [V, C],
    await weights.get('quantize.embedding.weight', [V, C]),
  );
  const phiConvs = await stackedPhiConvs(b, weights, C, K);

  const z = b.scope('downsample', () => {
    const flat = b.op('Reshape', [fRest, b.int64s([0, C, S * S])]);
    return b.op('MatMul', [downMatrix, b.op('Transpose', [flat], { perm: [0, 2, 1] })]); // (B, n, C)
  });
  b.scope('nearest', () => {
    const eT = b.op('Transpose', [codebook], { perm: [1, 0] }); // (C, V)
    const eSq = b.op('ReduceSumSquare', [codebook], { axes: [1], keepdims: 0 }); // (V)
    const dot = b.op('MatMul', [z, eT]); // (B, n, V)
    const score = b.op('Sub', [b.op('Mul', [dot, b.scalar(2)]), eSq]);
    b.op('ArgMax', [score], { axis: -1, keepdims: 0 }, { out: 'ids' }); // (B, n) int64
  });
  const phi = upsampledPhi(b, {
    h: () => b.op('Gather', [codebook, 'ids'], { axis: 0 }), // (B, n, C)
    upMatrix,
    phiConvs,
    phiIdx,
    C,
    S,
    r,
  });
  b.op('Add', [fHat, phi], {}, { out: 'f_hat_out' });
  b.op('Sub', [fRest, phi], {}, { out: 'f_rest_out' });

  b.output('ids', 'int64', ['B', 'n']);
  b.output('f_hat_out', 'float32', ['B', C, S, S]);
  b.output('f_rest_out', 'float32', ['B', C, S, S]);
  return b.toModel(options);
}

/** The per-scale matrices and Phi index of tokenizer step `si` of `patchNums`. */
export function tokenizerStepFeeds(patchNums: readonly number[], si: number, phiCount: number): TokenizerStepFeeds {
  const S = patchNums[patchNums.length - 1] as number;
  const pn = patchNums[si];
  if (pn === undefined) throw new RangeError(`Scale ${si} is outside patch_nums (${patchNums.length} scales)`);
  return {
    downMatrix: { data: kroneckerSquare(areaMatrix(S, pn), pn, S), dims: [pn * pn, S * S] },
    upMatrix: { data: kroneckerSquare(bicubicMatrix(pn, S), S, pn), dims: [S * S, pn * pn] },
    phiIndex: phiIndex(si, patchNums.length, phiCount),
  };
}
