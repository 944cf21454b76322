// `npx tsx src/cli/bench-convert-browser.ts [--arch d16] [--quant q4]` (after `npm run build:e2e`): converts a
// synthetic checkpoint pair of a released architecture (written once to bench-out/, random weights, official format)
// in headless Chromium through the engine, served by the Hugging Face stand-in (src/testing/store/hub-server.ts).
// Reports the time, the peak memory (PSS of every Chromium process above the level before, on-disk profile; and the
// peak of live JS + WASM memory of the page and its engine worker, measureUserAgentSpecificMemory every 0.5 s, which
// measures after a garbage collection), bytes fetched vs the files' sizes, and what one interruption (a cancel
// half-way through the transformer weights, then a resume) fetches again.

import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Page } from '@playwright/test';
import type { QuantVariant, SyntheticArchitecture } from '../core/pack/manifest';
import type { ConvertProgress, ConvertRequest } from '../shared/engine-api';
import type { LabEngine } from '../testing/lab/lab-api';
import { labPageUrl, startTestBuildServer } from '../testing/lab/lab-server';
import { chromiumPssBytes } from '../testing/process-pss';
import { startHubServer } from '../testing/store/hub-server';
import { writeSyntheticCheckpoints } from '../testing/writers/synthetic-checkpoints';

const MB = 1e6;

interface Run {
  readonly ms: number;
  readonly peakPss: number;
  /** Live JS + WASM bytes of the page and the engine worker: before the conversion, and the largest sample during. */
  readonly liveBefore: number;
  readonly livePeak: number;
  readonly liveSamples: number;
  readonly last: ConvertProgress | undefined;
  readonly error?: string;
}

function convert(page: Page, request: ConvertRequest, cancelAt?: number): Promise<Run> {
  return page.evaluate(
    async ({ req, cancel }) => {
      const engine = (window as unknown as { varEngine: LabEngine }).varEngine;
      // Cross-origin isolated pages measure their agent cluster (the engine worker included), after a GC.
      const measure = async () =>
        (
          await (
            performance as Performance & { measureUserAgentSpecificMemory(): Promise<{ bytes: number }> }
          ).measureUserAgentSpecificMemory()
        ).bytes;
      const liveBefore = await measure();
      let livePeak = liveBefore;
      let liveSamples = 0;
      let running = true;
      const sampler = (async () => {
        while (running) {
          livePeak = Math.max(livePeak, await measure());
          liveSamples++;
          await new Promise((r) => setTimeout(r, 500));
        }
      })();
      const live = async () => {
        running = false;
        await sampler;
        return { liveBefore, livePeak, liveSamples };
      };
      const t0 = performance.now();
      let last: ConvertProgress | undefined;
      try {
        await engine.convertModel(req, {
          onProgress: (p) => {
            last = p;
            if (cancel !== undefined && p.file === 'transformer.data' && p.fileBytesDone > p.fileBytes / 2) {
              void engine.cancelConversion();
            }
          },
        });
        const ms = performance.now() - t0;
        return { ms, peakPss: 0, last, ...(await live()) };
      } catch (e) {
        const err = e as { code?: string; message?: string };
        const ms = performance.now() - t0;
        return { ms, peakPss: 0, last, error: `${err.code}: ${err.message}`, ...(await live()) };
      }
    },
    { req: request, cancel: cancelAt },
  );
}

async function withPss(work: () => Promise<Run>): Promise<Run> {
  const base = await chromiumPssBytes();
  let peak = base;
  let running = true;
  const sampler = (async () => {
    while (running) {
      peak = Math.max(peak, await chromiumPssBytes());
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  try {
    const run = await work();
    return { ...run, peakPss: peak - base };
  } finally {
    running = false;
    await sampler;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      arch: { type: 'string', default: 'd16' },
      quant: { type: 'string', default: 'q4' },
      port: { type: 'string', default: '4193' },
      'skip-interrupt': { type: 'boolean', default: false },
    },
  });
  const arch = values.arch as SyntheticArchitecture;
  const dir = resolve(`bench-out/synthetic-checkpoints-${arch}`);
  if (!existsSync(join(dir, 'vae_ch160v4096z32.pth'))) {
    await mkdir(dir, { recursive: true });
    const t0 = performance.now();
    await writeSyntheticCheckpoints(arch, dir);
    console.log(`wrote synthetic ${arch} checkpoints in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  const hub = await startHubServer();
  const varName = `var_${arch}.pth`;
  hub.add(varName, new Uint8Array(await readFile(join(dir, varName))));
  hub.add('vae_ch160v4096z32.pth', new Uint8Array(await readFile(join(dir, 'vae_ch160v4096z32.pth'))));
  const fileBytes = [...hub.files.values()].reduce((n, b) => n + b.byteLength, 0);
  const request: ConvertRequest = {
    var: { url: hub.resolveUrl(varName) },
    vae: { url: hub.resolveUrl('vae_ch160v4096z32.pth') },
    quant: values.quant as QuantVariant,
  };
  const port = Number(values.port);
  const preview = await startTestBuildServer(port);
  const runInProfile = async (work: (page: Page) => Promise<Run>) => {
    const profile = join(tmpdir(), `var-web-bench-convert-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        // measureUserAgentSpecificMemory at once (after a forced GC) instead of at the next natural GC (up to 20 s).
        '--enable-blink-features=ForceEagerMeasureMemory',
      ],
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      // tsx compiles the evaluated callbacks with esbuild's keepNames, which calls a __name helper the page lacks.
      await page.addInitScript('window.__name = (f) => f');
      await page.goto(labPageUrl(port));
      await page.getByTestId('lab.status').getByText('ready').waitFor();
      return await work(page);
    } finally {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    }
  };
  try {
    console.log(`synthetic ${arch} pair: ${(fileBytes / MB).toFixed(1)} MB; --quant ${values.quant}`);
    hub.cdn.bytesSent = 0;
    const clean = await runInProfile((page) => withPss(() => convert(page, request)));
    const cleanSent = hub.cdn.bytesSent;
    const l = clean.last;
    console.log(
      `clean: ${(clean.ms / 1000).toFixed(1)} s${clean.error ? ` FAILED ${clean.error}` : ''}, peak PSS +${(clean.peakPss / MB).toFixed(0)} MB, ` +
        `live JS+WASM ${(clean.liveBefore / MB).toFixed(1)} MB before, peak ${(clean.livePeak / MB).toFixed(1)} MB (${clean.liveSamples} samples), ` +
        `fetched ${(cleanSent / MB).toFixed(1)} MB of ${(fileBytes / MB).toFixed(1)} MB (${((100 * cleanSent) / fileBytes).toFixed(1)} %), ` +
        `pack ${((l?.packBytes ?? 0) / MB).toFixed(1)} MB, ${l?.tensorsTotal} tensors`,
    );
    if (!values['skip-interrupt']) {
      hub.cdn.bytesSent = 0;
      const resumed = await runInProfile(async (page) => {
        const half = ((l?.packBytes ?? 0) * 0.5) | 0;
        const first = await convert(page, request, half);
        const second = await convert(page, request);
        return { ...second, ms: first.ms + second.ms };
      });
      console.log(
        `cancelled half-way, then resumed: ${(resumed.ms / 1000).toFixed(1)} s${resumed.error ? ` FAILED ${resumed.error}` : ''}, ` +
          `fetched again ${((hub.cdn.bytesSent - cleanSent) / MB).toFixed(1)} MB, resumed ${((resumed.last?.resumedBytes ?? 0) / MB).toFixed(1)} MB of pack`,
      );
    }
  } finally {
    await preview.close();
    await hub.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
