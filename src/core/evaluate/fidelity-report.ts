// What quantization costs: a pack's teacher-forced logits, greedy tokens and decoded images against a float32 pack's.
//
// The reference pack generates greedily (top-k 1) for a few classes; its ids are then fed to both packs (teacher
// forcing: same inputs at every scale), so logit differences measure the transformer's weights alone, and the same
// ids' f_hat is decoded by both decoders, so PSNR measures the decoder's weights alone. A free greedy run of the
// quantized pack shows how far the errors carry once its own tokens feed back (agreement per scale, image PSNR).
// Platform-neutral: packs come as PackSources, the runtime as an InferenceBackend.

import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { VarError } from '../../shared/errors';
import type { InferenceBackend } from '../generate/backend';
import { lookupCodebook } from '../generate/codebook';
import { guidanceRatio } from '../generate/guidance';
import { emptyPast, transformerFeeds } from '../generate/transformer-feeds';
import { VarPipeline } from '../generate/var-pipeline';
import { scaleOffsets } from '../graphs/scale-resample';
import { VAR_IO } from '../graphs/var-transformer';
import { quantizerStepFeeds } from '../graphs/vq-quantizer';
import type { PackGraph, PackManifest } from '../pack/manifest';
import type { PackSource } from '../pack/pack-source';
import { argmax, cosineSimilarity, klDivergence, psnr, type Summary, SummaryBuilder } from './fidelity-metrics';

export interface FidelitySettings {
  /** Classes of the images compared (one greedy image each). */
  readonly labels: readonly number[];
  /** CFG of the greedy runs and of the argmax comparison (the demo's 4 by default). */
  readonly cfg: number;
  /** Also run the quantized pack freely (its own greedy tokens) and compare tokens and images. */
  readonly freeRun: boolean;
}

export const DEFAULT_FIDELITY_SETTINGS: FidelitySettings = Object.freeze({ labels: [207, 980], cfg: 4, freeRun: true });

/** Where a logit comparison was worst: image row (cond rows first, then uncond), scale and token within it. */
export interface Position {
  readonly row: number;
  readonly si: number;
  readonly token: number;
}

export interface PackSummary {
  readonly name: string;
  readonly quant: string;
  readonly bytes: number;
}

export interface ScaleFidelity {
  readonly si: number;
  readonly pn: number;
  readonly cosineMean: number;
  readonly klMean: number;
  /** Teacher-forced: share of tokens whose greedy (argmax of the CFG-mixed logits) choice equals the reference's. */
  readonly argmaxAgreement: number;
  /** Free run: share of this scale's tokens equal to the reference's greedy ids (absent without a free run). */
  readonly freeRunAgreement?: number;
}

export interface FidelityResult {
  readonly pack: PackSummary;
  readonly reference: PackSummary;
  readonly backend: string;
  readonly settings: FidelitySettings;
  /** Over every row (cond and uncond halves) and token position, teacher-forced. */
  readonly logitCosine: Summary<Position>;
  /** KL(reference ‖ pack) of the token distributions, nats. */
  readonly logitKl: Summary<Position>;
  readonly argmaxAgreement: number;
  readonly freeRunAgreement?: number;
  readonly perScale: readonly ScaleFidelity[];
  /** The same ids decoded by both packs (dB; mean over images and the lowest). */
  readonly decoderPsnr: { readonly mean: number; readonly min: number };
  /** The free run's images against the reference's (dB). */
  readonly freeRunPsnr?: { readonly mean: number; readonly min: number };
  readonly seconds: number;
}

/** What the reference pack produced: greedy ids and images, and teacher-forced logits along those ids. */
export interface ReferenceRun {
  readonly pack: PackSummary;
  readonly manifest: PackManifest;
  /** Per image, its L greedy ids. */
  readonly ids: readonly Int32Array[];
  /** (B, 3, H, W) in [0, 1]. */
  readonly images: Float32Array;
  /** Per scale, (2B, pn², V): cond rows, then uncond rows. */
  readonly logits: readonly Float32Array[];
  readonly seconds: number;
}

export function summarizePack(pack: PackSource): PackSummary {
  const m = pack.manifest;
  return { name: m.name, quant: m.quant ?? 'none', bytes: m.files.reduce((n, f) => n + f.bytes, 0) };
}

/** Greedy generation with the reference pack, then its teacher-forced logits along its own ids. */
export async function runReference(
  pack: PackSource,
  backend: InferenceBackend,
  settings: FidelitySettings = DEFAULT_FIDELITY_SETTINGS,
): Promise<ReferenceRun> {
  const start = now();
  const { ids, images } = await greedy(pack, backend, settings);
  const { logits } = await teacherForce(pack, backend, ids, settings.labels, false);
  return {
    pack: summarizePack(pack),
    manifest: pack.manifest,
    ids,
    images,
    logits,
    seconds: (now() - start) / 1000,
  };
}

/** Compares `pack` with the reference run (same architecture required). */
export async function compareToReference(
  pack: PackSource,
  backend: InferenceBackend,
  reference: ReferenceRun,
  settings: FidelitySettings = DEFAULT_FIDELITY_SETTINGS,
): Promise<FidelityResult> {
  const start = now();
  const m = pack.manifest;
  checkSameModel(m, reference.manifest);
  const B = settings.labels.length;
  const V = m.var.vocabSize;
  const SN = m.patchNums.length;
  const tf = await teacherForce(pack, backend, reference.ids, settings.labels, true);

  const cosine = new SummaryBuilder<Position>(true);
  const kl = new SummaryBuilder<Position>(false);
  const perScale: ScaleFidelity[] = [];
  let agreeAll = 0;
  let tokensAll = 0;
  for (const [si, pn] of m.patchNums.entries()) {
    const l = pn * pn;
    const ref = reference.logits[si] as Float32Array;
    const ours = tf.logits[si] as Float32Array;
    const scaleCos = new SummaryBuilder<Position>(true);
    const scaleKl = new SummaryBuilder<Position>(false);
    for (let row = 0; row < 2 * B; row++) {
      for (let token = 0; token < l; token++) {
        const at = (row * l + token) * V;
        const a = ref.subarray(at, at + V);
        const b = ours.subarray(at, at + V);
        const where = { row, si, token };
        const c = cosineSimilarity(a, b);
        const k = klDivergence(a, b);
        cosine.add(c, where);
        kl.add(k, where);
        scaleCos.add(c, where);
        scaleKl.add(k, where);
      }
    }
    const t = guidanceRatio(settings.cfg, si, SN);
    let agree = 0;
    for (let b = 0; b < B; b++) {
      for (let token = 0; token < l; token++) {
        if (argmax(guided(ref, b, B, token, l, V, t)) === argmax(guided(ours, b, B, token, l, V, t))) agree++;
      }
    }
    agreeAll += agree;
    tokensAll += B * l;
    perScale.push({
      si,
      pn,
      cosineMean: scaleCos.build().mean,
      klMean: scaleKl.build().mean,
      argmaxAgreement: agree / (B * l),
    });
  }

  const decoderPsnr = psnrStats(reference.images, tf.images as Float32Array, B);
  let freeRunAgreement: number | undefined;
  let freeRunPsnr: { mean: number; min: number } | undefined;
  if (settings.freeRun) {
    const run = await greedy(pack, backend, settings);
    const { begins } = scaleOffsets(m.patchNums);
    let same = 0;
    for (const [si, pn] of m.patchNums.entries()) {
      let scaleSame = 0;
      for (let b = 0; b < B; b++) {
        const mine = run.ids[b] as Int32Array;
        const theirs = reference.ids[b] as Int32Array;
        for (let i = begins[si] as number; i < (begins[si] as number) + pn * pn; i++) {
          if (mine[i] === theirs[i]) scaleSame++;
        }
      }
      same += scaleSame;
      perScale[si] = { ...(perScale[si] as ScaleFidelity), freeRunAgreement: scaleSame / (B * pn * pn) };
    }
    freeRunAgreement = same / tokensAll;
    freeRunPsnr = psnrStats(reference.images, run.images, B);
  }

  return {
    pack: summarizePack(pack),
    reference: reference.pack,
    backend: backend.name,
    settings,
    logitCosine: cosine.build(),
    logitKl: kl.build(),
    argmaxAgreement: agreeAll / tokensAll,
    ...(freeRunAgreement === undefined ? {} : { freeRunAgreement }),
    perScale,
    decoderPsnr,
    ...(freeRunPsnr === undefined ? {} : { freeRunPsnr }),
    seconds: (now() - start) / 1000,
  };
}

/** The CFG-mixed logits of image b, token `token`: (1 + t)·cond − t·uncond (what greedy sampling takes the max of). */
function guided(logits: Float32Array, b: number, B: number, token: number, l: number, V: number, t: number) {
  const cond = logits.subarray((b * l + token) * V, (b * l + token + 1) * V);
  const uncond = logits.subarray(((B + b) * l + token) * V, ((B + b) * l + token + 1) * V);
  return Float32Array.from(cond, (c, v) => (1 + t) * c - t * (uncond[v] as number));
}

function psnrStats(reference: Float32Array, images: Float32Array, B: number): { mean: number; min: number } {
  const size = reference.length / B;
  const values = Array.from({ length: B }, (_, b) =>
    psnr(reference.subarray(b * size, (b + 1) * size), images.subarray(b * size, (b + 1) * size)),
  );
  return { mean: values.reduce((s, v) => s + v, 0) / B, min: Math.min(...values) };
}

function checkSameModel(a: PackManifest, b: PackManifest): void {
  const shape = (m: PackManifest) =>
    JSON.stringify([m.var.depth, m.var.width, m.var.vocabSize, m.patchNums, m.vqvae.ch, m.vqvae.chMult]);
  if (shape(a) !== shape(b)) {
    throw new VarError(
      'E_PACK_MISMATCH',
      `${a.name} and the reference ${b.name} are different models (depth, width, scales or decoder differ); compare variants of one model`,
    );
  }
}

async function greedy(
  pack: PackSource,
  backend: InferenceBackend,
  settings: FidelitySettings,
): Promise<{ ids: Int32Array[]; images: Float32Array }> {
  const pipeline = await VarPipeline.load(pack, backend);
  try {
    const r = await pipeline.generate({
      labels: settings.labels,
      cfg: settings.cfg,
      topK: 1,
      topP: 0,
      moreSmooth: false,
      seed: 0,
    });
    return { ids: r.ids, images: r.images.data };
  } finally {
    await pipeline.release();
  }
}

/**
 * Runs the transformer over every scale with the next inputs made from `ids` (the quantizer graph on the
 * codebook vectors, as idxBl_to_var_input), returning each scale's logits and, with `decode`, the decoded image.
 */
async function teacherForce(
  pack: PackSource,
  backend: InferenceBackend,
  ids: readonly Int32Array[],
  labels: readonly number[],
  decode: boolean,
): Promise<{ logits: Float32Array[]; images?: Float32Array }> {
  const m = pack.manifest;
  const { Tensor: T } = backend.ort;
  const B = labels.length;
  const C = m.var.cvae;
  const S = m.patchNums[m.patchNums.length - 1] as number;
  const { begins } = scaleOffsets(m.patchNums);
  const codebook = new Float32Array((await pack.file(m.codebook.path)).slice().buffer);
  const transformer = await session(pack, backend, m.graphs.transformer);
  let fHat: Tensor;
  const logits: Float32Array[] = [];
  try {
    const quantizer = await session(pack, backend, m.graphs.quantizer);
    try {
      const labels2B = new T('int64', BigInt64Array.from([...labels, ...labels.map(() => m.numClasses)], BigInt), [
        2 * B,
      ]);
      let past: Record<string, Tensor> = emptyPast(T, m, B);
      fHat = new T('float32', new Float32Array(B * C * S * S), [B, C, S, S]);
      let nextInput: Tensor = new T('float32', new Float32Array(B * C), [B, 1, C]);
      for (const [si, pn] of m.patchNums.entries()) {
        const l = pn * pn;
        const begin = begins[si] as number;
        const out = await transformer.run(transformerFeeds(T, { labels2B, nextInput, begin, length: l, past }));
        past = {};
        for (let i = 0; i < m.var.depth; i++) {
          past[VAR_IO.pastKey(i)] = out[VAR_IO.presentKey(i)] as Tensor;
          past[VAR_IO.pastValue(i)] = out[VAR_IO.presentValue(i)] as Tensor;
        }
        logits.push(((await (out[VAR_IO.logits] as Tensor).getData()) as Float32Array).slice());

        const scaleIds = new Int32Array(B * l);
        for (let b = 0; b < B; b++) scaleIds.set((ids[b] as Int32Array).subarray(begin, begin + l), b * l);
        const step = quantizerStepFeeds(m.patchNums, si, m.vqvae.phiCount);
        const q = await quantizer.run({
          h_BnC: new T('float32', lookupCodebook(codebook, C, scaleIds), [B, l, C]),
          f_hat: fHat,
          up_matrix: new T('float32', step.upMatrix.data, [...step.upMatrix.dims]),
          down_matrix: new T('float32', step.downMatrix.data, [...step.downMatrix.dims]),
          phi_index: new T('int32', Int32Array.of(step.phiIndex), []),
        });
        fHat = q.f_hat_out as Tensor;
        nextInput = q.next_input as Tensor;
      }
    } finally {
      await quantizer.release();
    }
  } finally {
    // Released before the decoder is created: a d16 float32 transformer and the decoder need not share the heap.
    await transformer.release();
  }
  if (!decode) return { logits };
  const decoder = await session(pack, backend, m.graphs.decoder);
  try {
    const image = (await decoder.run({ f_hat: fHat })).image as Tensor;
    return { logits, images: ((await image.getData()) as Float32Array).slice() };
  } finally {
    await decoder.release();
  }
}

async function session(pack: PackSource, backend: InferenceBackend, graph: PackGraph): Promise<InferenceSession> {
  const externalData = await Promise.all(
    graph.externalData.map(async (path) => ({ path, data: await pack.file(path) })),
  );
  return backend.ort.InferenceSession.create(await pack.file(graph.model), {
    ...backend.sessionOptions,
    executionProviders: backend.executionProviders,
    externalData,
  });
}

function now(): number {
  const perf = (globalThis as { performance?: { now(): number } }).performance;
  return perf ? perf.now() : Date.now();
}
