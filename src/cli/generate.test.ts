// The generate CLI as a person runs it: convert the tiny checkpoints, generate greedily, compare with the goldens.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath, loadNpy } from '../testing/fixtures';
import { comparePngWithGoldenPng } from '../testing/golden-png';

const run = promisify(execFile);
const tsx = (script: string, args: string[]) =>
  run(process.execPath, ['--import', 'tsx', `src/cli/${script}.ts`, ...args], {
    cwd: process.cwd(),
    maxBuffer: 1 << 24,
  });

let work: string;
let pack: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'var-generate-'));
  pack = join(work, 'tiny');
  await tsx('convert', ['--var', fixturePath('tiny_var.pth'), '--vae', fixturePath('tiny_vae.pth'), '--out', pack]);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface ResultJson {
  settings: { class: number; cfg: number; topK: number; backend: string };
  images: { file: string; seed: number; ids: number[] }[];
  timings: { totalMs: number; scales: unknown[] };
}

// Per backend, about 3× the measured count of PNG bytes that differ from the golden (beside each).
const PNG_LIMITS = {
  wasm: { differing: 200, maxByteDiff: 1 }, // measured: 62 of 196,608 bytes, max 1
  native: { differing: 80, maxByteDiff: 1 }, // measured: 24 of 196,608 bytes, max 1 (onnxruntime-node CPU kernels)
} as const;

describe('npm run generate', () => {
  it.each(['wasm', 'native'])('greedy (top-k 1, cfg 4) on %s writes the official ids and PNGs', async (backend) => {
    const out = join(work, `greedy-${backend}`);
    await tsx('generate', [
      '--model',
      pack,
      '--class',
      'golden retriever',
      '--top-k',
      '1',
      '--cfg',
      '4',
      '--backend',
      backend,
      '--out',
      out,
    ]);
    const result = JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as ResultJson;
    expect(result.settings).toMatchObject({ class: 207, cfg: 4, topK: 1, backend });
    expect(result.timings.scales).toHaveLength(10);
    const golden = loadNpy('a_cfg4_ids.npy', 'int32').data.subarray(680, 1360); // row 1 = label 207
    expect(result.images[0]?.ids).toEqual(Array.from(golden));
    const png = await readFile(join(out, result.images[0]?.file as string));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    // The written PNG against image 1 of the golden PNG (same class and settings).
    const parity = comparePngWithGoldenPng(png, 'a_cfg4_image.png', 1);
    console.info(
      `generate CLI ${backend}: ${parity.differing} of ${parity.bytes} bytes differ, max ${parity.maxByteDiff}`,
    );
    const limits = PNG_LIMITS[backend as 'wasm' | 'native'];
    expect(parity.maxByteDiff).toBeLessThanOrEqual(limits.maxByteDiff);
    expect(parity.differing).toBeLessThanOrEqual(limits.differing);
  });

  it('seeds image i with seed + i, and writes the image after every scale with --scales', async () => {
    const batch = join(work, 'batch');
    await tsx('generate', ['--model', pack, '--class', '980', '--n', '2', '--seed', '5', '--out', batch]);
    const result = JSON.parse(await readFile(join(batch, 'result.json'), 'utf8')) as ResultJson;
    expect(result.images.map((i) => i.seed)).toEqual([5, 6]);
    const scales = join(work, 'scales');
    await tsx('generate', ['--model', pack, '--class', '980', '--seed', '6', '--scales', '--out', scales]);
    const single = JSON.parse(await readFile(join(scales, 'result.json'), 'utf8')) as ResultJson;
    expect(single.images[0]?.ids).toEqual(result.images[1]?.ids);
    for (const si of [0, 9])
      expect((await readFile(join(scales, `image-0-scale-${si}.png`))).byteLength).toBeGreaterThan(100);
  });

  it.each([
    [['--class', 'unicorn'], 1, /E_BAD_CLASS: No ImageNet class is called "unicorn"/],
    [['--class', 'crane'], 1, /E_BAD_CLASS: "crane" matches 2 classes/],
    [['--class', '1', '--cfg=-2'], 1, /E_BAD_SETTINGS: cfg must be between 0 and 50/],
    [['--class', '1', '--cfg', 'x'], 2, /--cfg must be a number/],
    // Every field through the core's validateSettings (E_BAD_SETTINGS naming the field), as the pipeline and engine.
    [['--class', '1', '--cfg', 'NaN'], 1, /E_BAD_SETTINGS: cfg must be between 0 and 50, got NaN/],
    [['--class', '1', '--top-k', '1.5'], 1, /E_BAD_SETTINGS: topK must be an integer/],
    [
      ['--class', '1', '--top-k', '4097'],
      1,
      /E_BAD_SETTINGS: topK must be an integer from 0 \(off\) to 4096, got 4097/,
    ],
    [['--class', '1', '--top-p', 'Infinity'], 1, /E_BAD_SETTINGS: topP must be between 0 \(off\) and 1, got Infinity/],
    [['--class', '1', '--seed=-1'], 1, /E_BAD_SETTINGS: seed must be an integer from 0 to 4294967295, got -1/],
    [['--class', '1', '--seed', '0.5'], 1, /E_BAD_SETTINGS: seed must be/],
    [['--class', '1', '--n', '0'], 1, /E_BAD_SETTINGS: count must be an integer from 1 to 64, got 0/],
    [['--class', '1', '--n', '2.5'], 1, /E_BAD_SETTINGS: count must be/],
    [['--class', '1', '--n=-Infinity'], 1, /E_BAD_SETTINGS: count must be/],
    [['--class', '1', '--backend', 'cuda'], 2, /--backend must be wasm or native/],
  ])('rejects %j with exit code %d', async (args, code, message) => {
    const error = await tsx('generate', ['--model', pack, ...args, '--out', join(work, 'bad')]).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code });
    expect((error as { stderr: string }).stderr).toMatch(message);
  });

  it('rejects a missing pack and a pack of an unknown format version', async () => {
    const missing = await tsx('generate', ['--model', join(work, 'nope'), '--class', '1']).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 1 });
    expect((missing as { stderr: string }).stderr).toMatch(/E_PACK_MISSING/);
    const future = join(work, 'future');
    await tsx('convert', ['--var', fixturePath('tiny_var.pth'), '--vae', fixturePath('tiny_vae.pth'), '--out', future]);
    const manifestPath = join(future, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { formatVersion: number };
    await writeFile(manifestPath, JSON.stringify({ ...manifest, formatVersion: 99 }));
    const error = await tsx('generate', ['--model', future, '--class', '1']).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 1 });
    expect((error as { stderr: string }).stderr).toMatch(/E_PACK_VERSION/);
  });
});
