// The page's Edit mode (issue 16) as a person uses it: "Edit this" under a generated image, a rectangle painted
// with the pointer, Generate edit streaming 10 scales; an empty mask gives the engine's reconstruction; an image of
// another size from the file input; a pack without the encoder disables the panel and says why.
import { mkdirSync } from 'node:fs';
import { expect, type Locator, type Page, type Route, test } from '@playwright/test';
import { decode as decodePng, encode as encodePng } from 'fast-png';
import { constantMask, fitImage } from '../src/core/generate/edit-input';
import { VarPipeline } from '../src/core/generate/var-pipeline';
import { nodeBackend } from '../src/node/ort-backends';
import { openPackDir } from '../src/node/pack-dir';
import { AppPage } from './app-page';

/** Screenshots: the mid-run page and the panel at 380 px (SHOTS_DIR elsewhere, as app-storage's). */
const SHOTS = process.env.SHOTS_DIR ?? 'test-results/app-edit';

/** The Edit panel's parts, found by role and name as a person (or a screen reader) finds them. */
function editPanel(page: Page) {
  const root = page.getByRole('region', { name: 'Edit an image' });
  return {
    root,
    file: root.getByLabel('Image to edit'),
    mask: root.getByTestId('edit.mask'),
    maskLine: root.getByTestId('edit.mask-line'),
    source: root.getByTestId('edit.source'),
    message: root.getByTestId('edit.message'),
    classSelect: root.getByLabel('Class', { exact: true }),
    action: root.getByTestId('edit.action'),
    generate: root.getByRole('button', { name: 'Generate edit' }),
    cancel: root.getByRole('button', { name: 'Cancel edit' }),
    clear: root.getByRole('button', { name: 'Clear' }),
    centreBox: root.getByRole('button', { name: 'Centre box' }),
    rectangle: root.getByRole('radio', { name: 'Rectangle' }),
    status: root.getByTestId('edit.status'),
    error: root.getByTestId('edit.error'),
    result: root.getByTestId('edit.result'),
    download: root.getByRole('link', { name: 'Download PNG' }),
    share: root.getByTestId('edit.share'),
    thumbs: root.getByTestId('edit.strip.thumb'),
  };
}

async function waitForEdit(status: Locator, error: Locator): Promise<void> {
  await expect(status).toHaveAttribute('data-state', /^(done|error|cancelled)$/, { timeout: 170_000 });
  const state = await status.getAttribute('data-state');
  if (state !== 'done') throw new Error(`the edit ended ${state}: ${await error.textContent()}`);
}

/** Records every scale drawn into the result canvas (its data-scale), from now on. */
async function recordResultScales(page: Page): Promise<void> {
  await page.evaluate(() => {
    const scales: number[] = [];
    (window as unknown as { editScales: number[] }).editScales = scales;
    const canvas = document.querySelector('[data-testid="edit.result"]');
    if (!canvas) throw new Error('no result canvas');
    new MutationObserver(() => {
      const s = Number((canvas as HTMLElement).dataset.scale);
      if (s >= 0 && scales.at(-1) !== s) scales.push(s);
    }).observe(canvas, { attributes: true, attributeFilter: ['data-scale'] });
  });
}

async function resultPixels(result: Locator): Promise<{ width: number; data: number[] }> {
  return result.evaluate((canvas: HTMLCanvasElement) => {
    const image = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height);
    return { width: canvas.width, data: Array.from(image?.data ?? []) };
  });
}

/** The gallery item's PNG (what "Edit this" opens), decoded in Node. */
async function galleryPng(item: Locator): Promise<{ width: number; height: number; data: Uint8Array }> {
  // The item is listed at once, its PNG is encoded after: wait for the blob URL.
  await expect(item.locator('img')).toHaveAttribute('src', /^blob:/);
  const bytes = await item.locator('img').evaluate(async (img: HTMLImageElement) => {
    const buffer = await (await fetch(img.src)).arrayBuffer();
    return Array.from(new Uint8Array(buffer));
  });
  const png = decodePng(Uint8Array.from(bytes));
  const rgba = new Uint8Array(png.width * png.height * 4);
  for (let p = 0; p < png.width * png.height; p++)
    for (let c = 0; c < 4; c++) rgba[p * 4 + c] = c < png.channels ? (png.data[p * png.channels + c] as number) : 255;
  return { width: png.width, height: png.height, data: rgba };
}

/** What the engine's edit gives with an all-black mask (keep everything): the image's reconstruction, in Node. */
async function nodeReconstruction(image: { width: number; height: number; data: Uint8Array }): Promise<number[]> {
  const pipeline = await VarPipeline.load(await openPackDir('public/models/tiny'), await nodeBackend('wasm', 1));
  const size = pipeline.manifest.imageSize;
  const { images } = await pipeline.edit({
    image: fitImage({ ...image, channels: 4 }, size),
    mask: constantMask(size, 0),
    label: null,
    cfg: 4,
    topK: 1,
    topP: 0,
    moreSmooth: false,
    seed: 0,
  });
  await pipeline.release();
  const plane = images.size * images.size;
  return Array.from({ length: plane * 4 }, (_, k) =>
    k % 4 === 3 ? 255 : Math.trunc((images.data[(k % 4) * plane + (k >> 2)] as number) * 255),
  );
}

/** Mean absolute difference of two 256×256 RGBA images over the pixels where `where(x, y)` holds. */
function meanDiff(a: readonly number[], b: readonly number[], where: (x: number, y: number) => boolean): number {
  let sum = 0;
  let n = 0;
  for (let y = 0; y < 256; y++)
    for (let x = 0; x < 256; x++) {
      if (!where(x, y)) continue;
      for (let c = 0; c < 3; c++)
        sum += Math.abs((a[(y * 256 + x) * 4 + c] as number) - (b[(y * 256 + x) * 4 + c] as number));
      n += 3;
    }
  return sum / n;
}

test('Edit this → a painted rectangle regenerates its inside in 10 scales; an empty mask gives the reconstruction', async ({
  page,
}) => {
  mkdirSync(SHOTS, { recursive: true });
  const app = new AppPage(page);
  await app.open();
  await app.waitForModels();
  await app.selectModel('tiny');
  await app.backendSelect.selectOption('wasm');
  await app.setSeed(0);
  await app.topK.fill('1');
  await app.topP.fill('0');
  await app.generate();
  await app.waitForDone();
  const item = app.galleryItems.first();
  const classId = await item.getAttribute('data-class-id');
  const source = await galleryPng(item);
  expect([source.width, source.height]).toEqual([256, 256]);

  const edit = editPanel(page);
  await expect(edit.generate).toBeDisabled();
  await item.getByRole('button', { name: 'Edit this' }).click();
  await expect(edit.source).toContainText('256×256 px');
  await expect(edit.classSelect).toHaveValue(classId ?? '');
  await expect(edit.action).toHaveText(/^Regenerate this region as .+\.$/);
  await expect(edit.message).toBeHidden();
  await expect(edit.share).toHaveText('Share links cannot carry your image');

  // A rectangle over the middle half, dragged with the pointer.
  await edit.rectangle.check();
  await edit.mask.scrollIntoViewIfNeeded();
  const box = await edit.mask.boundingBox();
  if (!box) throw new Error('the mask canvas is not shown');
  await page.mouse.move(box.x + box.width * 0.25, box.y + box.height * 0.25);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.6, { steps: 4 });
  await page.mouse.move(box.x + box.width * 0.75, box.y + box.height * 0.75, { steps: 4 });
  await page.mouse.up();
  await expect(edit.maskLine).toHaveText(/^2[4-6] % of the image is masked/);

  await recordResultScales(page);
  await edit.generate.click();
  await expect(edit.cancel).toBeEnabled();
  // Mid-run: the result canvas shows a coarse scale of the edit.
  await expect
    .poll(() => edit.result.getAttribute('data-scale').then(Number), { timeout: 120_000 })
    .toBeGreaterThanOrEqual(3);
  await edit.root.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/edit-mid-run.png` });
  console.info(`mid-run screenshot: ${await edit.root.getByTestId('edit.scale').textContent()}`);
  await waitForEdit(edit.status, edit.error);
  const scales = await page.evaluate(() => (window as unknown as { editScales: number[] }).editScales);
  expect(scales).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  await expect(edit.thumbs).toHaveCount(10);
  await expect(edit.status).toContainText('on WASM');
  const inpainted = await resultPixels(edit.result);
  expect(inpainted.width).toBe(256);

  // The edit joins the gallery, without a share link.
  await expect(app.galleryItems).toHaveCount(2);
  await expect(app.galleryItems.first().getByTestId('gallery.no-link')).toHaveText(
    'Share links cannot carry your image',
  );
  await expect(app.galleryItems.first().getByTestId('gallery.share')).toHaveCount(0);
  await expect(edit.download).toHaveAttribute('download', /^var-edit-\d+-.+-seed0\.png$/);
  await expect(edit.download).toHaveAttribute('href', /^blob:/);

  // Nothing masked: the result is the engine's edit with an all-black mask (the image's reconstruction).
  await edit.clear.click();
  await expect(edit.maskLine).toContainText('Nothing is masked');
  await edit.generate.click();
  await waitForEdit(edit.status, edit.error);
  const kept = await resultPixels(edit.result);
  const reconstruction = await nodeReconstruction(source);
  let differing = 0;
  for (let i = 0; i < reconstruction.length; i++) if (kept.data[i] !== reconstruction[i]) differing++;
  expect(differing).toBe(0);

  // The rectangle's inside was generated: far from the reconstruction there, close to it far outside the mask.
  const inside = (x: number, y: number) => x >= 72 && x < 184 && y >= 72 && y < 184;
  const farOutside = (x: number, y: number) => x < 24 || x >= 232 || y < 24 || y >= 232;
  const diffInside = meanDiff(inpainted.data, reconstruction, inside);
  const diffOutside = meanDiff(inpainted.data, reconstruction, farOutside);
  const diffSource = meanDiff(inpainted.data, Array.from(source.data), inside);
  console.info(
    `edit vs reconstruction: mean |Δ| ${diffInside.toFixed(1)} inside the rectangle, ${diffOutside.toFixed(1)} far outside; vs the source inside ${diffSource.toFixed(1)}`,
  );
  expect(diffSource).toBeGreaterThan(5);
  expect(diffInside).toBeGreaterThan(5);
  expect(diffOutside).toBeLessThan(diffInside / 2);

  // A phone: the panel with its image and the gallery with edits fit 380 px (no sideways scrolling).
  await page.setViewportSize({ width: 380, height: 800 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
});

test('an image of another size from the file input: outlined crop, centre box, an edit of the model size', async ({
  page,
}) => {
  const app = new AppPage(page);
  await app.open();
  await app.waitForModels();
  await app.selectModel('tiny');
  await app.backendSelect.selectOption('wasm');
  const edit = editPanel(page);

  // Not an image: refused with E_BAD_IMAGE, the panel still works.
  await edit.file.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
  await expect(edit.error).toContainText('notes.txt is not an image this browser can read');
  await expect(edit.error).toHaveAttribute('data-code', 'E_BAD_IMAGE');

  // A file dropped on the panel.
  const small = encodePng({ width: 64, height: 64, data: new Uint8Array(64 * 64 * 3).fill(90), channels: 3, depth: 8 });
  await edit.root.evaluate((root, bytes) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([Uint8Array.from(bytes)], 'dropped.png', { type: 'image/png' }));
    root.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    root.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, Array.from(small));
  await expect(edit.source).toContainText('dropped.png · 64×64 px');
  await expect(edit.error).toBeHidden();

  const width = 300;
  const height = 200;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data.set([x % 256, (y * 2) % 256, (x + y) % 256], (y * width + x) * 3);
  const png = encodePng({ width, height, data, channels: 3, depth: 8 });
  await edit.file.setInputFiles({ name: 'wide.png', mimeType: 'image/png', buffer: Buffer.from(png) });
  await expect(edit.source).toContainText('wide.png · 300×200 px');
  await expect(edit.error).toBeHidden();
  await expect(edit.classSelect).toHaveValue('none');
  await expect(edit.action).toContainText('no class');
  await expect(edit.root.locator('.edit-crop')).toBeVisible();
  const box = await edit.mask.boundingBox();
  expect((box?.width ?? 0) / (box?.height ?? 1)).toBeCloseTo(1.5, 1);
  await edit.centreBox.click();
  await expect(edit.maskLine).toHaveText(/^25 % of the image is masked/);

  // Nothing wider than a phone.
  await page.setViewportSize({ width: 380, height: 800 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await edit.root.screenshot({ path: `${SHOTS}/edit-380.png` });
  await page.setViewportSize({ width: 1280, height: 720 });

  await edit.generate.click();
  await waitForEdit(edit.status, edit.error);
  expect(await edit.result.getAttribute('data-scale')).toBe('9');
  expect((await resultPixels(edit.result)).width).toBe(256);
  await expect(app.galleryItems.first()).toContainText('Edit of wide.png · no class');
});

test('a pack without the image encoder: the Edit controls are disabled and the page says to convert it again', async ({
  page,
}) => {
  // The tiny pack as one converted before editing existed: its manifest without the encoder and tokenizer graphs.
  await page.context().route('**/models/tiny/manifest.json', async (route: Route) => {
    const response = await route.fetch();
    const manifest = (await response.json()) as { graphs: Record<string, unknown> };
    delete manifest.graphs.encoder;
    delete manifest.graphs.tokenizer;
    await route.fulfill({ response, json: manifest });
  });
  const app = new AppPage(page);
  await app.open();
  await app.waitForModels();
  await app.selectModel('tiny');
  const edit = editPanel(page);
  await expect(edit.message).toHaveText(
    'This model pack has no image encoder (converted before editing existed): convert it again to edit.',
  );
  await expect(edit.file).toBeDisabled();
  await expect(edit.classSelect).toBeDisabled();
  await expect(edit.generate).toBeDisabled();
  // Another model that has it: the panel works again.
  await app.selectModel('micro');
  await expect(edit.message).not.toContainText('no image encoder');
  await expect(edit.file).toBeEnabled();
});
