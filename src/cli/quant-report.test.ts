// The quant-report CLI: argument errors before any work, and the table it prints from a report.

import { describe, expect, it } from 'vitest';
import type { FidelityResult } from '../core/evaluate/fidelity-report';
import { formatReport, runQuantReport } from './quant-report';

async function report(...argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const code = await runQuantReport(argv, {
    stdout: { write: () => true },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stderr };
}

describe('npm run quant-report', () => {
  it.each([
    [['pack-q4'], /--reference <float32 pack dir> is required/],
    [['--reference', 'pack'], /name at least one pack/],
    [['a', '--reference', 'b', '--backend', 'webgpu'], /--backend must be wasm or native/],
    [['a', '--reference', 'b', '--bogus'], /Unknown option '--bogus'/],
  ])('exits 2 with the usage for %j', async (argv, message) => {
    const { code, stderr } = await report(...argv);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toContain('usage: npm run quant-report');
  });

  it('exits 1 naming a missing reference pack', async () => {
    const { code, stderr } = await report('a', '--reference', '/nonexistent/pack', '--no-free-run');
    expect(code).toBe(1);
    expect(stderr).toMatch(/error E_PACK_MISSING: no model pack at \/nonexistent\/pack/);
  });

  it('prints one row per pack and a per-scale table', () => {
    const result: FidelityResult = {
      pack: { name: 'tiny-q4', quant: 'q4', bytes: 2_500_000 },
      reference: { name: 'tiny', quant: 'none', bytes: 9_300_000 },
      backend: 'wasm',
      settings: { labels: [207], cfg: 4, freeRun: false },
      logitCosine: { mean: 0.99371, worst: 0.98286, worstAt: { row: 1, si: 9, token: 3 } },
      logitKl: { mean: 0.0675, worst: 0.203, worstAt: { row: 0, si: 2, token: 1 } },
      argmaxAgreement: 0.722,
      perScale: [{ si: 0, pn: 1, cosineMean: 0.99276, klMean: 0.0506, argmaxAgreement: 1 }],
      decoderPsnr: { mean: 41.5, min: 41.5 },
      seconds: 2,
    };
    const text = formatReport({
      reference: { name: 'tiny', bytes: 9_300_000, seconds: 3 },
      backend: 'wasm',
      settings: result.settings,
      packs: [result],
    });
    expect(text).toMatch(/^reference tiny \(9\.3 MB\) · wasm · labels 207 · cfg 4/);
    expect(text).toMatch(
      /tiny-q4 +q4 +2\.5 +0\.99371 \/ 0\.98286 +6\.75e-2 \/ 2\.03e-1 +72\.2 % +– +41\.5 \/ 41\.5 +–/,
    );
    expect(text).toMatch(/ {2}0 1×1 +0\.99276 {2}5\.06e-2 +100\.0 % +–/);
  });
});
