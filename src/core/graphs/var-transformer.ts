// The VAR transformer as one ONNX graph that computes one scale per run, with a KV cache (models/var.py, basic_var.py).
//
// One run = one scale for the conditional and unconditional halves together (batch 2B). The caller feeds the
// previous run's present_* outputs back as past_* inputs (on the GPU), so shapes are symbolic and one graph serves
// every scale. Names echo the reference: x_BLC, cond_BD, logits_BlV, scale_mul_1H11, lvl_pos.

import { VarError } from '../../shared/errors';
import type { GraphBuilder } from '../onnx/graph-builder';
import type { WeightEncoding } from '../weight-quant/encodings';
import { float32ToFloat16 } from '../weight-quant/float16';
import {
  type ActivationType,
  type LinearEncoding,
  type TensorEncoding,
  WeightEncoder,
} from '../weight-quant/weight-encoding';
import type { WeightProvider } from './weight-provider';

/** What the graph needs of the inferred VAR config (src/core/model/var-config.ts). */
export interface VarGraphConfig {
  readonly depth: number;
  readonly width: number;
  readonly heads: number;
  readonly patchNums: readonly number[];
  readonly numClasses: number;
  readonly vocabSize: number;
  readonly cvae: number;
  readonly sharedAdaLN: boolean;
  /** FFN hidden width (4·width in every released model). */
  readonly mlpHidden?: number;
}

/** How attention is written: plain MatMul + Softmax, or com.microsoft MultiHeadAttention with past/present. */
export type AttentionKind = 'matmul' | 'mha';

export interface VarTransformerOptions {
  readonly attention?: AttentionKind;
  /** How the Linear weights (mat_qkv, proj, fc1, fc2, ada_lin, head) are stored; default float32. */
  readonly linear?: LinearEncoding;
  /** How the embedding tables class_emb and lvl_pos are stored (q8: one scale per row); default float32. */
  readonly embeddings?: TensorEncoding;
  /**
   * float16 (issue 15; needs shader-f16 on WebGPU): the blocks' linears, attention and FFN and the KV cache
   * (the past_key/value inputs and present_key/value outputs) in float16, as torch.autocast(float16) runs the official demo: the
   * residual stream, LayerNorm statistics, F.normalize of q and k, the attention softmax, the AdaLN modulation and
   * the head (so logits_BlV) stay float32. Default float32.
   */
  readonly activations?: ActivationType;
}

/** Graph input/output names, shared by the exporter and the generation loop. */
export const VAR_IO = {
  /** (2B,) int64: class labels of both halves (cond rows, then the null class numClasses for the uncond rows). */
  labels: 'labels_2B',
  /**
   * (B, l, Cvae) float32: word_embed input of this scale (the quantizer's area-downsampled f_hat, fed straight from
   * its output); the graph repeats it for the uncond half (`x.repeat(2, 1, 1)`). Ignored (zeros) at the first scale.
   */
  nextInput: 'next_input_BlCvae',
  /** (1,) int64: index of this scale's first token in the L-token sequence (`begin[si]`). */
  tokenBegin: 'token_begin',
  /** (1,) int64: one past this scale's last token (`begin[si] + pn²`); given rather than computed, so no shape
   * arithmetic runs on the CPU between GPU kernels. */
  tokenEnd: 'token_end',
  /** (1,) bool: true at the first scale, where the tokens are the class (sos) embedding instead of word_embed. */
  isFirst: 'is_first',
  logits: 'logits_BlV',
  pastKey: (i: number) => `past_key_${i}`,
  pastValue: (i: number) => `past_value_${i}`,
  presentKey: (i: number) => `present_key_${i}`,
  presentValue: (i: number) => `present_value_${i}`,
} as const;

const LN_EPS = 1e-6;
/** F.normalize's eps. */
const NORMALIZE_EPS = 1e-12;
/** torch.log(torch.tensor(100.)): the clamp of the attention temperature. */
const LOG_100 = Math.log(100);

/**
 * Adds the VAR transformer to `g` (inputs, lazy weights, nodes, outputs). Weights are read by state-dict name when the
 * model is written (GraphBuilder.toStreamingModel) or materialized; shapes are checked by the provider then.
 * Returns how each weight is stored (tensor name → encoding), for the pack manifest.
 */
export function buildVarTransformer(
  g: GraphBuilder,
  config: VarGraphConfig,
  weights: WeightProvider,
  options: VarTransformerOptions = {},
): Record<string, WeightEncoding> {
  if (config.sharedAdaLN) {
    throw new VarError(
      'E_UNSUPPORTED_ARCHITECTURE',
      'Shared-AdaLN VAR models (VAR-d36-s) are not supported yet: only the 256px models d16, d20, d24 and d30 export.',
    );
  }
  const attention = options.attention ?? 'matmul';
  const C = config.width;
  const H = config.heads;
  const headDim = C / H;
  if (!Number.isInteger(headDim))
    throw new VarError('E_UNSUPPORTED_ARCHITECTURE', `width ${C} is not divisible by ${H} heads`);
  const L = config.patchNums.reduce((s, pn) => s + pn * pn, 0);
  // Every weight is lazy: it is read from the checkpoint only when the model is written, one tensor at a time.
  const enc = new WeightEncoder(g);
  const linearEncoding = options.linear ?? 'float32';
  const act = new Activations(g, options.activations ?? 'float32');
  const w = (name: string, shape: number[]) => enc.tensor(name, shape, () => weights.get(name, shape), 'float32');
  /** x · Wᵀ for the Linear weight `name` of shape (out, in), stored as `encoding`; float32 in and out. */
  const linear = (x: string, name: string, out: number, inFeatures: number, encoding = linearEncoding) =>
    enc.linear(x, name, out, inFeatures, () => weights.get(name, [out, inFeatures]), encoding);
  /** x · Wᵀ + b in the activation type (x already in it): the blocks' linears. Biases are stored float32. */
  const blockLinear = (x: string, name: string, bias: string, out: number, inFeatures: number) =>
    g.op('Add', [
      enc.linear(x, name, out, inFeatures, () => weights.get(name, [out, inFeatures]), linearEncoding, act.type),
      act.from32(w(bias, [out])),
    ]);

  // ---- inputs
  const labels = g.input(VAR_IO.labels, 'int64', ['B2']);
  const nextInput = g.input(VAR_IO.nextInput, 'float32', ['B', 'l', config.cvae]);
  const tokenBegin = g.input(VAR_IO.tokenBegin, 'int64', [1]);
  const tokenEnd = g.input(VAR_IO.tokenEnd, 'int64', [1]);
  const isFirst = g.input(VAR_IO.isFirst, 'bool', [1]);
  const past = Array.from({ length: config.depth }, (_, i) => ({
    key: g.input(VAR_IO.pastKey(i), act.type, ['B2', H, 'past_l', headDim]),
    value: g.input(VAR_IO.pastValue(i), act.type, ['B2', H, 'past_l', headDim]),
  }));

  // ---- embeddings: cond_BD = class_emb(labels); tokens x_BLC = (sos + pos_start | word_embed(next_input)) + lvl_pos
  const embeddings = options.embeddings ?? 'float32';
  const classEmbShape = [config.numClasses + 1, C];
  const classEmb = enc.tensor(
    'class_emb.weight',
    classEmbShape,
    () => weights.get('class_emb.weight', classEmbShape),
    embeddings,
  );
  const cond_BD = g.op('Gather', [classEmb, labels], { axis: 0 });
  // One scale per token row (axis 1 of (1, L, C)) when int8.
  const lvlPos = enc.tensor('lvl_pos', [1, L, C], () => lvlPosTable(weights, config, L, C), embeddings, 1);
  const lvlPos_1lC = g.op('Slice', [lvlPos, tokenBegin, tokenEnd, g.int64s([1])]);
  const posStart = w('pos_start', [1, 1, C]);
  const sos_B1C = g.op('Add', [g.op('Unsqueeze', [cond_BD, g.int64s([1])]), posStart]);
  // word_embed (K = Cvae = 32, 0.01 % of the weights) stays float32 in every encoding.
  const wordEmbed_BlC = g.op('Add', [
    linear(nextInput, 'word_embed.weight', C, config.cvae, 'float32'),
    w('word_embed.bias', [C]),
  ]);
  const wordEmbed = g.op('Concat', [wordEmbed_BlC, wordEmbed_BlC], { axis: 0 }); // same input for both halves
  // At the first scale l = 1 and the caller feeds zeros as next_input; Where picks the sos path exactly.
  const x0 = g.op('Where', [isFirst, sos_B1C, wordEmbed]);
  let x_BLC = g.op('Add', [x0, lvlPos_1lC]);

  // ---- blocks
  const siluCond = silu(g, cond_BD);
  const siluCondAct = act.from32(siluCond);
  const ones = g.constant('float32', [C], new Float32Array(C).fill(1));
  for (let i = 0; i < config.depth; i++) {
    x_BLC = g.scope(`blocks.${i}`, () => {
      const p = `blocks.${i}`;
      // ada_lin = Sequential(SiLU, Linear(C, 6C)); chunks gamma1, gamma2, scale1, scale2, shift1, shift2.
      const ada = act.to32(blockLinear(siluCondAct, `${p}.ada_lin.1.weight`, `${p}.ada_lin.1.bias`, 6 * C, C));
      const ada_B16C = g.op('Reshape', [ada, g.int64s([-1, 1, 6, C])]);
      const [gamma1, gamma2, scale1, scale2, shift1, shift2] = g
        .node('Split', [ada_B16C, g.int64s([1, 1, 1, 1, 1, 1])], 6, { axis: 2 })
        .map((chunk) => g.op('Squeeze', [chunk, g.int64s([2])])) as [string, string, string, string, string, string];

      const attnIn = act.from32(adaLN(g, x_BLC, ones, scale1, shift1));
      const { out, presentKey, presentValue } = selfAttention(g, attnIn, past[i] as { key: string; value: string }, {
        prefix: `${p}.attn`,
        C,
        H,
        headDim,
        layer: i,
        attention,
        linearEncoding,
        act,
        blockLinear,
        weights,
        enc,
      });
      g.output(presentKey, act.type, ['B2', H, 'total_l', headDim]);
      g.output(presentValue, act.type, ['B2', H, 'total_l', headDim]);
      const x1 = g.op('Add', [x_BLC, g.op('Mul', [act.to32(out), gamma1])]);

      const ffnIn = act.from32(adaLN(g, x1, ones, scale2, shift2));
      const hidden = config.mlpHidden ?? 4 * C;
      const fc1 = blockLinear(ffnIn, `${p}.ffn.fc1.weight`, `${p}.ffn.fc1.bias`, hidden, C);
      const fc2 = blockLinear(geluTanh(g, fc1, act), `${p}.ffn.fc2.weight`, `${p}.ffn.fc2.bias`, C, hidden);
      return g.op('Add', [x1, g.op('Mul', [act.to32(fc2), gamma2])]);
    });
  }

  // ---- head: AdaLNBeforeHead (scale, shift from SiLU(cond)), then Linear(C, V)
  g.scope('head', () => {
    const ada = g.op('Add', [
      linear(siluCond, 'head_nm.ada_lin.1.weight', 2 * C, C),
      w('head_nm.ada_lin.1.bias', [2 * C]),
    ]);
    const [scale, shift] = g
      .node('Split', [g.op('Reshape', [ada, g.int64s([-1, 1, 2, C])]), g.int64s([1, 1])], 2, { axis: 2 })
      .map((chunk) => g.op('Squeeze', [chunk, g.int64s([2])])) as [string, string];
    const h = adaLN(g, x_BLC, ones, scale, shift);
    g.op(
      'Add',
      [linear(h, 'head.weight', config.vocabSize, C), w('head.bias', [config.vocabSize])],
      {},
      { out: VAR_IO.logits },
    );
  });
  g.output(VAR_IO.logits, 'float32', ['B2', 'l', config.vocabSize]);
  return enc.encodings;
}

/** lvl_pos = lvl_embed(lvl_1L) + pos_1LC, precomputed at export (1, L, C); lvl_1L is the scale id of each token. */
async function lvlPosTable(
  weights: WeightProvider,
  config: VarGraphConfig,
  L: number,
  C: number,
): Promise<Float32Array> {
  const lvlEmbed = await weights.get('lvl_embed.weight', [config.patchNums.length, C]);
  const pos = await weights.get('pos_1LC', [1, L, C]);
  const table = new Float32Array(L * C);
  let token = 0;
  config.patchNums.forEach((pn, si) => {
    for (let t = 0; t < pn * pn; t++, token++) {
      for (let c = 0; c < C; c++) {
        // float32 add, as torch does (fround of the exact sum of two float32 values = IEEE float32 addition).
        table[token * C + c] = Math.fround((lvlEmbed[si * C + c] as number) + (pos[token * C + c] as number));
      }
    }
  });
  return table;
}

/** LayerNorm without affine (eps 1e-6), then `ln(x)·(1 + scale) + shift` with per-row (2B, 1, C) modulation. */
function adaLN(g: GraphBuilder, x_BLC: string, ones: string, scale_B1C: string, shift_B1C: string): string {
  const ln = g.op('LayerNormalization', [x_BLC, ones], { axis: -1, epsilon: { float: LN_EPS } });
  return g.op('Add', [g.op('Mul', [ln, g.op('Add', [scale_B1C, g.scalar(1)])]), shift_B1C]);
}

function silu(g: GraphBuilder, x: string): string {
  return g.op('Mul', [x, g.op('Sigmoid', [x])]);
}

/**
 * GELU, tanh approximation, as torch's `F.gelu(approximate='tanh')`: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
 * In float16, x³ overflows to ±Inf for |x| > 40; tanh(±Inf) = ±1 then gives x or 0, GELU's own limits.
 */
function geluTanh(g: GraphBuilder, x: string, act: Activations): string {
  const x3 = g.op('Mul', [g.op('Mul', [x, x]), x]);
  const inner = g.op('Mul', [
    g.op('Add', [x, g.op('Mul', [x3, act.scalar(0.044715)])]),
    act.scalar(Math.sqrt(2 / Math.PI)),
  ]);
  return g.op('Mul', [g.op('Mul', [x, act.scalar(0.5)]), g.op('Add', [g.op('Tanh', [inner]), act.scalar(1)])]);
}

/** The blocks' activation type and the Casts at its boundary with the float32 parts (no-ops for float32). */
class Activations {
  constructor(
    private readonly g: GraphBuilder,
    readonly type: ActivationType,
  ) {}

  /** A float32 value in the activation type. */
  from32(x: string): string {
    return this.type === 'float16' ? this.g.op('Cast', [x], { to: 10 }) : x; // 10 = FLOAT16
  }

  /** A value of the activation type in float32. */
  to32(x: string): string {
    return this.type === 'float16' ? this.g.op('Cast', [x], { to: 1 }) : x; // 1 = FLOAT
  }

  /** A 0-d constant of the activation type. */
  scalar(value: number): string {
    return this.type === 'float16'
      ? this.g.constant('float16', [], float32ToFloat16(Float32Array.of(value)))
      : this.g.scalar(value);
  }
}

interface AttentionContext {
  readonly prefix: string;
  readonly C: number;
  readonly H: number;
  readonly headDim: number;
  readonly layer: number;
  readonly attention: AttentionKind;
  readonly linearEncoding: LinearEncoding;
  readonly act: Activations;
  /** x · Wᵀ + b in the activation type. */
  readonly blockLinear: (x: string, name: string, bias: string, out: number, inFeatures: number) => string;
  readonly weights: WeightProvider;
  readonly enc: WeightEncoder;
}

/**
 * Cosine self-attention with KV cache (basic_var.py SelfAttention, attn_l2_norm=True): qkv = x·Wᵀ + (q_bias, 0,
 * v_bias); q = normalize(q)·exp(min(scale_mul, ln 100)); k = normalize(k); softmax scale 1; no mask.
 */
function selfAttention(
  g: GraphBuilder,
  x_BLC: string,
  past: { key: string; value: string },
  ctx: AttentionContext,
): { out: string; presentKey: string; presentValue: string } {
  const { C, H, headDim, prefix, act } = ctx;
  // The weight, then the bias: initializer order fixes the external data layout (the same bytes as before).
  const qkvProduct = ctx.enc.linear(
    x_BLC,
    `${prefix}.mat_qkv.weight`,
    3 * C,
    C,
    () => ctx.weights.get(`${prefix}.mat_qkv.weight`, [3 * C, C]),
    ctx.linearEncoding,
    act.type,
  );
  const qkvBias = ctx.enc.tensor(
    `${prefix}.qkv_bias`,
    [3 * C],
    async () => {
      // cat(q_bias, zero_k_bias, v_bias): the k bias is a zero buffer, so exactly 0.
      const bias = new Float32Array(3 * C);
      bias.set(await ctx.weights.get(`${prefix}.q_bias`, [C]), 0);
      bias.set(await ctx.weights.get(`${prefix}.v_bias`, [C]), 2 * C);
      return bias;
    },
    'float32',
  );
  const qkv = g.op('Add', [qkvProduct, act.from32(qkvBias)]);
  const [q, k, v] = g.node('Split', [qkv, g.int64s([C, C, C])], 3, { axis: -1 }) as [string, string, string];
  const toHeads = (t: string) =>
    g.op('Transpose', [g.op('Reshape', [t, g.int64s([0, 0, H, headDim])])], { perm: [0, 2, 1, 3] }); // (2B,H,l,hd)

  // F.normalize runs in float32 (autocast's list; a float16 sum of 64 squares can overflow), q and k then go back.
  const qScaled32 = g.op('Mul', [
    l2Normalize(g, act.to32(toHeads(q))),
    ctx.enc.tensor(
      `${prefix}.scale_mul_exp`,
      [1, H, 1, 1],
      async () => {
        // exp(clamp_max(scale_mul, ln 100)) in float32, once at export (a parameter, not an activation).
        const scaleMul = await ctx.weights.get(`${prefix}.scale_mul_1H11`, [1, H, 1, 1]);
        return Float32Array.from(scaleMul, (s) => Math.exp(Math.min(s, Math.fround(LOG_100))));
      },
      'float32',
    ),
  ]);
  const qScaled = act.from32(qScaled32);
  const kNorm = act.from32(l2Normalize(g, act.to32(toHeads(k))));
  const vHeads = toHeads(v);

  const presentKey = VAR_IO.presentKey(ctx.layer);
  const presentValue = VAR_IO.presentValue(ctx.layer);
  let oHeads: string;
  if (ctx.attention === 'matmul') {
    const kAll = g.op('Concat', [past.key, kNorm], { axis: 2 }, { out: presentKey });
    const vAll = g.op('Concat', [past.value, vHeads], { axis: 2 }, { out: presentValue });
    const scores = g.op('MatMul', [qScaled, g.op('Transpose', [kAll], { perm: [0, 1, 3, 2] })]);
    // Softmax in float32 (autocast's list); the scores are bounded by exp(scale_mul) ≤ 100, so float16 holds them.
    const weights = act.from32(g.op('Softmax', [act.to32(scores)], { axis: -1 }));
    oHeads = g.op('MatMul', [weights, vAll]); // (2B,H,l,hd)
  } else {
    // MHA takes (B, S, N·H) query/key/value, past/present in BNSH; scale 1 because q is already scaled.
    const flat = (t: string) => g.op('Reshape', [g.op('Transpose', [t], { perm: [0, 2, 1, 3] }), g.int64s([0, 0, C])]);
    const [o] = g.node(
      'MultiHeadAttention',
      [flat(qScaled), flat(kNorm), flat(vHeads), '', '', '', past.key, past.value],
      [`${prefix}.mha_out`, presentKey, presentValue],
      { num_heads: H, scale: { float: 1 } },
      'com.microsoft',
    ) as [string];
    oHeads = g.op('Transpose', [g.op('Reshape', [o, g.int64s([0, 0, H, headDim])])], { perm: [0, 2, 1, 3] });
  }
  const o_BLC = g.op('Reshape', [g.op('Transpose', [oHeads], { perm: [0, 2, 1, 3] }), g.int64s([0, 0, C])]);
  const out = ctx.blockLinear(o_BLC, `${prefix}.proj.weight`, `${prefix}.proj.bias`, C, C);
  return { out, presentKey, presentValue };
}

/** F.normalize(x, dim=-1): x / max(‖x‖₂, 1e-12). */
function l2Normalize(g: GraphBuilder, x: string): string {
  const norm = g.op('Sqrt', [g.op('ReduceSumSquare', [x], { axes: [-1], keepdims: 1 })]);
  return g.op('Div', [x, g.op('Clip', [norm, g.scalar(NORMALIZE_EPS)])]);
}
