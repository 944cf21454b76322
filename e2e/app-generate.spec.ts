// The page as a person uses it: search a class, generate, watch 10 coarse-to-fine updates, cancel, share a link.
import { expect, type Page, test } from '@playwright/test';
import type { GenerateRequest } from '../src/core/generate/var-pipeline';
import { VarPipeline } from '../src/core/generate/var-pipeline';
import { nodeBackend } from '../src/node/ort-backends';
import { openPackDir } from '../src/node/pack-dir';
import { AppPage } from './app-page';

/** Records every scale drawn into the first canvas (its data-scale and a hash of its pixels), from now on. */
async function recordDraws(page: Page): Promise<void> {
  await page.evaluate(() => {
    const draws: { scale: number; hash: number }[] = [];
    (window as unknown as { draws: typeof draws }).draws = draws;
    const grid = document.querySelector('[data-testid="canvas.grid"]');
    if (!grid) throw new Error('no canvas grid');
    new MutationObserver(() => {
      const canvas = grid.querySelector<HTMLCanvasElement>('[data-testid="canvas.image"][data-index="0"]');
      const scale = Number(canvas?.dataset.scale ?? -1);
      if (!canvas || scale < 0 || draws.at(-1)?.scale === scale) return;
      const data =
        canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? new Uint8ClampedArray();
      let hash = 7;
      for (let i = 0; i < data.length; i += 7) hash = (Math.imul(hash, 31) + (data[i] as number)) >>> 0;
      draws.push({ scale, hash });
    }).observe(grid, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-scale'] });
  });
}

async function canvasPixels(page: Page, index = 0): Promise<{ width: number; data: number[] }> {
  return page.evaluate((i) => {
    const canvas = document.querySelector<HTMLCanvasElement>(`[data-testid="canvas.image"][data-index="${i}"]`);
    if (!canvas) throw new Error('no canvas');
    const image = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height);
    return { width: canvas.width, data: Array.from(image?.data ?? []) };
  }, index);
}

async function nodeImage(request: GenerateRequest): Promise<number[]> {
  const pipeline = await VarPipeline.load(await openPackDir('public/models/tiny'), await nodeBackend('wasm', 1));
  const { images } = await pipeline.generate(request);
  await pipeline.release();
  const plane = images.size * images.size;
  return Array.from({ length: plane * 4 }, (_, k) =>
    k % 4 === 3 ? 255 : Math.trunc((images.data[(k % 4) * plane + (k >> 2)] as number) * 255),
  );
}

for (const sampling of [
  { name: 'sampled', seed: 3, topK: 900, topP: 0.95 },
  { name: 'greedy', seed: 0, topK: 1, topP: 0 },
]) {
  test(`search, generate on WASM (${sampling.name}): 10 coarse-to-fine updates, final pixels equal Node generate`, async ({
    page,
  }) => {
    const app = new AppPage(page);
    await app.open();
    await app.waitForModels();
    await app.selectModel('tiny');
    expect(await app.pickClass('golden retr')).toBe(207);
    await expect(app.classChosen).toContainText('golden retriever');
    await app.backendSelect.selectOption('wasm');
    await app.setSeed(sampling.seed);
    await app.topK.fill(String(sampling.topK));
    await app.topP.fill(String(sampling.topP));
    await recordDraws(page);
    await app.generate();
    await app.waitForDone();
    const draws = await page.evaluate(() => (window as unknown as { draws: { scale: number; hash: number }[] }).draws);
    expect(draws.map((d) => d.scale)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (let i = 1; i < draws.length; i++)
      expect(draws[i]?.hash, `canvas unchanged at scale ${i}`).not.toBe(draws[i - 1]?.hash);
    await expect(app.scale).toContainText('10/10');
    const pixels = await canvasPixels(page);
    expect(pixels.width).toBe(256);
    const node = await nodeImage({ labels: [207], cfg: 4, moreSmooth: false, ...sampling });
    let differing = 0;
    for (let i = 0; i < node.length; i++) if (pixels.data[i] !== node[i]) differing++;
    expect(differing).toBe(0);
    await expect(app.galleryItems).toHaveCount(1);
    await expect(app.thumbs).toHaveCount(10);
    // The gallery shows the PNG it offers for download.
    const galleryImage = app.galleryItems.first().locator('img');
    await expect.poll(() => galleryImage.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(256);
    await expect(app.galleryDownload(0)).toHaveAttribute('download', /var-207-golden-retriever-seed\d+\.png/);
  });
}

test('cancel during a run leaves the page usable, and a new run completes', async ({ page }) => {
  const app = new AppPage(page);
  await app.open();
  await app.waitForModels();
  await app.selectModel('tiny');
  await app.backendSelect.selectOption('wasm');
  await app.setCount(2);
  await app.generate();
  await expect.poll(() => app.drawnScale(), { timeout: 60_000 }).toBeGreaterThanOrEqual(1);
  await app.cancel();
  await app.waitForState('cancelled');
  await expect(app.error).toBeHidden();
  expect(await app.drawnScale()).toBeLessThan(9);
  await app.setCount(1);
  await app.generate();
  await app.waitForDone();
  expect(await app.drawnScale()).toBe(9);
});

test('a share link opened in a fresh page reproduces the image', async ({ page, context }) => {
  const app = new AppPage(page);
  await app.open();
  await app.waitForModels();
  await app.selectModel('tiny');
  await app.backendSelect.selectOption('wasm');
  await app.pickClass('volcano');
  await app.setSeed(42);
  await app.generate();
  await app.waitForDone();
  const original = await canvasPixels(page);
  const href = await app.galleryShare(0).getAttribute('href');
  expect(href).toMatch(/autorun=1/);
  const fresh = await context.newPage();
  const again = new AppPage(fresh);
  await fresh.goto(href as string);
  await again.waitForDone();
  await expect(again.classChosen).toContainText('volcano');
  expect((await canvasPixels(fresh)).data).toEqual(original.data);
});
