// `npm run models` (run before `dev` and `build`): the app's built-in pack under public/models/ and the index.
//
// Builds the default pack from the tiny fixture checkpoints (clearly labelled: random weights), then lists every pack
// folder found in public/models (real packs made with `npm run convert -- … --out public/models/var_d16` included) in
// public/models/index.json. With --test-packs it also builds the packs only tests use (the `micro` synthetic pack, fast
// enough for WebGPU tests on SwiftShader, and its fp16 variant) into .test-packs/, which only the test build
// (vite --mode e2e) serves: they never reach the production build.

import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MANIFEST_FILE } from '../core/pack/manifest';
import { parsePackManifest } from '../core/pack/pack-manifest-check';
import { runConvert } from './convert';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MODELS = resolve(ROOT, 'public/models');
const TEST_PACKS = resolve(ROOT, '.test-packs');
/** Built-in packs first (the first is the app's default model). */
const BUILT_IN = ['tiny'];

async function convert(argv: string[]): Promise<void> {
  let errors = '';
  const code = await runConvert(argv, {
    stdout: { write: () => true },
    stderr: { write: (text: string) => (errors += text) },
  });
  if (code !== 0) throw new Error(`convert ${argv.join(' ')} failed:\n${errors}`);
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const tinyVar = join(ROOT, 'fixtures/tiny_var.pth');
  const tinyVae = join(ROOT, 'fixtures/tiny_vae.pth');
  const tinyLabel = 'Tiny test model (random weights)';
  await convert([
    '--var',
    tinyVar,
    '--vae',
    tinyVae,
    '--out',
    join(MODELS, 'tiny'),
    '--name',
    'tiny',
    '--label',
    tinyLabel,
    '--random-weights',
    '--force',
  ]);
  if (process.argv.includes('--test-packs')) await buildTestPacks();
  await writeIndex();
  console.log(`models: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

async function buildTestPacks(): Promise<void> {
  const microLabel = 'Micro test model, 64 px (random weights)';
  await convert([
    '--synthetic',
    'micro',
    '--out',
    join(TEST_PACKS, 'micro'),
    '--name',
    'micro',
    '--label',
    microLabel,
    '--force',
  ]);
  // An fp16 variant: WebGPU adapters without shader-f16 (SwiftShader among them) must refuse it by name.
  const fp16Label = 'Micro test model, fp16 weights (needs shader-f16 on WebGPU)';
  await convert(
    ['--synthetic', 'micro', '--quant', 'fp16', '--out', join(TEST_PACKS, 'micro-fp16'), '--name', 'micro-fp16'].concat(
      ['--label', fp16Label, '--force'],
    ),
  );
  console.log('models: test packs micro, micro-fp16 → .test-packs/');
}

async function writeIndex(): Promise<void> {
  // Test packs used to be built here; a checkout that still has them must not list them to users.
  for (const stale of ['micro', 'micro-fp16']) await rm(join(MODELS, stale), { recursive: true, force: true });
  const found: string[] = [];
  for (const entry of await readdir(MODELS, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.includes('.partial-')) continue;
    try {
      const manifest = parsePackManifest(
        JSON.parse(await readFile(join(MODELS, entry.name, MANIFEST_FILE), 'utf8')),
        entry.name,
      );
      if (manifest.name !== entry.name) {
        console.warn(
          `skipping public/models/${entry.name}: its manifest names it "${manifest.name}" (rename the folder)`,
        );
        continue;
      }
      found.push(entry.name);
    } catch (error) {
      console.warn(`skipping public/models/${entry.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const packs = [...BUILT_IN.filter((n) => found.includes(n)), ...found.filter((n) => !BUILT_IN.includes(n)).sort()];
  await writeFile(join(MODELS, 'index.json'), `${JSON.stringify({ format: 'var-web-models', packs }, null, 2)}\n`);
  console.log(`models: ${packs.join(', ')} → public/models/index.json`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
