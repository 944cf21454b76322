// The convert CLI: usage errors, input errors reported before anything is written, and real runs as a subprocess.

import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PackManifest } from '../core/pack/manifest';
import { syntheticModel } from '../core/pack/synthetic';
import { fixturePath } from '../testing/fixtures';
import { listDir, tempDir, varCheckpointBytes } from '../testing/pack-fixtures';
import { runConvert } from './convert';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

let root: { dir: string; cleanup(): Promise<void> };

beforeAll(async () => {
  root = await tempDir('convert');
});

afterAll(async () => {
  await root.cleanup();
});

/** Runs the CLI in-process; returns its exit code and what it printed. */
async function convert(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runConvert(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text), isTTY: false },
  });
  return { code, stdout, stderr };
}

describe('convert CLI', () => {
  it.each([
    [[], /give --var and --vae/],
    [['--synthetic', 'd99', '--out', 'x'], /--synthetic must be one of d16, d20, d24, d30, micro/],
    [['--synthetic', 'micro', '--var', 'a.pth', '--out', 'x'], /either --synthetic or --var and --vae/],
    [['--synthetic', 'micro'], /--out <dir> is required/],
    [['--synthetic', 'micro', '--out', 'x', '--attention', 'flash'], /--attention must be matmul or mha/],
    [['--var', 'a', '--vae', 'b', '--out', 'x', '--seed', '3'], /--seed applies to --synthetic packs only/],
    [['--synthetic', 'micro', '--out', 'x', '--seed', '-1'], /--seed/],
    [['--synthetic', 'micro', '--out', 'x', '--quant', 'q2'], /--quant must be one of q4, q8, fp16, none/],
    [
      ['--synthetic', 'micro', '--out', 'x', '--quant', 'q4', '--q4-block', '48'],
      /--q4-block must be a power of 2 ≥ 16/,
    ],
    [['--synthetic', 'micro', '--out', 'x', '--quant', 'q8', '--q4-block', '32'], /apply to --quant q4 only/],
    [['--synthetic', 'micro', '--out', 'x', '--activations', 'bf16'], /--activations must be float32 or float16/],
    [
      ['--synthetic', 'micro', '--out', 'x', '--quant', 'q8', '--activations', 'float16'],
      /--activations float16 applies to --quant q4 or fp16 only/,
    ],
    [['--synthetic', 'micro', '--out', 'x', '--activations', 'float16'], /applies to --quant q4 or fp16 only/],
    [['--bogus'], /Unknown option '--bogus'/],
  ])('exits 2 with the usage text for %j', async (argv, message) => {
    const { code, stderr } = await convert(...argv);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toContain('usage:');
  });

  it('reports a VAR/VQ-VAE pair that does not fit (E_PACK_MISMATCH) before writing anything', async () => {
    const config = { ...syntheticModel('micro').var, patchNums: [1, 2, 3, 4, 5, 6, 8, 10, 13, 16], numTokens: 680 };
    const parent = join(root.dir, 'mismatch');
    const { dir: inputs, cleanup } = await tempDir('inputs');
    try {
      const varFile = join(inputs, 'var_cvae16.pth');
      await writeFile(varFile, await varCheckpointBytes({ ...config, cvae: 16 }));
      const { code, stderr, stdout } = await convert(
        '--var',
        varFile,
        '--vae',
        fixturePath('tiny_vae.pth'),
        '--out',
        join(parent, 'pack'),
      );
      expect(code).toBe(1);
      expect(stderr).toMatch(
        /^error E_PACK_MISMATCH: var_cvae16\.pth and tiny_vae\.pth do not belong together: latent channels .*: 16 in var_cvae16\.pth, 32 in tiny_vae\.pth\n$/,
      );
      expect(stdout).toBe('');
      // Not even the parent folder was made.
      await expect(listDir(parent)).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await cleanup();
    }
  });

  it('reports swapped checkpoints (E_WRONG_CHECKPOINT_KIND) and an existing outDir (E_PACK_EXISTS)', async () => {
    const swapped = await convert(
      '--var',
      fixturePath('tiny_vae.pth'),
      '--vae',
      fixturePath('tiny_var.pth'),
      '--out',
      join(root.dir, 'swapped'),
    );
    expect(swapped.code).toBe(1);
    expect(swapped.stderr).toMatch(/^error E_WRONG_CHECKPOINT_KIND: this is a VQ-VAE checkpoint \(tiny_vae\.pth\)/);
    expect(await listDir(root.dir)).not.toContain('swapped');

    const exists = await convert('--synthetic', 'micro', '--out', root.dir);
    expect(exists.code).toBe(1);
    expect(exists.stderr).toMatch(/^error E_PACK_EXISTS: .* already exists/);
  });

  it('--activations float16 makes an -a16 pack that needs shader-f16', async () => {
    const out = join(root.dir, 'a16');
    const { code, stderr } = await convert(
      '--var',
      fixturePath('tiny_var.pth'),
      '--vae',
      fixturePath('tiny_vae.pth'),
      '--out',
      out,
      '--quant',
      'q4',
      '--activations',
      'float16',
    );
    expect(stderr).not.toMatch(/error/);
    expect(code).toBe(0);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as PackManifest;
    expect(manifest.name).toBe('var_d2-q4-a16');
    expect(manifest.requires).toContain('shader-f16');
    expect(manifest.graphs.transformer.activations).toBe('float16');
  });

  it('converts the tiny fixtures with name, label and random-weights flags', async () => {
    const out = join(root.dir, 'tiny');
    const { code, stdout, stderr } = await convert(
      '--var',
      fixturePath('tiny_var.pth'),
      '--vae',
      fixturePath('tiny_vae.pth'),
      '--out',
      out,
      '--name',
      'tiny',
      '--label',
      'Tiny test model (random weights)',
      '--random-weights',
      '--attention',
      'mha',
    );
    expect(stderr).not.toMatch(/error/);
    expect(code).toBe(0);
    // Not a TTY: one progress line per file, no carriage returns.
    expect(stderr.match(/^ {2}\[\d\/9\] /gm)).toHaveLength(9); // graphs, weights, codebook, encoder and tokenizer
    expect(stderr).not.toContain('\r');
    expect(stdout).toMatch(/name tiny, label "Tiny test model \(random weights\)", random weights/);
    expect(stdout).toMatch(/total 12\.\d MB in 9 files/);
    expect(await listDir(out)).toContain('manifest.json');
  });

  // Two real processes (tsx start-up is ~1–2 s each): one success, one error exit code.
  it('runs as a subprocess: exit 0 for a synthetic micro pack, exit 1 with "error E_IO" for a missing checkpoint', async () => {
    const run = promisify(execFile);
    const cli = ['tsx', 'src/cli/convert.ts'];
    const out = join(root.dir, 'micro');
    const ok = await run('npx', [...cli, '--synthetic', 'micro', '--out', out, '--seed', '7', '--verbose'], {
      cwd: REPO,
    });
    expect(ok.stdout).toMatch(/^pack .*micro$/m);
    expect(ok.stdout).toMatch(/peak RSS \d+\.\d MB/);
    expect(ok.stderr).toMatch(/\[9\/9\] tokenizer\.onnx/);
    expect(await listDir(out)).toContain('manifest.json');

    const failed = await run(
      'npx',
      [...cli, '--var', 'missing.pth', '--vae', 'missing2.pth', '--out', join(root.dir, 'x')],
      {
        cwd: REPO,
      },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^error E_IO: Cannot open missing\.pth/);
  });
});
