// The model pack: what `convert` writes and what every engine (Node CLI, browser worker) loads. Its manifest.json.

import type { VarConfig } from '../model/var-config';
import type { VqvaeConfig } from '../model/vqvae-config';
import type { PackRequirement, QuantVariant, WeightEncoding } from '../weight-quant/encodings';

export type { PackRequirement, QuantVariant, WeightEncoding };

/** Bump when a reader of the previous version would misread a new pack. Readers refuse other versions. */
export const PACK_FORMAT_VERSION = 1;
export const PACK_FORMAT = 'var-web-pack';
export const MANIFEST_FILE = 'manifest.json';

export type SyntheticArchitecture = 'd16' | 'd20' | 'd24' | 'd30' | 'micro';

/** One file of the pack, verified by size and sha256 before it is trusted. */
export interface PackFile {
  /** Path relative to the pack folder (no `..`, forward slashes). */
  readonly path: string;
  readonly bytes: number;
  /** Lower-case hex sha256 of the file's bytes. */
  readonly sha256: string;
}

/** One ONNX graph: the .onnx file and its external weight files (ORT-web `externalData[].path` = these names). */
export interface PackGraph {
  readonly model: string;
  readonly externalData: readonly string[];
  /** How weights are stored in this graph (per-tensor detail in `tensors` when quantized). */
  readonly weights: WeightEncoding;
  /** Weight name → encoding, for graphs that mix encodings (issue 6); absent when all are `weights`. */
  readonly tensors?: Readonly<Record<string, WeightEncoding>>;
}

export interface PackManifest {
  readonly format: typeof PACK_FORMAT;
  readonly formatVersion: number;
  /** Short id, e.g. "var_d16", "tiny", "synthetic-d16". */
  readonly name: string;
  /** What a person sees in the model picker, e.g. "VAR-d16 (310M)". */
  readonly label: string;
  /** False for packs converted from real checkpoints; the architecture name for random-weight packs. */
  readonly synthetic: false | SyntheticArchitecture;
  /** True for packs whose weights are random (synthetic or test fixtures): images are noise, numbers are real. */
  readonly randomWeights: boolean;
  /** Seed of the random weights of a synthetic pack (same seed, same bytes); absent otherwise. */
  readonly seed?: number;
  readonly createdBy: string;
  /** The checkpoints it was converted from (file name, size, sha256); null for synthetic packs. */
  readonly source: { readonly var: PackFile; readonly vae: PackFile } | null;
  readonly var: VarConfig;
  readonly vqvae: VqvaeConfig;
  /** Token-map side per scale; the loop and the quantizer take it from here, never from a constant. */
  readonly patchNums: readonly number[];
  /** Index into class names; numClasses is the null class used for CFG. */
  readonly numClasses: number;
  /** Image side in pixels (last patch num × 2^(levels−1)). */
  readonly imageSize: number;
  /**
   * The VQ-VAE codebook `quantize.embedding.weight` as raw little-endian float32 (vocabSize × zChannels), e.g.
   * "codebook.f32". Sampling runs on the CPU, so the loop looks token vectors up there (and mixes them for
   * more_smooth) and feeds the quantizer graph the vectors, not the ids.
   */
  readonly codebook: { readonly path: string; readonly dims: readonly [number, number] };
  /** The quantization variant; absent in packs written before issue 6, which are all float32 ('none'). */
  readonly quant?: QuantVariant;
  /**
   * What the WebGPU adapter must support to run this pack (absent or empty: nothing beyond WebGPU). Readers must
   * refuse a pack on WebGPU when a requirement is not met or not known to them (packRequirementsMet).
   */
  readonly requires?: readonly string[];
  readonly graphs: {
    readonly transformer: PackGraph & {
      readonly attention: 'matmul' | 'mha';
      /**
       * float16: the blocks and the KV cache run in float16 (past/present inputs and outputs are float16; the loop
       * feeds its empty first past as such). Absent: float32 (every pack before issue 15).
       */
      readonly activations?: 'float32' | 'float16';
    };
    readonly quantizer: PackGraph;
    readonly decoder: PackGraph;
    /**
     * `quant_conv(encoder(image·2 − 1))` (issue 16: editing). Optional: packs written before it, or from a VQ-VAE
     * without encoder weights, load and generate but cannot edit (E_PACK_NO_ENCODER). Weights as the decoder's.
     */
    readonly encoder?: PackGraph;
    /** The multi-scale tokenizer step (f_to_idxBl_or_fhat), float32; present exactly when `encoder` is. */
    readonly tokenizer?: PackGraph;
  };
  readonly files: readonly PackFile[];
}
