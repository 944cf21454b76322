// The app as a PWA, from a production build (`vite build --base /var-web/`) served under a sub-path by a plain static
// server that sends no COOP/COEP (as GitHub Pages): the service worker installs and isolates the page, the manifest
// and its icons are served, the app opens offline cross-origin isolated and regenerates the same pixels, and a new
// deploy is offered with "A new version is ready · Reload", never cutting a running generation short.

import { execFileSync } from 'node:child_process';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type Page, test } from '@playwright/test';
import { type StaticServer, startStaticServer } from '../src/testing/static-server';
import { AppPage } from './app-page';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BASE = '/var-web/';
const BUILD_A = join(ROOT, `${process.env.E2E_DIST ?? 'dist-e2e'}-pwa-a`);
const BUILD_B = join(ROOT, `${process.env.E2E_DIST ?? 'dist-e2e'}-pwa-b`);

test.use({ serviceWorkers: 'allow' });
test.describe.configure({ mode: 'serial' });

/** A production build under BASE, labelled `label`, with the micro test pack added so one model is never downloaded. */
async function build(outDir: string, label: string): Promise<void> {
  execFileSync('npx', ['vite', 'build', '--base', BASE, '--outDir', outDir, '--emptyOutDir'], {
    cwd: ROOT,
    env: { ...process.env, VAR_WEB_BUILD: label },
    stdio: 'pipe',
  });
  await cp(join(ROOT, '.test-packs/micro'), join(outDir, 'models/micro'), { recursive: true });
  const indexFile = join(outDir, 'models/index.json');
  const index = JSON.parse(await readFile(indexFile, 'utf8')) as { packs: string[] };
  await writeFile(indexFile, JSON.stringify({ ...index, packs: [...index.packs, 'micro'] }));
}

let server: StaticServer;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  await build(BUILD_A, 'A');
  await build(BUILD_B, 'B');
  server = await startStaticServer(BUILD_A, BASE);
});

test.afterAll(async () => {
  await server?.close();
  await rm(BUILD_A, { recursive: true, force: true });
  await rm(BUILD_B, { recursive: true, force: true });
});

/** Collects page errors and failed requests (the ones a test provokes are filtered by the caller). */
function watchErrors(page: Page): { errors: string[] } {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
  return { errors };
}

/** Waits until the service worker controls the page and the page is cross-origin isolated (after its one reload). */
async function isolated(page: Page): Promise<void> {
  await expect
    .poll(
      // The page may be reloading into isolation right now: a destroyed context counts as "not yet".
      () => page.evaluate(() => crossOriginIsolated && navigator.serviceWorker.controller !== null).catch(() => false),
      {
        timeout: 60_000,
      },
    )
    .toBe(true);
}

async function canvasHash(page: Page): Promise<number> {
  return page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="canvas.image"][data-index="0"]');
    const data = canvas?.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
    let h = 7;
    for (const v of data) h = (Math.imul(h, 31) + v) >>> 0;
    return h;
  });
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Buffer): string {
  return `${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)}`;
}

test('first visit: the service worker installs, isolates the page on a header-less host, and the manifest and icons are served', async ({
  page,
}) => {
  const watch = watchErrors(page);
  await page.goto(server.url);
  await isolated(page);
  const worker = await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.active?.scriptURL);
  expect(worker).toBe(`${server.url}sw.js`);

  const href = await page.locator('link[rel="manifest"]').getAttribute('href');
  const manifestUrl = new URL(href ?? '', page.url()).href;
  const manifest = (await (await page.request.get(manifestUrl)).json()) as {
    name: string;
    short_name: string;
    display: string;
    start_url: string;
    scope: string;
    theme_color: string;
    background_color: string;
    icons: { src: string; sizes: string; type: string; purpose?: string }[];
  };
  expect(manifest).toMatchObject({ short_name: 'var-web', display: 'standalone', start_url: './', scope: './' });
  expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/i);
  expect(manifest.icons.map((i) => `${i.sizes}${i.purpose ? ` ${i.purpose}` : ''}`)).toEqual(
    expect.arrayContaining(['192x192', '512x512', '512x512 maskable']),
  );
  for (const icon of manifest.icons) {
    const response = await page.request.get(new URL(icon.src, manifestUrl).href);
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toBe(icon.type);
    expect(pngSize(await response.body())).toBe(icon.sizes);
  }
  await expect(page.getByTestId('app.version')).toContainText('(A)');
  expect(watch.errors).toEqual([]);
});

test('offline: the page loads from the service worker, isolated, and the cached model makes the same pixels', async ({
  context,
  page,
}) => {
  const watch = watchErrors(page);
  const app = new AppPage(page);
  await page.goto(`${server.url}?model=tiny&backend=wasm&seed=3&class=207`);
  await isolated(page);
  await app.waitForModels();
  await app.generate();
  await app.waitForDone();
  const online = await canvasHash(page);
  expect(watch.errors).toEqual([]);

  // No network at all: the browser is offline and the host is gone.
  await context.setOffline(true);
  server.down = true;
  try {
    const t0 = Date.now();
    await page.reload();
    await isolated(page);
    await app.waitForModels();
    await expect(page.getByTestId('app.offline')).toBeVisible();
    await expect(app.detail('coi')).toContainText('yes'); // the worker is isolated too: threaded WASM
    await app.generate();
    await app.waitForDone();
    console.log(`offline: reload to first generated image ${Date.now() - t0} ms`);
    expect(await canvasHash(page)).toBe(online);
    // The model that was never downloaded is listed as such, and choosing it says so plainly.
    const micro = page.locator('[data-testid="model.select"] option[value="micro"]');
    await expect(micro).toContainText('not available offline');
    await page.getByTestId('model.select').selectOption('micro');
    await expect(page.getByTestId('model.download-state')).toHaveText(
      'Not available offline: download it once while online.',
    );
    const unexpected = watch.errors.filter((e) => !e.startsWith('requestfailed')); // requests fail offline, by design
    expect(unexpected).toEqual([]);
  } finally {
    server.down = false;
    await context.setOffline(false);
  }
});

test('a new deploy is offered as "A new version is ready · Reload", which waits for the running generation', async ({
  page,
}) => {
  const watch = watchErrors(page);
  const app = new AppPage(page);
  await page.goto(`${server.url}?model=tiny&backend=wasm&seed=5`);
  await isolated(page);
  await app.waitForModels();
  const mainA = /assets\/main-[\w-]+\.js/.exec(await readFile(join(BUILD_A, 'index.html'), 'utf8'))?.[0];
  expect(mainA).toBeTruthy();

  server.root = BUILD_B; // the deploy
  await app.setCount(8);
  await app.generate();
  await app.waitForState('running');
  // The run's end is written down where a reload cannot erase it.
  await page.evaluate(() => {
    const status = document.querySelector('[data-testid="run.status"]');
    if (!status) throw new Error('no run status');
    new MutationObserver(() => {
      if (status.getAttribute('data-state') === 'done') sessionStorage.setItem('run-done-before-reload', '1');
    }).observe(status, { attributes: true, attributeFilter: ['data-state'] });
  });
  await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
  await expect(page.getByTestId('app.update')).toBeVisible({ timeout: 60_000 });
  const stillRunning = (await app.status.getAttribute('data-state')) === 'running';
  await page.getByTestId('app.update-reload').click();
  if (stillRunning) await expect(page.getByTestId('app.update-reload')).toHaveText('Reload after this run');
  // Build B is served after the reload, which came only after the run had finished.
  await expect(page.getByTestId('app.version')).toContainText('(B)', { timeout: 120_000 });
  expect(await page.evaluate(() => sessionStorage.getItem('run-done-before-reload'))).toBe('1');
  const cached = await page.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) for (const r of await (await caches.open(name)).keys()) urls.push(r.url);
    return urls;
  });
  expect(cached.some((u) => u.includes('/assets/main-'))).toBe(true);
  expect(cached.some((u) => u.endsWith(mainA ?? 'none'))).toBe(false); // A's shell is gone from the caches
  expect(watch.errors).toEqual([]);
});
