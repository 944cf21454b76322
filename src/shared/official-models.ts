// The released VAR models (FoundationVision/VAR, 256 px), converted in the page from their public checkpoints: one
// table for the model picker and the "Add a model" form.

import type { QuantVariant } from '../core/weight-quant/encodings';

const HUB = 'https://huggingface.co/FoundationVision/var/resolve/main';

/** The VQ-VAE every released 256-px VAR shares: fetched (and its pack files stored) once for all depths. */
export const OFFICIAL_VAE = {
  url: `${HUB}/vae_ch160v4096z32.pth`,
  /** For display before a download starts (the server's Content-Length is what counts then). */
  bytes: 436.0e6,
} as const;

export interface OfficialModel {
  /** "VAR-d16". */
  readonly name: string;
  readonly depth: 16 | 20 | 24 | 30;
  /** Paper FID on ImageNet 256 (VAR paper, table 1). */
  readonly fid: number;
  /** Parameters as the paper gives them. */
  readonly params: string;
  readonly checkpointUrl: string;
  /** Checkpoint size for display (4 bytes × every state-dict entry; the Hub lists 1.2 / 2.4 / 4.1 / 8.0 GB). */
  readonly checkpointBytes: number;
  /**
   * Pack size per `--quant` (all files, from our converter: `npm run convert -- --synthetic d24 --quant q4`, same
   * shapes as the real checkpoints, so the same sizes), with the VQ-VAE encoder and tokenizer for editing (+45.1 MB
   * in q4: without them d16 232.5, d20 387.6, d24 618.3, d30 1138.6 MB). Only the variants measured are listed.
   */
  readonly packBytes: Readonly<Partial<Record<QuantVariant, number>>>;
  /**
   * GPU memory a 4-bit pack needs, estimated (not measured: no GPU here): its weights, the KV cache of a batch of
   * 2 (CFG) over 680 tokens, and ~250 MB of decoder and attention activations at 256 px.
   */
  readonly gpuBytes: number;
  /** Needs more GPU memory than integrated GPUs and most phones have. */
  readonly largeGpu: boolean;
}

/** KV cache of one image with CFG: 2 (k, v) × depth × 680 tokens × width (64·depth) × 4 bytes × batch 2. */
const kvBytes = (depth: number) => 2 * depth * 680 * 64 * depth * 4 * 2;
const ACTIVATIONS = 250e6;

function model(
  depth: OfficialModel['depth'],
  fid: number,
  params: string,
  checkpointBytes: number,
  packBytes: OfficialModel['packBytes'],
): OfficialModel {
  const gpuBytes = (packBytes.q4 ?? 0) + kvBytes(depth) + ACTIVATIONS;
  return {
    name: `VAR-d${depth}`,
    depth,
    fid,
    params,
    checkpointUrl: `${HUB}/var_d${depth}.pth`,
    checkpointBytes,
    packBytes,
    gpuBytes,
    largeGpu: depth >= 24,
  };
}

export const OFFICIAL_MODELS: readonly OfficialModel[] = [
  model(16, 3.55, '310M', 1243.1e6, { q4: 277.6e6 }),
  model(20, 2.95, '600M', 2405.6e6, { q4: 432.7e6 }),
  model(24, 2.33, '1.0B', 4135.6e6, { q4: 663.3e6 }),
  model(30, 1.97, '2.0B', 8042.2e6, { q4: 1183.7e6 }),
];

/** The pack name the converter gives a model (`var_d16-q4`; `var_d16` for float32), as `npm run convert` does. */
export function convertedPackName(depth: number, quant: QuantVariant): string {
  return quant === 'none' ? `var_d${depth}` : `var_d${depth}-${quant}`;
}

/** "VAR-d16 · FID 3.55 · downloads 1.7 GB once, keeps 233 MB" (and "large GPU, ~2.0 GB" for d24/d30). */
export function officialModelSummary(m: OfficialModel, quant: QuantVariant = 'q4'): string {
  const download = m.checkpointBytes + OFFICIAL_VAE.bytes;
  const pack = m.packBytes[quant];
  const keeps = pack === undefined ? '' : `, keeps ${formatBytes(pack)}`;
  const gpu = m.largeGpu ? ` · large GPU, ~${formatBytes(m.gpuBytes)}` : '';
  return `${m.name} · FID ${m.fid} · downloads ${formatBytes(download)} once${keeps}${gpu}`;
}

/** 1.7 GB, 233 MB (decimal units, as the Hub and the README give sizes). */
export function formatBytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.round(bytes / 1e6)} MB`;
}
