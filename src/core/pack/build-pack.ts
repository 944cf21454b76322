// Plans a model pack from two checkpoints or a synthetic architecture: validated configs, manifest draft, file streams.
//
// Everything that can be wrong with the input (wrong file kinds, keys, shapes, a VAR and a VQ-VAE that do not fit
// together) is found here, before the caller writes a byte. The plan's files are streams produced one tensor at a
// time, so writing a multi-GB pack holds about one tensor in memory.

import { VarError } from '../../shared/errors';
import { type AttentionKind, buildVarTransformer } from '../graphs/var-transformer';
import { buildQuantizerGraph } from '../graphs/vq-quantizer';
import { buildTokenizerGraph } from '../graphs/vq-tokenizer';
import { vqvaeDecoderGraph } from '../graphs/vqvae-decoder';
import { vqvaeEncoderGraph } from '../graphs/vqvae-encoder';
import { checkpointWeights, type WeightProvider } from '../graphs/weight-provider';
import { expectKind } from '../model/checkpoint-kind';
import { expectedVarKeys, readVarConfig, type VarConfig } from '../model/var-config';
import { readVqvaeConfig, type VqvaeConfig } from '../model/vqvae-config';
import { type ExternalDataOptions, GraphBuilder, type StreamingModel } from '../onnx/graph-builder';
import { assertWebGpuOps } from '../onnx/webgpu-ops';
import type { Checkpoint } from '../pth/types';
import { type QuantOptions, type QuantPlan, quantPlan } from '../weight-quant/quant-variants';
import {
  PACK_FORMAT,
  PACK_FORMAT_VERSION,
  type PackFile,
  type PackGraph,
  type PackManifest,
  type QuantVariant,
  type SyntheticArchitecture,
  type WeightEncoding,
} from './manifest';
import { isPackName, parsePackManifest } from './pack-manifest-check';
import { syntheticModel, syntheticWeights } from './synthetic';

/** File names inside a pack. External data past 1 GiB continues in `<name>.1`, `<name>.2`, … (graph-builder). */
export const PACK_PATHS = {
  transformer: 'transformer.onnx',
  transformerData: 'transformer.data',
  quantizer: 'quantizer.onnx',
  decoder: 'decoder.onnx',
  decoderData: 'decoder.data',
  codebook: 'codebook.f32',
  encoder: 'encoder.onnx',
  encoderData: 'encoder.data',
  tokenizer: 'tokenizer.onnx',
} as const;

/** ONNX graph names (`graph.name`) of the pack's graphs. */
export const PACK_GRAPH_NAMES = { transformer: 'var_transformer', decoder: 'vqvae_decoder' } as const;

export const TRANSFORMER_EXTERNAL_DATA: ExternalDataOptions = { location: PACK_PATHS.transformerData };
export const DECODER_EXTERNAL_DATA: ExternalDataOptions = { location: PACK_PATHS.decoderData };
export const ENCODER_EXTERNAL_DATA: ExternalDataOptions = { location: PACK_PATHS.encoderData };

/** One file the writer must produce: its size is known before its bytes are. */
export interface PackOutputFile {
  readonly path: string;
  readonly byteLength: number;
  /**
   * The file's bytes in order; may read checkpoint tensors (or draw random ones) as it goes. From byte `start` on
   * when given (a resumed write): what lies wholly before it is not produced, so its tensors are not read.
   */
  chunks(start?: number): AsyncGenerator<Uint8Array>;
}

/** The manifest without `files` (sizes and sha256 are known only once the files are written). */
export type PackManifestDraft = Omit<PackManifest, 'files'>;

export interface PackPlan {
  readonly manifest: PackManifestDraft;
  /** In the order they should be written; manifest.json is not among them (the writer adds it last). */
  readonly files: readonly PackOutputFile[];
  readonly totalBytes: number;
}

export interface PackOptions extends QuantOptions {
  readonly attention?: AttentionKind;
  /** How weights are stored (quant-variants.ts); default 'none' (float32). The browser ships 'q4'. */
  readonly quant?: QuantVariant;
  /** Default: "var_d<depth>" for checkpoints, "synthetic-<arch>" for synthetic packs, plus "-q4"/"-q8"/"-fp16". */
  readonly name?: string;
  /** Default: "VAR-d16 (310M)" from the depth and parameter count, "Synthetic d16 (random weights)", plus " · 4-bit"… */
  readonly label?: string;
  /** Mark a checkpoint pack as random weights (the tiny test fixtures); synthetic packs always are. */
  readonly randomWeights?: boolean;
  /** Who wrote it, e.g. "var-web 0.1.0". */
  readonly createdBy?: string;
  /**
   * Include the VQ-VAE encoder and the tokenizer (image editing, issue 16); default true. Their weights are stored
   * as the decoder's (q8 in q4/q8 packs).
   */
  readonly encoder?: boolean;
}

export type PackInput =
  | {
      readonly kind: 'checkpoints';
      readonly var: Checkpoint;
      readonly vae: Checkpoint;
      /** The checkpoint files' names, sizes and sha256 (the caller can hash files; core cannot). */
      readonly source: { readonly var: PackFile; readonly vae: PackFile };
    }
  | { readonly kind: 'synthetic'; readonly architecture: SyntheticArchitecture; readonly seed?: number };

/** The seed of synthetic packs when none is given. */
export const DEFAULT_SYNTHETIC_SEED = 1;

/**
 * Checks that each checkpoint is the kind it was given as (a swapped pair gets E_WRONG_CHECKPOINT_KIND), validates
 * every key and shape of both, and checks that they fit together (E_PACK_MISMATCH). Reads only `lvl_1L`.
 */
export async function readCheckpointPair(
  varCkpt: Checkpoint,
  vaeCkpt: Checkpoint,
): Promise<{ var: VarConfig; vqvae: VqvaeConfig }> {
  expectKind(varCkpt, 'var');
  expectKind(vaeCkpt, 'vqvae');
  const var_ = await readVarConfig(varCkpt);
  const vqvae = await readVqvaeConfig(vaeCkpt);
  checkPackPair(var_, vqvae, { var: varCkpt.name, vae: vaeCkpt.name });
  return { var: var_, vqvae };
}

/**
 * A VAR transformer predicts tokens of one VQ-VAE: its word_embed reads that VQ-VAE's latents (Cvae = z_channels),
 * its head scores that codebook (same vocabulary), and its scales are the quantizer's (the VQ-VAE's Phi schedule and
 * ema_vocab_hit_SV rows are per scale). Throws E_PACK_MISMATCH naming both files and every value that differs.
 */
export function checkPackPair(
  varConfig: VarConfig,
  vqvae: VqvaeConfig,
  files: { readonly var: string; readonly vae: string },
): void {
  const problems: { what: string; var: number; vae: number }[] = [];
  if (varConfig.cvae !== vqvae.zChannels) {
    problems.push({
      what: 'latent channels (VAR Cvae vs VQ-VAE z_channels)',
      var: varConfig.cvae,
      vae: vqvae.zChannels,
    });
  }
  if (varConfig.vocabSize !== vqvae.vocabSize) {
    problems.push({
      what: 'vocabulary (VAR head rows vs VQ-VAE codebook size)',
      var: varConfig.vocabSize,
      vae: vqvae.vocabSize,
    });
  }
  if (varConfig.patchNums.length !== vqvae.numScales) {
    problems.push({
      what: 'number of scales (VAR patch_nums vs VQ-VAE quantizer scales)',
      var: varConfig.patchNums.length,
      vae: vqvae.numScales,
    });
  }
  if (problems.length > 0) {
    const list = problems.map((p) => `${p.what}: ${p.var} in ${files.var}, ${p.vae} in ${files.vae}`).join('; ');
    throw new VarError('E_PACK_MISMATCH', `${files.var} and ${files.vae} do not belong together: ${list}`, {
      var: files.var,
      vae: files.vae,
      mismatches: problems,
    });
  }
  if (vqvae.phiCount < 1) {
    throw new VarError(
      'E_UNSUPPORTED_ARCHITECTURE',
      `${files.vae} has no quant_resi (Phi) convs; VAR needs at least one`,
    );
  }
  const pns = varConfig.patchNums;
  if (!pns.every((pn, i) => i === 0 || pn > (pns[i - 1] as number))) {
    throw new VarError(
      'E_UNSUPPORTED_ARCHITECTURE',
      `${files.var}: patch_nums (${pns.join(', ')}) must grow from scale to scale, the last one being the latent side`,
    );
  }
}

/** Image side in pixels: the last scale's token map side times the decoder's upsampling, 2^(levels−1). */
export function packImageSize(patchNums: readonly number[], vqvae: VqvaeConfig): number {
  return (patchNums[patchNums.length - 1] as number) * 2 ** (vqvae.chMult.length - 1);
}

/** Trainable parameters of a VAR transformer (state dict minus the lvl_1L / mask / zero_k_bias buffers). */
export function varParameterCount(config: VarConfig): number {
  let n = 0;
  for (const [name, t] of expectedVarKeys(config)) {
    if (name === 'lvl_1L' || name === 'attn_bias_for_masking' || name.endsWith('.zero_k_bias')) continue;
    n += t.shape.reduce((a, b) => a * b, 1);
  }
  return n;
}

/** "VAR-d16 (310M)", "VAR-d24 (1.0B)": the released models' names (sizes truncated, as the paper rounds them). */
export function varLabel(config: VarConfig): string {
  const params = varParameterCount(config);
  const size =
    params >= 1e9 ? `${(Math.floor(params / 1e8) / 10).toFixed(1)}B` : `${Math.max(1, Math.floor(params / 1e6))}M`;
  return `VAR-d${config.depth} (${size})`;
}

/** Validates the input, then plans every file of the pack. Nothing is read beyond configs and small tensors. */
export async function planPack(input: PackInput, options: PackOptions = {}): Promise<PackPlan> {
  const quant = quantPlan(options.quant ?? 'none', options);
  if (input.kind === 'checkpoints') {
    const configs = await readCheckpointPair(input.var, input.vae);
    return planPackFromWeights(
      configs,
      { var: checkpointWeights(input.var), vae: checkpointWeights(input.vae) },
      {
        name: options.name ?? `var_d${configs.var.depth}${quant.nameSuffix}`,
        label: options.label ?? `${varLabel(configs.var)}${quant.labelSuffix}`,
        synthetic: false,
        randomWeights: options.randomWeights ?? false,
        source: input.source,
      },
      options,
    );
  }
  const model = syntheticModel(input.architecture);
  const seed = input.seed ?? DEFAULT_SYNTHETIC_SEED;
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new VarError('E_INTERNAL', `seed must be an integer in [0, 2^32), got ${seed}`);
  }
  const weights = syntheticWeights(seed, model.var.width);
  return planPackFromWeights(
    model,
    { var: weights, vae: weights },
    {
      name: options.name ?? `synthetic-${input.architecture}${quant.nameSuffix}`,
      label: options.label ?? `Synthetic ${input.architecture} (random weights)${quant.labelSuffix}`,
      synthetic: input.architecture,
      randomWeights: true,
      seed,
      source: null,
    },
    options,
  );
}

/** Identity fields of the manifest that depend on where the weights came from. */
export interface PackIdentity {
  readonly name: string;
  readonly label: string;
  readonly synthetic: false | SyntheticArchitecture;
  readonly randomWeights: boolean;
  readonly seed?: number;
  readonly source: PackManifest['source'];
}

/**
 * Plans a pack from configs and weight providers (planPack's common path; tests inject providers). The pair is
 * checked again here, so no caller can plan an inconsistent pack.
 */
export async function planPackFromWeights(
  model: { readonly var: VarConfig; readonly vqvae: VqvaeConfig },
  weights: { readonly var: WeightProvider; readonly vae: WeightProvider },
  identity: PackIdentity,
  options: PackOptions = {},
): Promise<PackPlan> {
  const varConfig = model.var;
  const vqvae = model.vqvae;
  const files = identity.source
    ? { var: identity.source.var.path, vae: identity.source.vae.path }
    : { var: `${identity.name} (VAR)`, vae: `${identity.name} (VQ-VAE)` };
  checkPackPair(varConfig, vqvae, files);
  if (!isPackName(identity.name)) {
    throw new VarError(
      'E_PACK_FORMAT',
      `pack name ${JSON.stringify(identity.name)} must be letters, digits, ".", "_" or "-" (it becomes part of cache keys)`,
    );
  }
  const attention = options.attention ?? 'matmul';
  const quant = quantPlan(options.quant ?? 'none', options);

  const transformerGraph = transformerBuilderWithEncodings(varConfig, weights.var, attention, quant);
  const transformer = await transformerGraph.builder.toStreamingModel({ externalData: TRANSFORMER_EXTERNAL_DATA });
  assertWebGpuOps(transformer.model);

  const quantizer = await buildQuantizerGraph(weights.vae, {
    patchNums: varConfig.patchNums,
    zChannels: vqvae.zChannels,
    phiCount: vqvae.phiCount,
  });
  assertWebGpuOps(quantizer.model);

  const decoderGraph = vqvaeDecoderGraph(weights.vae, vqvae, { conv: quant.decoder.conv });
  const decoder = await decoderGraph.builder.toStreamingModel({ externalData: DECODER_EXTERNAL_DATA });
  assertWebGpuOps(decoder.model);

  const withEncoder = options.encoder ?? true;
  const encoderGraph = withEncoder ? vqvaeEncoderGraph(weights.vae, vqvae, { conv: quant.decoder.conv }) : undefined;
  const encoder = await encoderGraph?.builder.toStreamingModel({ externalData: ENCODER_EXTERNAL_DATA });
  if (encoder) assertWebGpuOps(encoder.model);
  const tokenizer = withEncoder
    ? await buildTokenizerGraph(weights.vae, { ...vqvae, patchNums: varConfig.patchNums })
    : undefined;
  if (tokenizer) assertWebGpuOps(tokenizer.model);

  const codebookDims: [number, number] = [vqvae.vocabSize, vqvae.zChannels];
  const out: PackOutputFile[] = [
    ...streamingFiles(PACK_PATHS.transformer, transformer),
    bytesFile(PACK_PATHS.quantizer, quantizer.model),
    ...[...quantizer.externalData].map(([path, data]) => bytesFile(path, data)),
    ...streamingFiles(PACK_PATHS.decoder, decoder),
    {
      path: PACK_PATHS.codebook,
      byteLength: 4 * codebookDims[0] * codebookDims[1],
      async *chunks(start = 0) {
        const values = await weights.vae.get('quantize.embedding.weight', codebookDims);
        yield new Uint8Array(values.buffer, values.byteOffset, values.byteLength).subarray(start);
      },
    },
    ...(encoder ? streamingFiles(PACK_PATHS.encoder, encoder) : []),
    ...(tokenizer ? [bytesFile(PACK_PATHS.tokenizer, tokenizer.model)] : []),
  ];
  // Per-tensor encodings only where a graph mixes them (every quantized variant keeps biases float32).
  const graph = (
    modelPath: string,
    externalData: readonly string[],
    weights: WeightEncoding = 'float32',
    tensors?: Record<string, WeightEncoding>,
  ): PackGraph => ({
    model: modelPath,
    externalData,
    weights,
    ...(tensors && Object.values(tensors).some((e) => e !== weights) ? { tensors } : {}),
  });

  const manifest: PackManifestDraft = {
    format: PACK_FORMAT,
    formatVersion: PACK_FORMAT_VERSION,
    name: identity.name,
    label: identity.label,
    synthetic: identity.synthetic,
    randomWeights: identity.randomWeights,
    ...(identity.seed === undefined ? {} : { seed: identity.seed }),
    createdBy: options.createdBy ?? 'var-web',
    source: identity.source,
    var: varConfig,
    vqvae,
    patchNums: [...varConfig.patchNums],
    numClasses: varConfig.numClasses,
    imageSize: packImageSize(varConfig.patchNums, vqvae),
    codebook: { path: PACK_PATHS.codebook, dims: codebookDims },
    quant: quant.variant,
    ...(quant.requires.length > 0 ? { requires: [...quant.requires] } : {}),
    graphs: {
      transformer: {
        ...graph(
          PACK_PATHS.transformer,
          transformer.files.map((f) => f.location),
          quant.transformer.weights,
          transformerGraph.tensors,
        ),
        attention,
        // Recorded only when not float32, so float32 packs keep the manifest they always had.
        ...(quant.transformer.activations === 'float16' ? { activations: 'float16' as const } : {}),
      },
      quantizer: graph(PACK_PATHS.quantizer, [...quantizer.externalData.keys()]),
      decoder: graph(
        PACK_PATHS.decoder,
        decoder.files.map((f) => f.location),
        quant.decoder.weights,
        decoderGraph.tensors,
      ),
      ...(encoder && encoderGraph && tokenizer
        ? {
            encoder: graph(
              PACK_PATHS.encoder,
              encoder.files.map((f) => f.location),
              quant.decoder.weights,
              encoderGraph.tensors,
            ),
            tokenizer: graph(PACK_PATHS.tokenizer, [...tokenizer.externalData.keys()]),
          }
        : {}),
    },
  };
  // The whole manifest is checked now, with placeholder hashes, so that a bad name or label fails before a GB is
  // written rather than when the manifest is (writePack checks it again with the real hashes).
  const placeholder = out.map((f) => ({ path: f.path, bytes: f.byteLength, sha256: '0'.repeat(64) }));
  parsePackManifest({ ...manifest, files: placeholder }, `manifest of ${identity.name}`);
  return { manifest, files: out, totalBytes: out.reduce((n, f) => n + f.byteLength, 0) };
}

/** The pack's transformer graph with lazy weights (stream it with toStreamingModel, or materialize it in tests). */
export function transformerBuilder(
  config: VarConfig,
  weights: WeightProvider,
  attention: AttentionKind,
  quant: QuantPlan = quantPlan('none'),
): GraphBuilder {
  return transformerBuilderWithEncodings(config, weights, attention, quant).builder;
}

function transformerBuilderWithEncodings(
  config: VarConfig,
  weights: WeightProvider,
  attention: AttentionKind,
  quant: QuantPlan,
): { builder: GraphBuilder; tensors: Record<string, WeightEncoding> } {
  const weightsNote =
    (quant.variant === 'none' ? '' : `, ${quant.variant} weights`) +
    (quant.transformer.activations === 'float16' ? ', float16 activations' : '');
  const g = new GraphBuilder(
    PACK_GRAPH_NAMES.transformer,
    `VAR transformer, one scale per run (${attention} attention${weightsNote})`,
  );
  const tensors = buildVarTransformer(g, config, weights, {
    attention,
    linear: quant.transformer.linear,
    embeddings: quant.transformer.embeddings,
    activations: quant.transformer.activations,
  });
  return { builder: g, tensors };
}

/** The .onnx file and its external data files (each file's tensors are loaded only as its stream reaches them). */
function streamingFiles(modelPath: string, model: StreamingModel): PackOutputFile[] {
  return [
    bytesFile(modelPath, model.model),
    ...model.files.map((f) => ({ path: f.location, byteLength: f.byteLength, chunks: (start = 0) => f.chunks(start) })),
  ];
}

function bytesFile(path: string, bytes: Uint8Array): PackOutputFile {
  return {
    path,
    byteLength: bytes.byteLength,
    async *chunks(start = 0) {
      yield bytes.subarray(start);
    },
  };
}
