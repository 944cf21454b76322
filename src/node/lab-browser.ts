// Benchmarks in the browser: serves the production build with `vite preview`, opens the ORT lab page in Debian's
// chromium (headless, WebGPU through SwiftShader as in the e2e tests), runs `work`, and cleans up.

import { type ChildProcess, spawn } from 'node:child_process';
import { chromium, type Page } from '@playwright/test';

export async function withLabPage<T>(port: number, work: (page: Page) => Promise<T>): Promise<T> {
  const server: ChildProcess = spawn('npx', ['vite', 'preview', '--port', String(port), '--strictPort'], {
    stdio: 'ignore',
  });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--enable-unsafe-webgpu',
    ],
  });
  try {
    const page = await browser.newPage();
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await page.goto(`http://127.0.0.1:${port}/ort-lab.html`);
        break;
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(`vite preview did not answer on port ${port} (did you run npm run build?): ${error}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    await page.getByTestId('lab.status').getByText('ready').waitFor();
    return await work(page);
  } finally {
    await browser.close();
    server.kill();
  }
}
