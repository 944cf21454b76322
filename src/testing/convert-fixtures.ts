// What in-browser conversion is compared with: `npm run convert` (runConvert) of the same checkpoint files into a
// temporary folder, and its manifest.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConvert } from '../cli/convert';
import type { PackManifest, QuantVariant } from '../core/pack/manifest';

export interface CliPack {
  readonly dir: string;
  readonly manifest: PackManifest;
  remove(): Promise<void>;
}

/** Runs the CLI on checkpoint bytes (written to files named `names`), `--quant quant`; the pack stays until remove(). */
export async function convertWithCli(
  checkpoints: { readonly var: Uint8Array; readonly vae: Uint8Array },
  quant: QuantVariant,
  names = { var: 'tiny_var.pth', vae: 'tiny_vae.pth' },
): Promise<CliPack> {
  const root = await mkdtemp(join(tmpdir(), 'var-web-cli-pack-'));
  const varPath = join(root, names.var);
  const vaePath = join(root, names.vae);
  await writeFile(varPath, checkpoints.var);
  await writeFile(vaePath, checkpoints.vae);
  const dir = join(root, 'pack');
  let errors = '';
  const code = await runConvert(['--var', varPath, '--vae', vaePath, '--quant', quant, '--out', dir], {
    stdout: { write: () => true },
    stderr: {
      write: (text: string) => {
        errors += text;
        return true;
      },
    },
  });
  if (code !== 0) throw new Error(`convert failed (${code}): ${errors}`);
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as PackManifest;
  return { dir, manifest, remove: () => rm(root, { recursive: true, force: true }) };
}
