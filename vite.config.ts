// Vite config for the app (index.html at the root, the engine in a module worker).
//
// Two builds: the production build (`npm run build` → dist/: the app and the packs meant for users) and the test build
// (`npm run build:e2e`, mode "e2e" → dist-e2e/: the same app plus the ORT lab page with its test engine worker and the
// test packs, for Playwright and the browser benchmarks). `npm run check:dist` proves dist/ holds no test part.
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { framingHeaders, ISOLATION_HEADERS } from './src/shared/http-headers';

// Multi-threaded WASM needs cross-origin isolation on EVERY response, worker scripts included
// (with headers on the document only, ORT's pthread workers are blocked and session creation hangs).
const crossOriginIsolation = { ...ISOLATION_HEADERS };

const ROOT = import.meta.dirname;
/** Where `npm run models -- --test-packs` writes the packs that only tests use (micro, micro-fp16). */
const TEST_PACKS_DIR = resolve(ROOT, '.test-packs');

/** Test build only: copies the test packs into models/ and lists them in models/index.json after the app's packs. */
function testPacks(outDir: string): Plugin {
  return {
    name: 'var-web-test-packs',
    apply: 'build',
    async closeBundle() {
      const models = join(outDir, 'models');
      const index = JSON.parse(await readFile(join(models, 'index.json'), 'utf8')) as { packs: string[] };
      const names = (await readdir(TEST_PACKS_DIR, { withFileTypes: true })).filter((e) => e.isDirectory());
      for (const entry of names)
        await cp(join(TEST_PACKS_DIR, entry.name), join(models, entry.name), { recursive: true });
      const packs = [...index.packs, ...names.map((e) => e.name).filter((n) => !index.packs.includes(n))];
      await writeFile(join(models, 'index.json'), `${JSON.stringify({ ...index, packs }, null, 2)}\n`);
    },
  };
}

/** framingHeaders (src/shared/http-headers.ts) on the dev and preview servers. */
function framing(): Plugin {
  const middleware = (req: { url?: string }, res: { setHeader(n: string, v: string): void }, next: () => void) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    for (const [name, value] of Object.entries(framingHeaders(path))) res.setHeader(name, value);
    next();
  };
  return {
    name: 'var-web-framing-headers',
    configureServer: (server) => void server.middlewares.use(middleware),
    configurePreviewServer: (server) => void server.middlewares.use(middleware),
  };
}

/** Workbox refuses files over 2 MiB by default; onnxruntime-web's .wasm (28 MB) is the one exception made. */
const WASM_PRECACHE_LIMIT = 40 * 1024 * 1024;
const SHELL_FILE_LIMIT = 2 * 1024 * 1024;

/** The app as an installable PWA: manifest, icons from one SVG, the service worker in workers/sw.ts. */
function pwa() {
  return VitePWA({
    strategies: 'injectManifest',
    srcDir: 'workers',
    filename: 'sw.ts',
    registerType: 'prompt',
    injectRegister: false, // src/app/pwa/service-worker.ts registers it (and handles updates and isolation)
    devOptions: { enabled: false }, // `npm run dev` runs without a service worker in the way
    // index.html carries theme-color for light and dark itself.
    pwaAssets: {
      image: 'public/icon.svg',
      preset: 'minimal-2023',
      overrideManifestIcons: true,
      injectThemeColor: false,
    },
    manifest: {
      name: 'var-web: VAR image generation in your browser',
      short_name: 'var-web',
      description:
        'Visual Autoregressive image generation (VAR, next-scale prediction) on your own GPU through WebGPU: no server, works offline once a model is downloaded.',
      start_url: './',
      scope: './',
      display: 'standalone',
      theme_color: '#1e3a8a',
      background_color: '#f8fafc',
      categories: ['graphics', 'photo', 'education'],
    },
    injectManifest: {
      // (manifest.webmanifest is added by the plugin itself.)
      globPatterns: ['**/*.{html,js,mjs,css,wasm,json,svg,png,ico}'],
      // Packs belong to the IndexedDB store, not to the shell; test-build pages are not part of the app.
      globIgnores: ['models/**', 'src/testing/**', '**/*.map'],
      maximumFileSizeToCacheInBytes: WASM_PRECACHE_LIMIT,
      manifestTransforms: [
        async (entries) => {
          const warnings: string[] = [];
          const manifest = entries.filter((e) => {
            const keep = e.size <= SHELL_FILE_LIMIT || e.url.endsWith('.wasm');
            if (!keep) warnings.push(`${e.url} (${e.size} bytes) is over the 2 MiB shell limit: not precached`);
            return keep;
          });
          return { manifest, warnings };
        },
      ],
    },
  });
}

export default defineConfig(({ mode }) => {
  const e2e = mode === 'e2e';
  // E2E_DIST: another folder for the test build, so two developers' e2e runs on one machine do not share one.
  const outDir = resolve(ROOT, e2e ? (process.env.E2E_DIST ?? 'dist-e2e') : 'dist');
  const input: Record<string, string> = {
    main: resolve(ROOT, 'index.html'),
    embed: resolve(ROOT, 'embed.html'),
    // The host pages' client, at a stable address (embed-client.js) so that a snippet can import it.
    'embed-client': resolve(ROOT, 'src/embed/client.ts'),
  };
  if (e2e) input.lab = resolve(ROOT, 'src/testing/lab/ort-lab.html');
  return {
    server: { host: '127.0.0.1', port: 5173, strictPort: true, headers: crossOriginIsolation },
    preview: { host: '127.0.0.1', port: 4173, strictPort: true, headers: crossOriginIsolation },
    worker: { format: 'es' },
    // What the footer says this build is: the package version, and a build label when the deploy sets one.
    define: {
      __VAR_WEB_VERSION__: JSON.stringify(
        `${process.env.npm_package_version ?? '0.1.0'}${process.env.VAR_WEB_BUILD ? ` (${process.env.VAR_WEB_BUILD})` : ''}`,
      ),
    },
    // ORT ships its own wasm next to its .mjs; pre-bundling would move the .mjs away from the wasm.
    optimizeDeps: { exclude: ['onnxruntime-web'] },
    plugins: [pwa(), framing(), ...(e2e ? [testPacks(outDir)] : [])],
    build: {
      target: 'es2022',
      outDir,
      emptyOutDir: true,
      sourcemap: true,
      rollupOptions: {
        input,
        // An app build drops the exports of its entries; the client's exports are its point.
        preserveEntrySignatures: 'exports-only',
        // The client is imported by other sites' pages by name; everything else keeps content-hashed names.
        output: {
          entryFileNames: (chunk) => (chunk.name === 'embed-client' ? 'embed-client.js' : 'assets/[name]-[hash].js'),
        },
      },
    },
  };
});
