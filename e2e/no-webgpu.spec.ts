// Without WebGPU the engine falls back to WASM and the page says why.
import { expect, test } from '@playwright/test';
import { AppPage } from './app-page';

test('without a WebGPU adapter the page explains the WASM fallback', async ({ page }) => {
  const app = new AppPage(page);
  await app.open();
  await expect(app.backend).toHaveAttribute('data-backend', 'wasm');
  await expect(app.backend).toContainText('WebAssembly on the CPU, because WebGPU is unavailable');
  await expect(app.detail('webgpu-unavailable')).toContainText(/no GPU adapter|navigator\.gpu is missing/);
  await expect(app.detail('wasm')).toHaveText('yes');
});

test('without a WebGPU adapter, "auto" generates on WASM', async ({ page }) => {
  await page.goto('/ort-lab.html');
  await page.getByTestId('lab.status').getByText('ready').waitFor();
  const result = await page.evaluate(async () => {
    const engine = (window as unknown as { varEngine: import('../src/app/engine-client').EngineClient }).varEngine;
    const r = await engine.generate({
      modelId: 'micro',
      classId: 1,
      count: 1,
      seed: 0,
      cfg: 4,
      topK: 900,
      topP: 0.95,
      moreSmooth: false,
    });
    const forced = await engine
      .generate({
        modelId: 'micro',
        classId: 1,
        count: 1,
        seed: 0,
        cfg: 4,
        topK: 900,
        topP: 0.95,
        moreSmooth: false,
        backend: 'webgpu',
      })
      .then(
        () => 'resolved',
        (e: unknown) => `${(e as { code?: string }).code}: ${(e as Error).message}`,
      );
    return { backend: r.backend, size: r.images[0]?.rgba.width, forced };
  });
  expect(result).toMatchObject({ backend: 'wasm', size: 64 });
  expect(result.forced).toMatch(/^E_NO_BACKEND: WebGPU was requested but is unavailable/);
});
