// The lab page for Node tools (browser benchmarks, tests): serves the test build (dist-e2e/, `npm run build:e2e`)
// with Vite's preview server inside this process, opens the lab page in Debian's chromium (headless, WebGPU through
// SwiftShader as in the e2e tests), runs `work`, and closes both — on success, on error, and on Ctrl-C / SIGTERM.
// The server is owned, never borrowed: a busy port is an error, not someone else's (possibly older) build.

import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from '@playwright/test';
import { type PreviewServer, preview } from 'vite';
import { LAB_PAGE_PATH, type TestEngineOptions } from './lab-api';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const TEST_BUILD_DIR = join(ROOT, process.env.E2E_DIST ?? 'dist-e2e');

/** Resolves when `port` on 127.0.0.1 can be listened on; otherwise rejects with a message that says what to do. */
export function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `port ${port} is in use by another process (an earlier benchmark or preview still running?): stop it, or choose another port`
            : `cannot listen on 127.0.0.1:${port}: ${error.message}`,
        ),
      ),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

/** Vite's preview server over the test build, in this process (closing it frees the port). */
export async function startTestBuildServer(port: number): Promise<PreviewServer> {
  if (!existsSync(join(TEST_BUILD_DIR, LAB_PAGE_PATH))) {
    throw new Error(`${TEST_BUILD_DIR} has no lab page: run \`npm run build:e2e\` first`);
  }
  await assertPortFree(port);
  return preview({
    root: ROOT,
    mode: 'e2e',
    logLevel: 'warn',
    preview: { port, strictPort: true, host: '127.0.0.1', open: false },
  });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--enable-unsafe-webgpu',
    ],
  });
}

/** The lab page's address; `engine` options go in its query (see lab-page.ts). */
export function labPageUrl(port: number, engine: TestEngineOptions = {}): string {
  const query = new URLSearchParams();
  if (engine.modelsUrl) query.set('models', engine.modelsUrl);
  if (engine.chunkBytes) query.set('chunk', String(engine.chunkBytes));
  return `http://127.0.0.1:${port}${LAB_PAGE_PATH}${query.size > 0 ? `?${query}` : ''}`;
}

export async function withLabPage<T>(
  port: number,
  work: (page: Page) => Promise<T>,
  engine: TestEngineOptions = {},
): Promise<T> {
  let server: PreviewServer | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    const b = browser;
    const s = server;
    browser = undefined;
    server = undefined;
    await Promise.allSettled([b?.close(), s?.close()]);
  };
  // Ctrl-C or a kill while the benchmark runs: close the browser and the server, then exit as the signal asks.
  const onSignal = (signal: NodeJS.Signals) => {
    void close().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    server = await startTestBuildServer(port);
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(labPageUrl(port, engine));
    await page.getByTestId('lab.status').getByText('ready').waitFor();
    return await work(page);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await close();
  }
}
