// The next-scale generation loop (VAR autoregressive_infer_cfg) over a model pack's three ONNX graphs.
//
// Platform-neutral: the onnxruntime module and execution providers come in as an InferenceBackend, the pack's files
// as a PackSource. Per scale: transformer (cond + uncond halves, KV cache) → CFG mix → top-k/top-p → sample (CPU,
// seeded) → codebook vectors → quantizer step (f_hat, next input). After the last scale: decode f_hat to pixels.
// With `sampleOn: 'graph'` the CFG mix, top-k and the draw run in the sampler graph (graphs/token-sampler.ts) where
// the logits are, with the JS generator's uniforms fed in, and only the ids come back (top-p and more_smooth: JS).

import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { VarError } from '../../shared/errors';
import { areaMatrix, scaleOffsets } from '../graphs/scale-resample';
import { buildTokenSamplerGraph, SAMPLER_IO } from '../graphs/token-sampler';
import { VAR_IO } from '../graphs/var-transformer';
import { quantizerStepFeeds } from '../graphs/vq-quantizer';
import { tokenizerStepFeeds } from '../graphs/vq-tokenizer';
import { ENCODER_IO } from '../graphs/vqvae-encoder';
import type { PackGraph, PackManifest } from '../pack/manifest';
import type { PackSource } from '../pack/pack-source';
import type { InferenceBackend } from './backend';
import { lookupCodebook, mixCodebook } from './codebook';
import { scaleMasks } from './edit-input';
import { drawUniforms, graphCanSample, type SampleOn, samplerFeeds, usesTopK } from './graph-sampling';
import { guidanceRatio, gumbelSoftmaxRows, mixGuidance } from './guidance';
import { Rng } from './rng';
import { filterTopKTopP, sampleRows } from './sampler';
import type { SamplingOptions } from './settings';
import { validateSettings } from './settings';
import { emptyPast, transformerFeeds } from './transformer-feeds';

export interface GenerateRequest extends SamplingOptions {
  /** One class label per image (0 … numClasses−1). */
  readonly labels: readonly number[];
}

export interface ScaleTimings {
  readonly transformerMs: number;
  /** Logits readback + CFG mix + filter + sampling + codebook lookup (graph sampling: its run + the ids' readback). */
  readonly samplingMs: number;
  readonly quantizerMs: number;
}

export interface ScaleEvent {
  readonly si: number;
  readonly pn: number;
  readonly scaleCount: number;
  /** This scale's token ids, (B, pn²) row-major per image. */
  readonly ids: Int32Array;
  readonly timings: ScaleTimings;
  /** Since the start of generate(). */
  readonly elapsedMs: number;
  /** Where the KV cache and f_hat live after this scale: 'gpu-buffer' when they never left the GPU. */
  readonly stateLocation: string;
  /**
   * Decodes the image so far (the current f_hat); only valid during the callback. With `latentSize` below the last
   * patch num, f_hat is first area-downsampled to latentSize² (a smaller, proportionally cheaper decode: previews).
   */
  decodePreview(latentSize?: number): Promise<DecodedImages>;
}

export interface DecodedImages {
  /** (B, 3, H, W) float32 in [0, 1]. */
  readonly data: Float32Array;
  readonly batch: number;
  readonly size: number;
}

export interface GenerateResult {
  readonly images: DecodedImages;
  /** Per image, its L ids in scale order (all scales concatenated, row-major within a scale). */
  readonly ids: Int32Array[];
  readonly scales: readonly ScaleTimings[];
  readonly decodeMs: number;
  readonly firstScaleMs: number;
  readonly totalMs: number;
  readonly backend: string;
  /** Where the ids were sampled: 'graph' only with sampleOn 'graph' and settings it reproduces (graphCanSample). */
  readonly sampledOn: SampleOn;
}

export interface PipelineOptions {
  /** 'js' (default): logits read back every scale, sampled by sampler.ts. 'graph': see graph-sampling.ts. */
  readonly sampleOn?: SampleOn;
}

/** The part of AbortSignal the loop reads (core code has no DOM or Node types). */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
}

export interface GenerateOptions {
  /** Checked before every scale and before the decode: a cancel takes effect within one scale. */
  readonly signal?: AbortSignalLike;
  readonly onScale?: (event: ScaleEvent) => void | Promise<void>;
}

export interface EditRequest extends SamplingOptions {
  /** (3, S, S) float32 in [0, 1], planar RGB, S = manifest.imageSize (edit-input.ts `fitImage` makes one). */
  readonly image: Float32Array;
  /** (S, S) float32 in [0, 1]: 1 (white) = generate, 0 = keep the image (edit-input.ts `fitMask`). */
  readonly mask: Float32Array;
  /** The class to generate with, or null: none (the null class in both CFG halves, the official label −1). */
  readonly label: number | null;
}

export interface TokenizeResult {
  /** The image's L tokens in scale order (official `img_to_idxBl`, concatenated). */
  readonly ids: Int32Array;
  /** Its quantized latent f_hat (Cvae, s, s) after the last scale. */
  readonly fHat: Float32Array;
  readonly encodeMs: number;
  readonly tokenizeMs: number;
}

export interface EditResult extends GenerateResult {
  /** The input image's own tokens (what every token outside the mask is forced to). */
  readonly imageIds: Int32Array;
  readonly encodeMs: number;
  readonly tokenizeMs: number;
  /** Tokens generated per scale (the rest are the image's). */
  readonly generatedPerScale: readonly number[];
}

/** Teacher forcing: the image's ids (L), and per scale which tokens are generated (1) rather than forced (0). */
interface ForcedTokens {
  readonly ids: Int32Array;
  readonly generate: readonly Uint8Array[];
}

interface Sessions {
  readonly transformer: InferenceSession;
  readonly quantizer: InferenceSession;
  readonly decoder: InferenceSession;
}

export class VarPipeline {
  private constructor(
    readonly manifest: PackManifest,
    private readonly pack: PackSource,
    private readonly backend: InferenceBackend,
    private readonly sessions: Sessions,
    private readonly codebook: Float32Array,
    private readonly sampleOn: SampleOn,
  ) {}

  /** The sampler graph's sessions (with and without top-k), created on first use. */
  private readonly samplerSessions = new Map<boolean, Promise<InferenceSession>>();

  /** Creates the three sessions (KV cache, f_hat and next input kept on the device when the backend allows). */
  static async load(pack: PackSource, backend: InferenceBackend, options: PipelineOptions = {}): Promise<VarPipeline> {
    const sampleOn = options.sampleOn ?? 'js';
    const m = pack.manifest;
    const deviceOutputs = (names: string[]) =>
      backend.deviceResident ? Object.fromEntries(names.map((n) => [n, 'gpu-buffer' as const])) : undefined;
    const kvOutputs = Array.from({ length: m.var.depth }, (_, i) => [
      VAR_IO.presentKey(i),
      VAR_IO.presentValue(i),
    ]).flat();
    // Graph sampling keeps the logits where the transformer computed them (read back only when JS must sample).
    const transformerOutputs = sampleOn === 'graph' ? [...kvOutputs, VAR_IO.logits] : kvOutputs;
    const transformer = await createSession(pack, backend, m.graphs.transformer, deviceOutputs(transformerOutputs));
    const quantizer = await createSession(
      pack,
      backend,
      m.graphs.quantizer,
      deviceOutputs(['f_hat_out', 'next_input']),
    );
    const decoder = await createSession(pack, backend, m.graphs.decoder, undefined);
    const codebookBytes = await pack.file(m.codebook.path);
    const [V, C] = m.codebook.dims;
    if (codebookBytes.byteLength !== V * C * 4) {
      throw new VarError(
        'E_PACK_CORRUPT',
        `${m.codebook.path} has ${codebookBytes.byteLength} bytes, expected ${V * C * 4}`,
      );
    }
    const codebook = new Float32Array(codebookBytes.slice().buffer);
    return new VarPipeline(m, pack, backend, { transformer, quantizer, decoder }, codebook, sampleOn);
  }

  async release(): Promise<void> {
    const edit = await this.editSessionsPromise?.catch(() => undefined);
    this.editSessionsPromise = undefined;
    const samplers = await Promise.all([...this.samplerSessions.values()].map((p) => p.catch(() => undefined)));
    this.samplerSessions.clear();
    const all = [
      ...Object.values(this.sessions),
      ...(edit ? [edit.encoder, edit.tokenizer] : []),
      ...samplers.filter((s): s is InferenceSession => s !== undefined),
    ];
    await Promise.all(all.map((s: InferenceSession) => s.release()));
  }

  /** Runs the decoder on an f_hat tensor (B, Cvae, h, w); smaller latents give proportionally smaller images. */
  async decode(fHat: Tensor): Promise<DecodedImages> {
    const out = await this.sessions.decoder.run({ f_hat: fHat });
    const image = out.image as Tensor;
    const data = (await image.getData()) as Float32Array;
    image.dispose();
    return { data, batch: image.dims[0] as number, size: image.dims[2] as number };
  }

  /** Decodes f_hat, area-downsampled on the CPU to latentSize² first when that is smaller than f_hat. */
  async decodePreview(fHat: Tensor, latentSize?: number): Promise<DecodedImages> {
    const [B, C, S] = fHat.dims as [number, number, number, number];
    if (latentSize === undefined || latentSize >= S) return this.decode(fHat);
    const full = (await fHat.getData()) as Float32Array;
    const small = areaDownsample(full, B * C, S, latentSize);
    return this.decode(new this.backend.ort.Tensor('float32', small, [B, C, latentSize, latentSize]));
  }

  async generate(request: GenerateRequest, options: GenerateOptions = {}): Promise<GenerateResult> {
    validateSettings(request, { vocabSize: this.manifest.var.vocabSize, numClasses: this.manifest.numClasses });
    return this.loop(request.labels, request, undefined, options);
  }

  /** Whether the pack carries the encoder and tokenizer graphs (packs written before issue 16 do not). */
  get canEdit(): boolean {
    return this.manifest.graphs.encoder !== undefined && this.manifest.graphs.tokenizer !== undefined;
  }

  /**
   * Encodes an image (3, S, S) in [0, 1] and tokenises it: the official `img_to_idxBl` (encoder + quant_conv, then
   * f_to_idxBl_or_fhat). Returns the L ids in scale order and the quantized latent f_hat (C, s, s).
   */
  async tokenize(image: Float32Array): Promise<TokenizeResult> {
    const m = this.manifest;
    const { Tensor: T } = this.backend.ort;
    const size = m.imageSize;
    if (image.length !== 3 * size * size) {
      throw new VarError('E_BAD_IMAGE', `the image must be 3×${size}×${size} values, got ${image.length}`);
    }
    const { encoder, tokenizer } = await this.editSessions();
    const t0 = now();
    const encoded = await encoder.run({ [ENCODER_IO.image]: new T('float32', image, [1, 3, size, size]) });
    let fRest = encoded[ENCODER_IO.f] as Tensor;
    const t1 = now();
    const patchNums = m.patchNums;
    const C = m.var.cvae;
    const S = patchNums[patchNums.length - 1] as number;
    const { begins, length: L } = scaleOffsets(patchNums);
    const ids = new Int32Array(L);
    let fHat: Tensor = new T('float32', new Float32Array(C * S * S), [1, C, S, S]);
    try {
      for (let si = 0; si < patchNums.length; si++) {
        const step = tokenizerStepFeeds(patchNums, si, m.vqvae.phiCount);
        const out = await tokenizer.run({
          f_rest: fRest,
          f_hat: fHat,
          down_matrix: new T('float32', step.downMatrix.data, [...step.downMatrix.dims]),
          up_matrix: new T('float32', step.upMatrix.data, [...step.upMatrix.dims]),
          phi_index: new T('int32', Int32Array.of(step.phiIndex), []),
        });
        const idsTensor = out.ids as Tensor;
        const scaleIds = (await idsTensor.getData()) as BigInt64Array | Int32Array;
        idsTensor.dispose();
        for (let i = 0; i < scaleIds.length; i++) ids[(begins[si] as number) + i] = Number(scaleIds[i]);
        disposeAll({ fRest, fHat });
        fRest = out.f_rest_out as Tensor;
        fHat = out.f_hat_out as Tensor;
      }
      const fHatData = ((await fHat.getData()) as Float32Array).slice();
      return { ids, fHat: fHatData, encodeMs: t1 - t0, tokenizeMs: now() - t1 };
    } finally {
      disposeAll({ fRest, fHat });
    }
  }

  /**
   * Zero-shot editing (VAR paper sec. 6; fixtures README §7): the image is tokenised, then the usual loop runs with
   * teacher forcing: at each scale, after sampling, every token outside the mask's region of that scale
   * (scaleMasks: area average < 0.5) is replaced by the image's own token. A mask of zeros reproduces the image's
   * reconstruction; a mask of ones is plain generation (with `label` null: no class, the null class in both CFG
   * halves, the official label −1).
   */
  async edit(request: EditRequest, options: GenerateOptions = {}): Promise<EditResult> {
    const m = this.manifest;
    validateSettings(
      { ...request, labels: [request.label ?? 0] },
      { vocabSize: m.var.vocabSize, numClasses: m.numClasses },
    );
    const size = m.imageSize;
    if (request.mask.length !== size * size) {
      throw new VarError('E_BAD_MASK', `the mask must be ${size}×${size} values, got ${request.mask.length}`);
    }
    if (!this.canEdit) throw noEncoder(m.label);
    const start = now();
    throwIfAborted(options.signal);
    const image = await this.tokenize(request.image);
    throwIfAborted(options.signal);
    const generate = scaleMasks(request.mask, size, m.patchNums);
    const result = await this.loop([request.label ?? m.numClasses], request, { ids: image.ids, generate }, options);
    return {
      ...result,
      totalMs: now() - start,
      imageIds: image.ids,
      encodeMs: image.encodeMs,
      tokenizeMs: image.tokenizeMs,
      generatedPerScale: generate.map((g) => g.reduce((n, v) => n + v, 0)),
    };
  }

  private editSessionsPromise: Promise<{ encoder: InferenceSession; tokenizer: InferenceSession }> | undefined;

  /** The encoder and tokenizer sessions, created on the first edit (generation never pays for them). */
  private editSessions(): Promise<{ encoder: InferenceSession; tokenizer: InferenceSession }> {
    const { encoder, tokenizer } = this.manifest.graphs;
    if (!encoder || !tokenizer) return Promise.reject(noEncoder(this.manifest.label));
    this.editSessionsPromise ??= (async () => ({
      encoder: await createSession(this.pack, this.backend, encoder, undefined),
      tokenizer: await createSession(this.pack, this.backend, tokenizer, undefined),
    }))();
    this.editSessionsPromise.catch(() => {
      this.editSessionsPromise = undefined;
    });
    return this.editSessionsPromise;
  }

  /** CFG, top-k and the draw in the sampler graph, where `logits_BlV` is; returns the (B·l) ids. */
  private async sampleInGraph(
    logits_BlV: Tensor,
    t: number,
    topK: number,
    uniforms: Float64Array,
  ): Promise<Int32Array> {
    const V = logits_BlV.dims[2] as number;
    const withTopK = usesTopK(topK, V);
    let session = this.samplerSessions.get(withTopK);
    if (!session) {
      session = this.backend.ort.InferenceSession.create(buildTokenSamplerGraph({ topK: withTopK }), {
        ...this.backend.sessionOptions,
        executionProviders: this.backend.executionProviders,
      });
      this.samplerSessions.set(withTopK, session);
      session.catch(() => this.samplerSessions.delete(withTopK));
    }
    const out = await (await session).run(samplerFeeds(this.backend.ort.Tensor, logits_BlV, t, topK, uniforms));
    const idsTensor = out[SAMPLER_IO.ids] as Tensor;
    const ids = Int32Array.from((await idsTensor.getData()) as Int32Array);
    disposeAll({ idsTensor });
    return ids;
  }

  /** The loop; `labels` may hold numClasses (the null class) for a class-free edit. */
  private async loop(
    labels: readonly number[],
    request: SamplingOptions,
    forced: ForcedTokens | undefined,
    options: GenerateOptions,
  ): Promise<GenerateResult> {
    const m = this.manifest;
    const { Tensor: T } = this.backend.ort;
    const B = labels.length;
    const patchNums = m.patchNums;
    const SN = patchNums.length;
    const V = m.var.vocabSize;
    const C = m.var.cvae;
    const S = patchNums[SN - 1] as number;
    const { begins, length: L } = scaleOffsets(patchNums);
    const rngs = labels.map((_, b) => new Rng((request.seed + b) >>> 0));
    const sampledOn: SampleOn = this.sampleOn === 'graph' && graphCanSample(request) ? 'graph' : 'js';
    const ids = labels.map(() => new Int32Array(L));
    const start = now();
    const scales: ScaleTimings[] = [];
    let firstScaleMs = 0;

    const labels2B = new T('int64', BigInt64Array.from([...labels, ...labels.map(() => m.numClasses)], BigInt), [
      2 * B,
    ]);
    // Tensors this loop owns; ORT-owned device tensors must be disposed, CPU ones are garbage collected.
    let past: Record<string, Tensor> = emptyPast(T, m, B);
    let fHat: Tensor = new T('float32', new Float32Array(B * C * S * S), [B, C, S, S]);
    let nextInput: Tensor = new T('float32', new Float32Array(B * C), [B, 1, C]);
    try {
      for (let si = 0; si < SN; si++) {
        throwIfAborted(options.signal);
        const pn = patchNums[si] as number;
        const l = pn * pn;
        const begin = begins[si] as number;

        const t0 = now();
        const out = await this.sessions.transformer.run(
          transformerFeeds(T, { labels2B, nextInput, begin, length: l, past }),
        );
        disposeAll(past);
        past = {};
        for (let i = 0; i < m.var.depth; i++) {
          past[VAR_IO.pastKey(i)] = out[VAR_IO.presentKey(i)] as Tensor;
          past[VAR_IO.pastValue(i)] = out[VAR_IO.presentValue(i)] as Tensor;
        }
        const logitsTensor = out[VAR_IO.logits] as Tensor;
        let logits: Float32Array | undefined;
        if (sampledOn === 'js') {
          logits = (await logitsTensor.getData()) as Float32Array;
          logitsTensor.dispose();
        }
        const t1 = now();

        const t = guidanceRatio(request.cfg, si, SN);
        let sampledBl: Int32Array | undefined;
        let guided: Float32Array | undefined;
        if (logits) {
          // logits (2B, l, V) → guided (B, l, V) → filtered in place → one id per token, image by image.
          guided = mixGuidance(logits, t);
          filterTopKTopP(guided, V, request);
        } else {
          try {
            sampledBl = await this.sampleInGraph(logitsTensor, t, request.topK, drawUniforms(rngs, l));
          } finally {
            disposeAll({ logitsTensor });
          }
        }
        const idsBl = new Int32Array(B * l);
        const h_BlC = new Float32Array(B * l * C);
        for (let b = 0; b < B; b++) {
          const rng = rngs[b] as Rng;
          const rows = guided?.subarray(b * l * V, (b + 1) * l * V);
          const sampled = rows ? sampleRows(rows, V, rng) : (sampledBl as Int32Array).slice(b * l, (b + 1) * l);
          const h =
            request.moreSmooth && rows
              ? mixCodebook(gumbelSoftmaxRows(rows, V, si, SN, rng), V, this.codebook, C)
              : lookupCodebook(this.codebook, C, sampled);
          if (forced) {
            // Teacher forcing, after sampling (the random stream advances as in plain generation).
            const generate = forced.generate[si] as Uint8Array;
            for (let i = 0; i < l; i++) {
              if (generate[i]) continue;
              const id = forced.ids[begin + i] as number;
              sampled[i] = id;
              h.set(this.codebook.subarray(id * C, (id + 1) * C), i * C);
            }
          }
          idsBl.set(sampled, b * l);
          (ids[b] as Int32Array).set(sampled, begin);
          h_BlC.set(h, b * l * C);
        }
        const t2 = now();

        const step = quantizerStepFeeds(patchNums, si, m.vqvae.phiCount);
        const q = await this.sessions.quantizer.run({
          h_BnC: new T('float32', h_BlC, [B, l, C]),
          f_hat: fHat,
          up_matrix: new T('float32', step.upMatrix.data, [...step.upMatrix.dims]),
          down_matrix: new T('float32', step.downMatrix.data, [...step.downMatrix.dims]),
          phi_index: new T('int32', Int32Array.of(step.phiIndex), []),
        });
        disposeAll({ fHat, nextInput });
        fHat = q.f_hat_out as Tensor;
        nextInput = q.next_input as Tensor;
        const t3 = now();

        const timings = { transformerMs: t1 - t0, samplingMs: t2 - t1, quantizerMs: t3 - t2 };
        scales.push(timings);
        if (si === 0) firstScaleMs = t3 - start;
        const currentFHat = fHat;
        await options.onScale?.({
          si,
          pn,
          scaleCount: SN,
          ids: idsBl,
          timings,
          elapsedMs: t3 - start,
          stateLocation: [...Object.values(past), fHat, nextInput].every((t) => t.location === 'gpu-buffer')
            ? 'gpu-buffer'
            : (fHat.location as string),
          decodePreview: (latentSize?: number) => this.decodePreview(currentFHat, latentSize),
        });
      }
      throwIfAborted(options.signal);
      const t4 = now();
      const images = await this.decode(fHat);
      const decodeMs = now() - t4;
      return {
        images,
        ids,
        scales,
        decodeMs,
        firstScaleMs,
        totalMs: now() - start,
        backend: this.backend.name,
        sampledOn,
      };
    } finally {
      disposeAll(past);
      disposeAll({ fHat, nextInput });
    }
  }
}

/** `M @ X @ Mᵀ` per channel with the exact area matrix (adaptive average pooling, as F.interpolate 'area'). */
function areaDownsample(x: Float32Array, channels: number, S: number, size: number): Float32Array {
  const m = areaMatrix(S, size); // (size, S)
  const out = new Float32Array(channels * size * size);
  const rows = new Float64Array(size * S);
  for (let c = 0; c < channels; c++) {
    const plane = x.subarray(c * S * S, (c + 1) * S * S);
    rows.fill(0);
    for (let i = 0; i < size; i++) {
      for (let k = 0; k < S; k++) {
        const w = m[i * S + k] as number;
        if (w !== 0)
          for (let j = 0; j < S; j++) rows[i * S + j] = (rows[i * S + j] as number) + w * (plane[k * S + j] as number);
      }
    }
    for (let i = 0; i < size; i++) {
      for (let j = 0; j < size; j++) {
        let acc = 0;
        for (let k = 0; k < S; k++) acc += (rows[i * S + k] as number) * (m[j * S + k] as number);
        out[(c * size + i) * size + j] = acc;
      }
    }
  }
  return out;
}

async function createSession(
  pack: PackSource,
  backend: InferenceBackend,
  graph: PackGraph,
  preferredOutputLocation: Record<string, 'gpu-buffer'> | undefined,
): Promise<InferenceSession> {
  const model = await pack.file(graph.model);
  const externalData = await Promise.all(
    graph.externalData.map(async (path) => ({ path, data: await pack.file(path) })),
  );
  return backend.ort.InferenceSession.create(model, {
    ...backend.sessionOptions,
    executionProviders: backend.executionProviders,
    externalData,
    ...(preferredOutputLocation ? { preferredOutputLocation } : {}),
  });
}

/** Disposes device-resident tensors (GPU buffers); CPU tensors need nothing. */
function disposeAll(tensors: Record<string, Tensor>): void {
  for (const t of Object.values(tensors)) if (t.location === 'gpu-buffer') t.dispose();
}

function noEncoder(label: string): VarError {
  return new VarError(
    'E_PACK_NO_ENCODER',
    `${label} has no image encoder (it was converted before editing existed): re-convert it with this version to edit images`,
  );
}

function throwIfAborted(signal: AbortSignalLike | undefined): void {
  if (signal?.aborted) throw new VarError('E_ABORTED', 'Generation was cancelled', { reason: String(signal.reason) });
}

function now(): number {
  const perf = (globalThis as { performance?: { now(): number } }).performance;
  return perf ? perf.now() : Date.now();
}
