// The page and the model store (issue 11): the picker says what this browser holds of each model, Download and
// Cancel with progress (MB, speed, time left), the Storage panel (usage, persistence, Delete), a reload that reads the
// model from IndexedDB with no pack requests, and the errors a person sees (quota, offline). Real IndexedDB.
import { readFileSync } from 'node:fs';
import { expect, type Page, type Request, type Route, test } from '@playwright/test';
import { AppPage } from './app-page';

interface ManifestFile {
  readonly path: string;
  readonly bytes: number;
}
const TINY_FILES: readonly ManifestFile[] = (
  JSON.parse(readFileSync(`${process.env.E2E_DIST ?? 'dist-e2e'}/models/tiny/manifest.json`, 'utf8')) as {
    files: ManifestFile[];
  }
).files;
const TINY_BYTES = TINY_FILES.reduce((n, f) => n + f.bytes, 0);
/** "9.3 MB", as the page prints the pack's size. */
const TINY_MB = `${(TINY_BYTES / 1e6).toFixed(1)} MB`;
/** The files before decoder.data (which the cancel tests hold back), and their bytes in MB as the page prints them. */
const BEFORE_DECODER_DATA = TINY_FILES.slice(
  0,
  TINY_FILES.findIndex((f) => f.path === 'decoder.data'),
);
const KEPT_BYTES = BEFORE_DECODER_DATA.reduce((n, f) => n + f.bytes, 0);
const KEPT_MB = (KEPT_BYTES / 1e6).toFixed(1);

/** The pack files of tiny the page (or its engine worker) requests, manifest.json excepted, from now on. */
function packRequests(page: Page): string[] {
  const seen: string[] = [];
  page.context().on('request', (r: Request) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/models/tiny/') && !path.endsWith('/manifest.json'))
      seen.push(path.slice('/models/tiny/'.length));
  });
  return seen;
}

async function openTiny(page: Page): Promise<AppPage> {
  const app = new AppPage(page);
  await app.open();
  await app.waitForModels();
  await app.selectModel('tiny');
  return app;
}

test('a fresh browser: tiny is not downloaded; Download shows progress in MB, then the picker and Storage say so', async ({
  page,
}) => {
  const requests = packRequests(page);
  const app = await openTiny(page);
  await expect(app.modelOption('tiny')).toHaveText(`Tiny test model (random weights) · ${TINY_MB} · not downloaded`);
  await expect(app.modelDownloadState).toContainText('Not downloaded');
  await expect(app.modelDownload).toHaveText('Download');
  await expect(app.storageEmpty).toBeVisible();
  await expect(app.storageModels).toHaveCount(0);

  await app.recordProgress();
  await app.download();
  await expect(app.status).toContainText(`Tiny test model (random weights) is downloaded: ${TINY_MB}`);
  const texts = await app.progressTexts();
  expect(texts.length).toBeGreaterThan(1);
  for (const t of texts) expect(t).toMatch(/^Downloading the model: \d+\.\d \/ \d+\.\d MB/);
  expect(texts.at(-1)).toMatch(new RegExp(`^Downloading the model: ${TINY_MB.replace(' MB', '')} / ${TINY_MB}`));
  expect([...new Set(requests)].sort()).toEqual(TINY_FILES.map((f) => f.path).sort());

  await expect(app.modelOption('tiny')).toHaveText(`Tiny test model (random weights) · ${TINY_MB} · downloaded`);
  await expect(app.modelDownload).toBeHidden();
  await expect(app.modelDownloadState).toContainText('Downloaded');
  await expect(app.storageModels).toHaveCount(1);
  await expect(app.storageModel('tiny').getByTestId('storage.name')).toHaveText('Tiny test model (random weights)');
  await expect(app.storageModel('tiny').getByTestId('storage.size')).toHaveText(TINY_MB);
  await expect(app.storageDelete('tiny')).toBeEnabled();
  await expect(app.storageDelete('tiny')).toHaveAccessibleName(`Delete Tiny test model (random weights) (${TINY_MB})`);
  const used = Number(await app.storageUsage.getAttribute('data-used-bytes'));
  expect(used).toBeGreaterThan(TINY_BYTES * 0.95);
  await expect(app.storageUsage).toContainText(/^\d+\.\d MB of \d+(\.\d)? GB used by this site/);
  // Whatever the browser answered to persist(), the panel says what navigator.storage.persisted() says.
  const persisted = await page.evaluate(() => navigator.storage.persisted());
  await expect(app.storagePersisted).toHaveAttribute('data-persisted', String(persisted));
  await expect(app.storagePersisted).toContainText(persisted ? 'granted' : 'not granted');
});

test('after a reload the model is still downloaded and Generate requests none of its pack files', async ({ page }) => {
  const requests = packRequests(page);
  let app = await openTiny(page);
  await app.download();
  // The counter sees the worker's requests: the download fetched every pack file.
  expect(requests.length).toBeGreaterThanOrEqual(TINY_FILES.length);
  requests.length = 0;

  await page.reload();
  app = new AppPage(page);
  await app.waitForModels();
  await app.selectModel('tiny');
  await expect(app.modelOption('tiny')).toHaveText(/· downloaded$/);
  await expect(app.modelDownload).toBeHidden();
  await expect(app.storageModel('tiny')).toBeVisible();
  await app.backendSelect.selectOption('wasm');
  await app.recordProgress();
  await app.generate();
  await app.waitForDone();
  expect(await app.drawnScale()).toBe(9);
  expect(requests).toEqual([]);
  const texts = await app.progressTexts();
  expect(texts.some((t) => t.startsWith("Reading the model from this browser's storage"))).toBe(true);
  expect(texts.some((t) => t.startsWith('Downloading'))).toBe(false);
});

test('Delete frees the pack: the picker says not downloaded, the panel drops it, estimate().usage falls by its size', async ({
  page,
}) => {
  const app = await openTiny(page);
  await app.download();
  await expect(app.storageModel('tiny')).toBeVisible();
  const before = await app.storageUsageBytes();
  await app.storageDelete('tiny').click();
  await expect(app.storageStatus).toHaveText(`Deleted Tiny test model (random weights): ${TINY_MB} freed.`);
  await expect(app.storageModels).toHaveCount(0);
  await expect(app.storageEmpty).toBeVisible();
  await expect(app.modelOption('tiny')).toHaveText(/· not downloaded$/);
  await expect(app.modelDownload).toHaveText('Download');
  await expect
    .poll(async () => (before - (await app.storageUsageBytes())) / TINY_BYTES, { timeout: 10_000 })
    .toBeGreaterThan(0.95);
  expect((before - (await app.storageUsageBytes())) / TINY_BYTES).toBeLessThan(1.05);
});

test('cancel a download midway: "cancelled", the picker shows the part kept, Resume fetches only the rest', async ({
  page,
}, testInfo) => {
  const requests = packRequests(page);
  // Each file answers after 300 ms (so speed and time left are measured); decoder.data is held until released.
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let holding = true;
  await page.context().route('**/models/tiny/*', async (route: Route) => {
    const path = new URL(route.request().url()).pathname;
    if (path.endsWith('/manifest.json')) return route.continue();
    await new Promise((r) => setTimeout(r, 300));
    if (holding && path.endsWith('/decoder.data')) await held;
    await route.continue().catch(() => {}); // the request may have been aborted meanwhile
  });
  const app = await openTiny(page);
  await app.recordProgress();
  await app.modelDownload.click();
  await expect(app.progressText).toContainText(`${KEPT_MB} / ${TINY_MB}`);
  await expect(app.progressFile).toHaveText(
    `decoder.data: 0.0 / ${((TINY_FILES.find((f) => f.path === 'decoder.data')?.bytes ?? 0) / 1e6).toFixed(1)} MB`,
  );
  await expect(app.progressCancel).toHaveText('Cancel download');
  await expect(app.modelDownload).toBeDisabled();
  await expect(app.storageDelete('tiny')).toBeDisabled();
  const texts = await app.progressTexts();
  expect(
    texts.some((t) => / · \d+(\.\d)? [kM]B\/s · .* left$/.test(t)),
    texts.join('\n'),
  ).toBe(true);
  await screenshots(page, app, testInfo.outputPath(), 'downloading');

  await app.progressCancel.click();
  await app.waitForState('cancelled');
  await expect(app.status).toHaveText('Download cancelled · what arrived is kept');
  await expect(app.error).toBeHidden();
  const percent = Math.floor((100 * KEPT_BYTES) / TINY_BYTES);
  await expect(app.modelOption('tiny')).toHaveText(
    `Tiny test model (random weights) · ${TINY_MB} · ${percent} % downloaded`,
  );
  await expect(app.modelDownload).toHaveText('Resume download');
  await expect(app.modelDownload).toBeEnabled();
  await expect(app.storageModel('tiny')).toHaveAttribute('data-state', 'partial');
  await expect(app.storageModel('tiny').getByTestId('storage.size')).toHaveText(
    `${KEPT_MB} / ${TINY_MB} (${percent} %), partly downloaded`,
  );
  await screenshots(page, app, testInfo.outputPath(), 'cancelled');

  holding = false;
  release();
  requests.length = 0;
  await app.download();
  await expect(app.modelOption('tiny')).toHaveText(/· downloaded$/);
  await expect(app.storageModel('tiny')).toHaveAttribute('data-state', 'downloaded');
  // Only the files that had not arrived are fetched again.
  const rest = TINY_FILES.slice(BEFORE_DECODER_DATA.length).map((f) => f.path);
  expect([...new Set(requests)].sort()).toEqual(rest.sort());
});

test('Cancel during a run that downloads its model: "Download cancelled", what arrived is kept', async ({ page }) => {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  await page.context().route('**/models/tiny/decoder.data', async (route: Route) => {
    await held;
    await route.continue().catch(() => {});
  });
  const app = await openTiny(page);
  await app.backendSelect.selectOption('wasm');
  await app.generate();
  await expect(app.status).toHaveText('Downloading the model first (once: it stays in this browser)…');
  await expect(app.progressText).toContainText(`Downloading the model: ${KEPT_MB} / ${TINY_MB}`);
  await expect(app.progressCancel).toHaveText('Cancel run');
  await app.cancel();
  await app.waitForState('cancelled');
  await expect(app.status).toHaveText('Download cancelled · what arrived is kept');
  await expect(app.modelOption('tiny')).toHaveText(
    `Tiny test model (random weights) · ${TINY_MB} · ${Math.floor((100 * KEPT_BYTES) / TINY_BYTES)} % downloaded`,
  );
  await expect(app.storageModel('tiny')).toHaveAttribute('data-state', 'partial');
  release();
});

test('not enough quota: the download fails with E_QUOTA, its message and a way to the Storage panel', async ({
  page,
}) => {
  const app = await openTiny(page);
  const cdp = await page.context().newCDPSession(page);
  const origin = new URL(page.url()).origin;
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 2_000_000 });
  try {
    await app.modelDownload.click();
    await app.waitForState('error');
    await expect(app.error).toHaveAttribute('data-code', 'E_QUOTA');
    await expect(app.error).toContainText('Download failed: Not enough storage for');
    await expect(page.getByTestId('error.storage-link')).toHaveAttribute('href', '#storage');
    // What fit is kept, but the model is not listed as downloaded.
    await expect(app.modelOption('tiny')).toHaveText(/· (not|\d+ %) downloaded$/);
    await expect(app.modelDownload).toBeVisible();
  } finally {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  }
});

test('offline (the models index and the packs unreachable): only stored models are listed, marked offline, and run', async ({
  page,
}) => {
  const offline = () => page.context().route('**/models/**', (route: Route) => route.abort('internetdisconnected'));
  // Nothing stored yet: nothing to list.
  await offline();
  const app = new AppPage(page);
  await app.open();
  await expect(app.modelInfo).toContainText(
    'No models: the list of models (models/index.json) is empty or cannot be reached',
  );
  await expect(app.modelSelect).toBeDisabled();
  await expect(app.generateButton).toBeDisabled();

  await page.context().unrouteAll();
  await page.reload();
  await app.waitForModels();
  // The test build's three packs, then the official models to convert (not offered offline).
  await expect(app.modelSelect.locator('option:not([value^="official:"])')).toHaveCount(3);
  await expect(app.modelSelect.locator('option[value^="official:"]')).toHaveCount(4);
  await app.selectModel('tiny');
  await app.download();

  await offline();
  const requests = packRequests(page);
  await page.reload();
  await app.waitForModels();
  await expect(app.modelSelect.locator('option')).toHaveCount(1);
  await expect(app.modelOption('tiny')).toHaveText(
    `Tiny test model (random weights) · ${TINY_MB} · downloaded · offline`,
  );
  await expect(app.modelDownloadState).toContainText('Offline');
  await expect(app.modelDownload).toBeHidden();
  await app.backendSelect.selectOption('wasm');
  await app.generate();
  await app.waitForDone();
  expect(await app.drawnScale()).toBe(9);
  expect(requests).toEqual([]);
});

/** Desktop light and phone dark screenshots of the picker, the progress box and the Storage panel. */
async function screenshots(page: Page, app: AppPage, dir: string, name: string): Promise<void> {
  const out = process.env.SHOTS_DIR ?? dir;
  const noOverflow = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.emulateMedia({ colorScheme: 'light' });
  expect(await noOverflow()).toBe(true);
  await page.screenshot({ path: `${out}/${name}-1280-light.png`, fullPage: true });
  await page.setViewportSize({ width: 380, height: 800 });
  await page.emulateMedia({ colorScheme: 'dark' });
  // Nothing wider than a phone: no sideways scrolling.
  expect(await noOverflow()).toBe(true);
  await expect(app.storagePanel).toBeVisible();
  await page.screenshot({ path: `${out}/${name}-380-dark.png`, fullPage: true });
  // The three parts up close (a full phone page is too tall to read at once).
  await app.modelSelect.locator('..').screenshot({ path: `${out}/${name}-380-dark-picker.png` });
  await page.getByTestId('stage').screenshot({ path: `${out}/${name}-380-dark-stage.png` });
  await app.storagePanel.screenshot({ path: `${out}/${name}-380-dark-storage.png` });
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.emulateMedia({ colorScheme: null });
}
