// `npm run check:dist`: fails when the production build (dist/) holds a test part — a test page, the ORT lab or the
// test engine worker, a test-only hook, or a test pack. CI runs it after `npm run build`.

import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The product's pages: the app and the embed widget. */
export const APP_PAGES: readonly string[] = ['index.html', 'embed.html'];

/** Packs that exist only for tests (`npm run models -- --test-packs` writes them to .test-packs/). */
export const TEST_PACK_NAMES: readonly string[] = ['micro', 'micro-fp16'];

/**
 * Text that only test parts contain: the lab page and its globals, the test engine worker, the lost-device hook, and
 * the fake engine the page once had. Source maps are searched too: they would ship the test sources.
 */
export const TEST_MARKERS: readonly string[] = [
  'ort-lab',
  'ortLab',
  'engine-test.worker',
  'loseGpuDeviceForTesting',
  'fake-engine',
  'src/testing/',
];

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** Every test part found under `distDir`, one line each (empty when the build is clean). */
export async function findTestParts(distDir: string): Promise<string[]> {
  const problems: string[] = [];
  const files = await listFiles(distDir);
  const textual = /\.(html|js|mjs|css|json|map|webmanifest|txt)$/;
  for (const file of files) {
    const rel = relative(distDir, file);
    if (rel.endsWith('.html') && !APP_PAGES.includes(rel)) problems.push(`${rel}: a page other than the app's`);
    const pack = /^models\/([^/]+)\//.exec(rel)?.[1];
    if (pack && TEST_PACK_NAMES.includes(pack) && rel.endsWith('manifest.json')) {
      problems.push(`${rel}: test pack "${pack}"`);
    }
    if (!textual.test(rel) || rel.startsWith('models/')) continue;
    const text = await readFile(file, 'utf8');
    for (const marker of TEST_MARKERS) if (text.includes(marker)) problems.push(`${rel}: contains "${marker}"`);
  }
  const index = files.find((f) => relative(distDir, f) === join('models', 'index.json'));
  if (index) {
    const { packs } = JSON.parse(await readFile(index, 'utf8')) as { packs?: unknown };
    for (const name of Array.isArray(packs) ? packs : []) {
      if (TEST_PACK_NAMES.includes(String(name))) problems.push(`models/index.json: lists test pack "${name}"`);
    }
  }
  return problems;
}

async function main(): Promise<void> {
  const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
  const problems = await findTestParts(dist).catch((error: unknown) => [
    `cannot read ${dist} (run npm run build first): ${error instanceof Error ? error.message : String(error)}`,
  ]);
  if (problems.length > 0) {
    console.error(`check:dist: the production build holds test parts:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`check:dist: ${dist} holds the app only (no test page, test hook or test pack)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
