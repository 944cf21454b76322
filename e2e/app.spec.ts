// The production build loads and its worker probes the real WebGPU adapter (SwiftShader here), which Auto passes over
// for WASM (a software adapter is ~100× slower), saying why.
import { expect, test } from '@playwright/test';
import { AppPage } from './app-page';

test('the page shows the WebGPU adapter the worker found, and that Auto uses WASM over a software adapter', async ({
  page,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const app = new AppPage(page);
  await app.open();
  await expect(page).toHaveTitle(/var-web/);
  await expect(app.backend).toHaveAttribute('data-backend', 'wasm');
  await expect(app.backend).toContainText(
    /WebGPU is a software adapter here \(.*swiftshader.*\): using WASM, ~100× faster/i,
  );
  // Headless Chromium without a GPU only has SwiftShader, a fallback adapter without shader-f16.
  await expect(app.detail('fallback')).toHaveText('yes (software)');
  await expect(app.detail('shader-f16')).toHaveText('no');
  await expect(app.detail('adapter')).toContainText(/swiftshader/i);
  // vite preview sends COOP/COEP, so the worker can use threaded WASM.
  await expect(app.detail('coi')).toContainText('yes');
  expect(errors).toEqual([]);
});

test('the page carries its title and footer attribution', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('var-web');
  await expect(page.getByRole('link', { name: /VAR \(Tian et al/ })).toHaveAttribute('href', /2404\.02905/);
});
