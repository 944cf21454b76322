import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findTestParts } from './check-dist';

let dir = '';
async function put(path: string, text: string): Promise<void> {
  await mkdir(dirname(join(dir, path)), { recursive: true });
  await writeFile(join(dir, path), text);
}

async function cleanBuild(): Promise<void> {
  dir = await mkdtemp(join(tmpdir(), 'var-web-dist-'));
  await put('index.html', '<script type="module" src="/assets/main.js"></script>');
  await put('embed.html', '<script type="module" src="/assets/embed.js"></script>');
  await put('assets/main.js', 'console.log("app")');
  await put('assets/engine.worker.js', 'self.onmessage = () => {}');
  await put('models/index.json', JSON.stringify({ packs: ['tiny'] }));
  await put('models/tiny/manifest.json', '{}');
}

afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('check:dist', () => {
  it('passes a build with only the app and its packs', async () => {
    await cleanBuild();
    expect(await findTestParts(dir)).toEqual([]);
  });

  it('finds a test page', async () => {
    await cleanBuild();
    await put('src/testing/lab/ort-lab.html', '<p>lab</p>');
    expect((await findTestParts(dir)).join('\n')).toMatch(/ort-lab\.html: a page other than the app's/);
  });

  it('finds a test hook or the lab inside a script or a source map', async () => {
    await cleanBuild();
    await put('assets/engine.worker.js', 'async loseGpuDeviceForTesting(){}');
    await put('assets/main.js.map', '{"sources":["../src/testing/lab/lab-page.ts"]}');
    const problems = (await findTestParts(dir)).join('\n');
    expect(problems).toMatch(/engine\.worker\.js: contains "loseGpuDeviceForTesting"/);
    expect(problems).toMatch(/main\.js\.map: contains "src\/testing\/"/);
  });

  it('finds a test pack, in a folder or in the models index', async () => {
    await cleanBuild();
    await put('models/micro/manifest.json', '{}');
    await put('models/index.json', JSON.stringify({ packs: ['tiny', 'micro-fp16'] }));
    const problems = (await findTestParts(dir)).join('\n');
    expect(problems).toMatch(/models\/micro\/manifest\.json: test pack "micro"/);
    expect(problems).toMatch(/lists test pack "micro-fp16"/);
  });
});
