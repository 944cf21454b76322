// A page left hidden while generating: the run finishes, nothing is drawn while hidden, and the page catches up when
// shown. Headless Chromium keeps every page visible, so visibility is switched by overriding document.hidden and
// document.visibilityState and firing visibilitychange, as the browser does when a tab is hidden.
import { expect, type Page, test } from '@playwright/test';
import { AppPage } from './app-page';

async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((h) => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

/** Every data-scale value drawn into the first canvas from now on. */
async function recordScales(page: Page): Promise<void> {
  await page.evaluate(() => {
    const scales: number[] = [];
    (window as unknown as { scales: number[] }).scales = scales;
    const grid = document.querySelector('[data-testid="canvas.grid"]');
    if (!grid) throw new Error('no canvas grid');
    new MutationObserver(() => {
      const canvas = grid.querySelector<HTMLCanvasElement>('[data-testid="canvas.image"][data-index="0"]');
      const scale = Number(canvas?.dataset.scale ?? -1);
      if (scale >= 0 && scales.at(-1) !== scale) scales.push(scale);
    }).observe(grid, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-scale'] });
  });
}

const drawnScales = (page: Page) => page.evaluate(() => (window as unknown as { scales: number[] }).scales);

test('a hidden page finishes its run without drawing previews, and a shown one draws them', async ({ page }) => {
  const app = new AppPage(page);
  await app.open('backend=wasm');
  await app.waitForModels();
  await recordScales(page);
  await setHidden(page, true);
  await app.generate();
  await app.waitForDone();
  // Only the final image (scale 9 of 10) was drawn: no preview while hidden.
  expect(await drawnScales(page)).toEqual([9]);
  await expect(app.images.first()).toHaveAttribute('data-scale', '9');

  await setHidden(page, false);
  await recordScales(page);
  await app.generate();
  await app.waitForDone();
  const shown = await drawnScales(page);
  expect(shown.at(-1)).toBe(9);
  expect(shown.length).toBeGreaterThan(1); // previews of earlier scales were drawn as they came
});
