// `npm run generate -- --model <pack> --class 207 [--n 4] [--seed 0] [--cfg 4] [--top-k 900] [--top-p 0.95]
//  [--more-smooth] [--fid] [--scales] [--backend wasm|native] [--threads N] [--out out/]`: images from a model pack.
// With `--image in.png --mask mask.png [--class 207|none]`: zero-shot editing (issue 16).

import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { encode as encodePng } from 'fast-png';
import type { InferenceBackend } from '../core/generate/backend';
import { fitGeometry, fitImage, fitMask } from '../core/generate/edit-input';
import { DEMO_DEFAULTS, FID_PRESET, type SamplingOptions, validateSettings } from '../core/generate/settings';
import type { DecodedImages } from '../core/generate/var-pipeline';
import { VarPipeline } from '../core/generate/var-pipeline';
import type { PackSource } from '../core/pack/pack-source';
import { type NodeBackendName, nodeBackend } from '../node/ort-backends';
import { openPackDir } from '../node/pack-dir';
import { readPngPixels } from '../node/png-pixels';
import { VarError } from '../shared/errors';
import { IMAGENET_CLASSES, resolveClass } from '../shared/imagenet-classes';

const USAGE = `usage: npm run generate -- --model <pack dir> --class <id or name> [options]
  --class, -c      ImageNet class: id (207) or name (golden retriever; case-insensitive, unique prefix)
  --n              images (default 1)
  --seed           image i samples with seed + i (default 0)
  --cfg            guidance scale (default ${DEMO_DEFAULTS.cfg}; 0 = none)
  --top-k          default ${DEMO_DEFAULTS.topK} (0 = off)
  --top-p          default ${DEMO_DEFAULTS.topP} (0 = off)
  --more-smooth    Gumbel-softmax soft embeddings (official more_smooth)
  --fid            the official FID preset (cfg ${FID_PRESET.cfg}, top-p ${FID_PRESET.topP}) instead of the demo defaults
  --scales         also write the image after every scale
  --backend        wasm (onnxruntime-web, as in the browser) or native (onnxruntime-node CPU); default wasm
  --threads        default: all cores
  --out            output folder (default out/)
  --image          edit this PNG (any size: VAR's evaluation transform, Lanczos resize of the shorter side to
                   1.125 × the model's size, then a centre crop; an image of the model's size is used as it is)
  --mask           with --image: PNG of the image's aspect ratio, any size; white = generate, black = keep
                   (--class none: no class, the null class in both guidance halves)`;

class UsageError extends Error {}

/** Images one run may ask for (each is a full generation; the batch shares the transformer runs). */
const MAX_IMAGES = 64;

/**
 * A numeric option. Text that is no number is a usage error; NaN, ±Infinity, negative or fractional numbers pass
 * through to validateSettings, which names the field (E_BAD_SETTINGS) exactly as the pipeline and the engine do.
 */
function number(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || (Number.isNaN(n) && value.trim() !== 'NaN')) {
    throw new UsageError(`--${name} must be a number, got "${value}"`);
  }
  return n;
}

/** (B, 3, H, W) float [0, 1] → one RGB PNG per image, uint8(x·255) truncated as the official demo. */
function toPngs(images: DecodedImages): Uint8Array[] {
  const { data, batch, size } = images;
  const plane = size * size;
  return Array.from({ length: batch }, (_, b) => {
    const rgb = new Uint8Array(plane * 3);
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < plane; p++) rgb[p * 3 + c] = Math.trunc((data[(b * 3 + c) * plane + p] as number) * 255);
    }
    return encodePng({ width: size, height: size, data: rgb, channels: 3, depth: 8 });
  });
}

/** --threads: undefined = all cores. */
function threadsOption(value: string | undefined): number | undefined {
  const threads = value === undefined ? undefined : number(value, 'threads', 1);
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
    throw new UsageError(`--threads must be an integer ≥ 1, got ${threads}`);
  }
  return threads;
}

/** The backend and the pipeline's sessions (timed), and the output folder, for a generation or an edit. */
async function loadRun(
  pack: PackSource,
  values: { readonly backend: string; readonly out: string },
  threads: number | undefined,
): Promise<{ backend: InferenceBackend; pipeline: VarPipeline; sessionMs: number; outDir: string }> {
  const backend = await nodeBackend(values.backend as NodeBackendName, threads);
  const tLoad = performance.now();
  const pipeline = await VarPipeline.load(pack, backend);
  const sessionMs = performance.now() - tLoad;
  const outDir = resolve(values.out);
  await mkdir(outDir, { recursive: true });
  return { backend, pipeline, sessionMs, outDir };
}

interface EditValues {
  readonly model: string;
  readonly image: string;
  readonly mask: string;
  readonly backend: string;
  readonly threads?: string;
  readonly out: string;
  readonly scales: boolean;
}

/** --image/--mask: n edits (image i with seed + i), PNGs and result.json with the edit's settings. */
async function editMain(values: EditValues, sampling: SamplingOptions, label: number | null, n: number): Promise<void> {
  const threads = threadsOption(values.threads);
  // Inputs first: a bad file should not cost a model load.
  const imagePixels = await readPngPixels(resolve(values.image), 'image');
  const maskPixels = await readPngPixels(resolve(values.mask), 'mask');
  const pack = await openPackDir(resolve(values.model));
  const m = pack.manifest;
  if (!m.graphs.encoder || !m.graphs.tokenizer) {
    throw new VarError(
      'E_PACK_NO_ENCODER',
      `${m.label} has no image encoder (converted before editing existed): re-convert it with this version to edit`,
    );
  }
  if (label !== null && label >= m.numClasses) {
    throw new VarError('E_BAD_CLASS', `${m.label} has ${m.numClasses} classes; ${label} is outside`);
  }
  const size = m.imageSize;
  const image = fitImage(imagePixels, size);
  const mask = fitMask(maskPixels, imagePixels.width, imagePixels.height, size);
  const geometry = fitGeometry(imagePixels.width, imagePixels.height, size);
  validateSettings({ ...sampling, labels: [label ?? 0] }, { vocabSize: m.var.vocabSize, numClasses: m.numClasses });
  const { backend, pipeline, sessionMs, outDir } = await loadRun(pack, values, threads);
  await writeFile(
    join(outDir, 'input.png'),
    (toPngs({ data: image, batch: 1, size }) as Uint8Array[])[0] as Uint8Array,
  );
  console.error(
    `${m.label}${m.randomWeights ? ' — random weights: expect noise' : ''}; edit of ${values.image} ` +
      `(${imagePixels.width}×${imagePixels.height}, ${geometry.mode}); class ${label ?? 'none'}; ${n} image(s) on ` +
      `${backend.name}; cfg ${sampling.cfg}, top-k ${sampling.topK}, top-p ${sampling.topP}, seed ${sampling.seed}`,
  );
  const images = [];
  const runs = [];
  for (let b = 0; b < n; b++) {
    const seed = (sampling.seed + b) >>> 0;
    const result = await pipeline.edit(
      { ...sampling, seed, image, mask, label },
      {
        onScale: async (e) => {
          const ms = e.timings.transformerMs + e.timings.samplingMs + e.timings.quantizerMs;
          console.error(`image ${b} scale ${e.si + 1}/${e.scaleCount} · ${e.pn}×${e.pn} · ${ms.toFixed(0)} ms`);
          if (values.scales) {
            const png = toPngs(await e.decodePreview())[0] as Uint8Array;
            await writeFile(join(outDir, `image-${b}-scale-${e.si}.png`), png);
          }
        },
      },
    );
    const file = `image-${b}.png`;
    await writeFile(join(outDir, file), toPngs(result.images)[0] as Uint8Array);
    images.push({ file, seed, ids: Array.from(result.ids[0] as Int32Array) });
    runs.push({
      encodeMs: result.encodeMs,
      tokenizeMs: result.tokenizeMs,
      firstScaleMs: result.firstScaleMs,
      scales: result.scales,
      decodeMs: result.decodeMs,
      totalMs: result.totalMs,
    });
    if (b === 0) {
      const kept = result.generatedPerScale.map((g, si) => `${g}/${(m.patchNums[si] as number) ** 2}`).join(' ');
      console.error(`generated tokens per scale: ${kept}; image tokens: result.json imageIds`);
      Object.assign(images[0] as object, { imageIds: Array.from(result.imageIds) });
      Object.assign(runs[0] as object, { generatedPerScale: result.generatedPerScale });
    }
  }
  await pipeline.release();
  const report = {
    model: { name: m.name, label: m.label, randomWeights: m.randomWeights, patchNums: m.patchNums },
    settings: {
      edit: {
        image: values.image,
        imageSize: [imagePixels.width, imagePixels.height],
        mask: values.mask,
        maskSize: [maskPixels.width, maskPixels.height],
        fit: geometry,
        rule: 'token generated where the area-averaged mask is >= 0.5, else the image token (teacher forcing)',
        generatedPerScale: (runs[0] as { generatedPerScale?: number[] }).generatedPerScale,
      },
      class: label,
      className: label === null ? 'none' : IMAGENET_CLASSES[label]?.name,
      n,
      ...sampling,
      backend: backend.name,
    },
    timings: { sessionMs, runs },
    images,
  };
  await writeFile(join(outDir, 'result.json'), `${JSON.stringify(report, null, 2)}\n`);
  const total = runs.reduce((t, r) => t + r.totalMs, 0);
  console.error(`${n} edit(s) in ${(total / 1000).toFixed(2)} s → ${outDir}`);
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', short: 'm' },
      class: { type: 'string', short: 'c' },
      n: { type: 'string' },
      seed: { type: 'string' },
      cfg: { type: 'string' },
      'top-k': { type: 'string' },
      'top-p': { type: 'string' },
      'more-smooth': { type: 'boolean', default: false },
      fid: { type: 'boolean', default: false },
      scales: { type: 'boolean', default: false },
      backend: { type: 'string', default: 'wasm' },
      threads: { type: 'string' },
      out: { type: 'string', default: 'out' },
      image: { type: 'string' },
      mask: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.model) throw new UsageError('--model is required');
  if (!values.class) throw new UsageError('--class is required (with --image it may be "none")');
  if (values.mask !== undefined && values.image === undefined) throw new UsageError('--mask needs --image');
  if (values.image !== undefined && values.mask === undefined) throw new UsageError('--image needs --mask');
  const editing = values.image !== undefined;
  if (values.class === 'none' && !editing) throw new UsageError('--class none is only for edits (--image)');
  if (values.backend !== 'wasm' && values.backend !== 'native') {
    throw new UsageError(`--backend must be wasm or native, got "${values.backend}"`);
  }
  const base = values.fid ? FID_PRESET : DEMO_DEFAULTS;
  const n = number(values.n, 'n', 1);
  const sampling: SamplingOptions = {
    cfg: number(values.cfg, 'cfg', base.cfg),
    topK: number(values['top-k'], 'top-k', base.topK),
    topP: number(values['top-p'], 'top-p', base.topP),
    moreSmooth: values['more-smooth'] || base.moreSmooth,
    seed: number(values.seed, 'seed', 0),
  };
  const cls = values.class === 'none' ? { id: -1, name: 'none' } : resolveClass(values.class);
  // Before the pack is read: a typo should not cost a model load.
  validateSettings({ ...sampling, labels: [Math.max(cls.id, 0)], count: n }, { maxImages: MAX_IMAGES });
  if (editing) {
    await editMain(values as EditValues, sampling, cls.id < 0 ? null : cls.id, n);
    return;
  }
  const labels = Array.from({ length: n }, () => cls.id);
  const threads = threadsOption(values.threads);

  const pack = await openPackDir(resolve(values.model));
  const m = pack.manifest;
  if (cls.id >= m.numClasses)
    throw new VarError('E_BAD_CLASS', `${m.label} has ${m.numClasses} classes; ${cls.id} is outside`);
  validateSettings({ ...sampling, labels }, { vocabSize: m.var.vocabSize, numClasses: m.numClasses }); // top-k ≤ V
  const { backend, pipeline, sessionMs, outDir } = await loadRun(pack, values, threads);
  console.error(
    `${m.label}${m.randomWeights ? ' — random weights: expect noise' : ''}; class ${cls.id} "${cls.name}"; ` +
      `${n} image(s) on ${backend.name}; cfg ${sampling.cfg}, top-k ${sampling.topK}, top-p ${sampling.topP}` +
      `${sampling.moreSmooth ? ', more_smooth' : ''}, seed ${sampling.seed}`,
  );

  const result = await pipeline.generate(
    { ...sampling, labels },
    {
      onScale: async (e) => {
        const ms = e.timings.transformerMs + e.timings.samplingMs + e.timings.quantizerMs;
        console.error(`scale ${e.si + 1}/${e.scaleCount} · ${e.pn}×${e.pn} · ${ms.toFixed(0)} ms`);
        if (values.scales) {
          const pngs = toPngs(await e.decodePreview());
          await Promise.all(pngs.map((png, b) => writeFile(join(outDir, `image-${b}-scale-${e.si}.png`), png)));
        }
      },
    },
  );
  await pipeline.release();
  const pngs = toPngs(result.images);
  const images = await Promise.all(
    pngs.map(async (png, b) => {
      const file = `image-${b}.png`;
      await writeFile(join(outDir, file), png);
      return {
        file,
        class: cls.id,
        className: cls.name,
        // Reproduces this image alone: --seed <seed> --n 1 with the same pack and settings.
        seed: (sampling.seed + b) >>> 0,
        scaleFiles: values.scales ? m.patchNums.map((_, si) => `image-${b}-scale-${si}.png`) : undefined,
        ids: Array.from(result.ids[b] as Int32Array),
      };
    }),
  );
  const report = {
    model: { name: m.name, label: m.label, randomWeights: m.randomWeights, patchNums: m.patchNums },
    settings: { class: cls.id, className: IMAGENET_CLASSES[cls.id]?.name, n, ...sampling, backend: backend.name },
    timings: {
      sessionMs,
      firstScaleMs: result.firstScaleMs,
      scales: result.scales,
      decodeMs: result.decodeMs,
      totalMs: result.totalMs,
      perImageMs: result.totalMs / n,
    },
    images,
  };
  await writeFile(join(outDir, 'result.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.error(`${n} image(s) in ${(result.totalMs / 1000).toFixed(2)} s → ${outDir}`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || (error instanceof TypeError && 'code' in error)) {
    console.error(`error: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (error instanceof VarError) {
    console.error(`error ${error.code}: ${error.message}`);
    process.exit(1);
  }
  console.error(error);
  process.exit(1);
});
