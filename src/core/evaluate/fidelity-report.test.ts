// Floors on what quantization may cost the tiny pack (fixtures/tiny_*.pth): a change that makes a variant worse fails.
//
// The floors sit a little below what the variants measured when they were set (README "Quantized packs": cosine, KL,
// greedy agreement under teacher forcing, decoder PSNR; WASM, class 207, cfg 4). The tiny model is random-weight
// VAR at initialization; real checkpoints should be compared with npm run quant-report.

import { beforeAll, describe, expect, it } from 'vitest';
import { nodeBackend } from '../../node/ort-backends';
import { openFixture } from '../../testing/fixtures';
import type { InferenceBackend } from '../generate/backend';
import { type PackOptions, type PackPlan, planPack } from '../pack/build-pack';
import type { PackManifest, QuantVariant } from '../pack/manifest';
import type { PackSource } from '../pack/pack-source';
import { compareToReference, type FidelitySettings, type ReferenceRun, runReference } from './fidelity-report';

/** A planned pack held in memory (its streams drained once); hashes are not checked by this source. */
async function memoryPack(plan: PackPlan): Promise<PackSource> {
  const files = new Map<string, Uint8Array>();
  for (const f of plan.files) {
    const chunks: Uint8Array[] = [];
    for await (const c of f.chunks()) chunks.push(c.slice());
    const bytes = new Uint8Array(f.byteLength);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.byteLength;
    }
    files.set(f.path, bytes);
  }
  const manifest: PackManifest = {
    ...plan.manifest,
    files: [...files].map(([path, data]) => ({ path, bytes: data.byteLength, sha256: '0'.repeat(64) })),
  };
  return {
    manifest,
    file: async (path) => {
      const data = files.get(path);
      if (!data) throw new Error(`no ${path}`);
      return data;
    },
  };
}

async function tinyPack(options: PackOptions): Promise<PackSource> {
  const [v, q] = await Promise.all([openFixture('tiny_var.pth'), openFixture('tiny_vae.pth')]);
  const source = { path: 'x', bytes: 1, sha256: '0'.repeat(64) };
  return memoryPack(
    await planPack({ kind: 'checkpoints', var: v, vae: q, source: { var: source, vae: source } }, options),
  );
}

const SETTINGS: FidelitySettings = { labels: [207], cfg: 4, freeRun: false };

/**
 * Floors per variant: cosine mean, cosine worst (≥), KL mean, KL worst (≤, nats), teacher-forced argmax agreement (≥),
 * decoder PSNR (≥, dB). Measured when set (WASM, class 207, cfg 4, q4 = 128-value symmetric blocks):
 *   q4    0.993703 / 0.982856, 6.75e-2 / 2.03e-1, 72.2 %, 41.5 dB
 *   q8    0.999971 / 0.999937, 3.09e-4 / 1.00e-3, 97.4 %, 41.5 dB
 *   fp16  1 − 4e-9 / 1 − 2e-8,  3.79e-7 / 1.15e-6, 100 %,  72.4 dB
 * Each floor leaves ~15 % of the measured loss as margin (the run is deterministic: WASM, one thread).
 */
const FLOORS: Record<Exclude<QuantVariant, 'none'>, [number, number, number, number, number, number]> = {
  q4: [0.9925, 0.98, 0.078, 0.235, 0.65, 40],
  q8: [0.99996, 0.99992, 3.6e-4, 1.2e-3, 0.95, 40],
  fp16: [0.999999, 0.999999, 5e-7, 1.5e-6, 0.99, 70],
};

let backend: InferenceBackend;
let reference: ReferenceRun;

beforeAll(async () => {
  backend = await nodeBackend('wasm', 1);
  reference = await runReference(await tinyPack({ quant: 'none' }), backend, SETTINGS);
});

describe('quantization fidelity on the tiny pack (teacher-forced against float32)', () => {
  it.each(Object.entries(FLOORS))('%s stays above its floors', async (variant, floors) => {
    const pack = await tinyPack({ quant: variant as QuantVariant });
    const r = await compareToReference(pack, backend, reference, SETTINGS);
    const [cosMean, cosWorst, klMean, klWorst, agreement, decoderPsnr] = floors;
    console.info(
      `${variant}: cos ${r.logitCosine.mean.toFixed(6)}/${r.logitCosine.worst.toFixed(6)}, KL ${r.logitKl.mean.toExponential(2)}/${r.logitKl.worst.toExponential(2)}, argmax ${(100 * r.argmaxAgreement).toFixed(1)} %, decoder PSNR ${r.decoderPsnr.min.toFixed(1)} dB`,
    );
    expect(r.perScale).toHaveLength(10);
    expect(r.logitCosine.mean).toBeGreaterThanOrEqual(cosMean);
    expect(r.logitCosine.worst).toBeGreaterThanOrEqual(cosWorst);
    expect(r.logitKl.mean).toBeLessThanOrEqual(klMean);
    expect(r.logitKl.worst).toBeLessThanOrEqual(klWorst);
    expect(r.argmaxAgreement).toBeGreaterThanOrEqual(agreement);
    expect(r.decoderPsnr.min).toBeGreaterThanOrEqual(decoderPsnr);
    // The measures are not vacuous: quantized weights do change the logits.
    expect(r.logitKl.mean).toBeGreaterThan(0);
  });

  it('refuses to compare packs of different models', async () => {
    const micro = await memoryPack(await planPack({ kind: 'synthetic', architecture: 'micro' }));
    await expect(compareToReference(micro, backend, reference, SETTINGS)).rejects.toMatchObject({
      code: 'E_PACK_MISMATCH',
    });
  });
});
