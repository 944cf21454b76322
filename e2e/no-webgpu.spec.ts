// Without WebGPU the engine falls back to WASM and the page says why.
import { expect, test } from '@playwright/test';
import { engineParams, openLab, tryGenerate } from '../src/testing/lab/lab-client';
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
  await openLab(page);
  expect(await tryGenerate(page, engineParams('micro'))).toEqual({ ok: true, backend: 'wasm', images: 1, width: 64 });
  const forced = await tryGenerate(page, engineParams('micro', { backend: 'webgpu' }));
  expect(forced).toMatchObject({ ok: false, code: 'E_NO_BACKEND' });
  expect(forced.ok ? '' : forced.message).toMatch(/^WebGPU was requested but is unavailable/);
});
