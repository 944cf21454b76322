// `npm run bench -- --smoke` on a 4-bit tiny pack, as CI runs it: a subprocess, one run, JSON with every figure.

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../testing/fixtures';
import { tempDir } from '../testing/pack-fixtures';
import { runBench } from './bench';
import { runConvert } from './convert';

const run = promisify(execFile);
let work: { dir: string; cleanup(): Promise<void> };
let pack: string;

beforeAll(async () => {
  work = await tempDir('bench');
  pack = join(work.dir, 'tiny-q4');
  const quiet = { write: () => true };
  const code = await runConvert(
    ['--var', fixturePath('tiny_var.pth'), '--vae', fixturePath('tiny_vae.pth'), '--out', pack, '--quant', 'q4'],
    { stdout: quiet, stderr: quiet },
  );
  expect(code).toBe(0);
});

afterAll(async () => {
  await work.cleanup();
});

interface Stat {
  median: number;
  min: number;
  max: number;
}

describe('npm run bench', () => {
  it('--smoke runs a quantized pack once on WASM and reports every part of the generation', async () => {
    const json = join(work.dir, 'bench.json');
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'src/cli/bench.ts', '--model', pack, '--smoke', '--threads', '1', '--json', json],
      { cwd: process.cwd(), maxBuffer: 1 << 24 },
    );
    expect(stdout).toMatch(/^VAR-d2 \(1M\) · 4-bit · wasm · batch 1 · 1 runs \(\+0 warm-up\)/);
    expect(stdout).toContain('runtime onnxruntime-web 1.30.0 (WASM EP)');
    for (const line of ['session creation', 'scale  9 16×16', 'decode', 'time to first scale', 'per image', 'peak RSS'])
      expect(stdout).toContain(line);
    const r = JSON.parse(await readFile(json, 'utf8')) as {
      pack: { quant: string; weights: string; decoderWeights: string; bytes: number };
      backend: string;
      runs: number;
      warmup: number;
      sessionMs: number;
      firstScaleMs: Stat;
      decodeMs: Stat;
      totalMs: Stat;
      perImageMs: Stat;
      decoderShare: number;
      peakRssMB: number;
      perScale: { transformer: Stat; sampling: Stat; quantizer: Stat }[];
    };
    expect(r.pack).toMatchObject({ quant: 'q4', weights: 'q4', decoderWeights: 'q8' });
    expect(r.pack.bytes).toBeLessThan(4e6); // 2.5 MB before the editing encoder and tokenizer (+0.9 MB int8)
    expect(r).toMatchObject({ backend: 'wasm', runs: 1, warmup: 0 });
    expect(r.perScale).toHaveLength(10);
    for (const s of r.perScale) expect(s.transformer.median).toBeGreaterThan(0);
    expect(r.sessionMs).toBeGreaterThan(0);
    expect(r.firstScaleMs.median).toBeGreaterThan(0);
    expect(r.firstScaleMs.median).toBeLessThan(r.totalMs.median);
    expect(r.decodeMs.median).toBeGreaterThan(0);
    expect(r.decoderShare).toBeGreaterThan(0);
    expect(r.decoderShare).toBeLessThan(1);
    expect(r.perImageMs.median).toBe(r.totalMs.median);
    expect(r.peakRssMB).toBeGreaterThan(50);
  });

  it.each([
    [[], /--model <pack dir> is required/],
    [['--model', 'x', '--backend', 'cuda'], /--backend must be wasm or native/],
    [['--model', 'x', '--runs', '0'], /--runs must be an integer ≥ 1/],
  ])('exits 2 with the usage for %j', async (argv, message) => {
    let stderr = '';
    const code = await runBench(argv, {
      stdout: { write: () => true },
      stderr: { write: (t: string) => (stderr += t) },
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toContain('usage: npm run bench');
  });

  it('exits 1 naming the problem when the pack is missing', async () => {
    let stderr = '';
    const code = await runBench(['--model', join(work.dir, 'nope'), '--smoke'], {
      stdout: { write: () => true },
      stderr: { write: (t: string) => (stderr += t) },
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^error E_PACK_MISSING: no model pack at /);
  });
});
