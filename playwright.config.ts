// End-to-end tests: the test build (the production app plus the lab page and test packs, `npm run build:e2e`) served
// by `vite preview --mode e2e`, driven in Debian's chromium.
import { defineConfig } from '@playwright/test';

// Playwright cannot download its own browsers here; the system chromium (apt-get install chromium) is used.
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const baseArgs = [
  '--no-sandbox', // required as root
  '--disable-background-networking', // the machine's network is closed; these avoid refused connections
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** The test build's preview port (E2E_PORT lets two developers' runs coexist on one machine). */
const port = Number(process.env.E2E_PORT ?? 4173);

export default defineConfig({
  testDir: './e2e',
  timeout: 180_000,
  expect: { timeout: 30_000 },
  workers: 1, // two cores, and SwiftShader WebGPU is CPU-bound
  retries: 0,
  reporter: [['list']],
  // Service workers are blocked except in the PWA spec (it allows them): a worker serving the app from its cache would
  // hide requests from the routing and counting the other specs rely on.
  use: { browserName: 'chromium', headless: true, baseURL: `http://127.0.0.1:${port}`, serviceWorkers: 'block' },
  projects: [
    {
      // WebGPU through SwiftShader (the only adapter on a machine without a GPU).
      name: 'webgpu',
      testIgnore: /no-webgpu\.spec\.ts/,
      use: { launchOptions: { executablePath, args: [...baseArgs, '--enable-unsafe-webgpu'] } },
    },
    {
      // Without the flag Linux Chromium exposes no adapter: the WASM fallback path.
      name: 'no-webgpu',
      testMatch: /no-webgpu\.spec\.ts/,
      use: { launchOptions: { executablePath, args: baseArgs } },
    },
  ],
  webServer: {
    command: `npm run build:e2e && npx vite preview --mode e2e --port ${port}`,
    url: `http://127.0.0.1:${port}/`,
    reuseExistingServer: !process.env.CI,
    timeout: 180_000,
  },
});
