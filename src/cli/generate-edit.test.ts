// `npm run generate -- --image … --mask …` (issue 16) as a person runs it: the edit goldens, and bad inputs.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encode as encodePng } from 'fast-png';
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
const input = fixturePath('edit/edit_input.png');

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'var-edit-'));
  pack = join(work, 'tiny');
  await tsx('convert', ['--var', fixturePath('tiny_var.pth'), '--vae', fixturePath('tiny_vae.pth'), '--out', pack]);
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface EditJson {
  settings: {
    class: number | null;
    edit: { fit: { mode: string; resized: number[]; crop: number[] }; generatedPerScale: number[] };
  };
  images: { file: string; seed: number; ids: number[]; imageIds?: number[] }[];
  timings: { runs: { encodeMs: number; totalMs: number }[] };
}

/** A PNG of one grey level (or a centre box of white), any size. */
function greyPng(width: number, height: number, value: number, box = false): Uint8Array {
  const data = new Uint8Array(width * height).fill(value);
  if (box) {
    for (let y = Math.floor(height / 4); y < Math.floor((3 * height) / 4); y++)
      data.fill(255, y * width + Math.floor(width / 4), y * width + Math.floor((3 * width) / 4));
  }
  return encodePng({ width, height, data, channels: 1, depth: 8 });
}

// About 3× the measured count of PNG bytes that differ from the golden: inpaint 27, outpaint 23 of 196,608, max 1
// (onnxruntime-node CPU kernels; WASM parity is var-pipeline.edit.test.ts: 78 and 72).
const PNG_LIMITS = { differing: 80, maxByteDiff: 1 } as const;

async function edit(name: string, args: string[]): Promise<EditJson> {
  const out = join(work, name);
  await tsx('generate', ['--model', pack, '--out', out, ...args]);
  return JSON.parse(await readFile(join(out, 'result.json'), 'utf8')) as EditJson;
}

describe('npm run generate -- --image --mask', () => {
  it.each([
    ['inpaint', '207', 'native'],
    ['outpaint', 'none', 'native'],
  ] as const)('greedy %s (class %s) on %s writes the official ids and PNG', async (name, cls, backend) => {
    const mask = fixturePath(`edit/mask_${name}.png`);
    const args = ['--image', input, '--mask', mask, '--class', cls, '--top-k', '1', '--cfg', '4', '--backend', backend];
    const result = await edit(`${name}-${backend}`, args);
    expect(result.settings.class).toBe(cls === 'none' ? null : 207);
    expect(result.settings.edit.fit.mode).toBe('as-is');
    expect(result.images[0]?.ids).toEqual(Array.from(loadNpy(`edit/edit_${name}_ids.npy`, 'int32').data));
    expect(result.images[0]?.imageIds).toEqual(Array.from(loadNpy('edit/edit_ids.npy', 'int32').data));
    const png = await readFile(join(work, `${name}-${backend}`, 'image-0.png'));
    const parity = comparePngWithGoldenPng(png, `edit/edit_${name}.png`, 0);
    console.info(`edit CLI ${name} ${backend}: ${parity.differing} of ${parity.bytes} bytes differ`);
    expect(parity.maxByteDiff).toBeLessThanOrEqual(PNG_LIMITS.maxByteDiff);
    expect(parity.differing).toBeLessThanOrEqual(PNG_LIMITS.differing);
  });

  it('an all-white mask is plain generation; any image size goes through the VAR evaluation transform', async () => {
    const white = join(work, 'white.png');
    await writeFile(white, greyPng(256, 256, 255));
    const native = ['--backend', 'native'];
    const edited = await edit('white', ['--image', input, '--mask', white, '--class', '980', '--seed', '3', ...native]);
    const plain = await edit('plain', ['--class', '980', '--seed', '3', ...native]);
    expect(edited.images[0]?.ids).toEqual(plain.images[0]?.ids);
    // A 600×400 image with a 300×200 mask (same aspect ratio): shorter side to 288, centre crop 256.
    const wide = join(work, 'wide.png');
    await writeFile(wide, greyPng(600, 400, 90));
    const small = join(work, 'small-mask.png');
    await writeFile(small, greyPng(300, 200, 0, true));
    const resized = await edit('wide', ['--image', wide, '--mask', small, '--class', '1', '--top-k', '1', ...native]);
    expect(resized.settings.edit.fit).toEqual({ mode: 'var-eval', resized: [432, 288], crop: [88, 16] });
    // The box covers the centre half of the 600×400 image: after the crop it covers x 20…236, y 84…172 of 256.
    const generated = resized.settings.edit.generatedPerScale;
    expect(generated[9]).toBeGreaterThan(60);
    expect(generated[9]).toBeLessThan(16 * 16);
  });

  it.each([
    ['a non-image file', 'image', async (p: string) => writeFile(p, 'not a png at all'), /E_BAD_IMAGE: .* not a PNG/],
    [
      'a damaged PNG',
      'image',
      async (p: string) => writeFile(p, (await readFile(input)).subarray(0, 200)),
      /E_BAD_IMAGE: .*not a readable PNG/,
    ],
    [
      // Only the header: 20 000 × 20 000 (1.6 GB decoded) is refused before anything is decoded.
      'a huge image',
      'image',
      async (p: string) => {
        const png = greyPng(1, 1, 0);
        new DataView(png.buffer, png.byteOffset).setUint32(16, 20_000);
        new DataView(png.buffer, png.byteOffset).setUint32(20, 20_000);
        await writeFile(p, png);
      },
      /E_BAD_IMAGE: the image is 20000×20000 pixels; at most 16384 a side/,
    ],
    [
      'a mask of another aspect ratio',
      'mask',
      async (p: string) => writeFile(p, greyPng(256, 128, 255)),
      /E_BAD_MASK: the mask is 256×128, the image 256×256: the mask must have the image's aspect ratio/,
    ],
  ] as const)('refuses %s with a specific error (exit 1)', async (_what, which, make, message) => {
    const bad = join(work, `bad-${Math.random().toString(36).slice(2)}.png`);
    await make(bad);
    const args =
      which === 'image'
        ? ['--image', bad, '--mask', fixturePath('edit/mask_inpaint.png')]
        : ['--image', input, '--mask', bad];
    const t0 = performance.now();
    const error = await tsx('generate', ['--model', pack, '--class', '1', ...args, '--out', join(work, 'bad')]).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 1 });
    expect((error as { stderr: string }).stderr).toMatch(message);
    expect(performance.now() - t0).toBeLessThan(15_000);
  });

  it.each([
    [['--class', 'none'], /--class none is only for edits/],
    [['--class', '1', '--image', input], /--image needs --mask/],
    [['--class', '1', '--mask', input], /--mask needs --image/],
  ])('usage errors (exit 2): %j', async (args, message) => {
    const error = await tsx('generate', ['--model', pack, ...args]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 2 });
    expect((error as { stderr: string }).stderr).toMatch(message);
  });

  it('a pack without the encoder (written before editing) cannot edit: E_PACK_NO_ENCODER', async () => {
    const old = join(work, 'old');
    await cp(pack, old, { recursive: true });
    const manifestPath = join(old, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { graphs: Record<string, unknown> };
    delete manifest.graphs.encoder;
    delete manifest.graphs.tokenizer;
    await writeFile(manifestPath, JSON.stringify(manifest));
    const mask = fixturePath('edit/mask_inpaint.png');
    const error = await tsx('generate', ['--model', old, '--class', '1', '--image', input, '--mask', mask]).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 1 });
    expect((error as { stderr: string }).stderr).toMatch(/E_PACK_NO_ENCODER: .*re-convert it/);
  });
});
