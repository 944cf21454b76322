// The embed widget in other sites' pages: host pages served from a second origin (another port) drive it with the
// client (src/embed/client.ts) or with raw messages. Pixels equal the app's, origins are enforced, hostile traffic is
// ignored, the app refuses frames while the widget accepts them, isolation follows the host, small frames fit.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, type Frame, type Page, test } from '@playwright/test';
import { decode } from 'fast-png';
import { type StaticServer, startStaticServer } from '../src/testing/static-server';
import { AppPage } from './app-page';

let dir = '';
let plainHost: StaticServer;
let isolatedHost: StaticServer;

test.beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'var-web-hosts-'));
  plainHost = await startStaticServer(dir, '/');
  isolatedHost = await startStaticServer(dir, '/', {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
  });
});

test.afterAll(async () => {
  await plainHost?.close();
  await isolatedHost?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The widget's origin: the test build served by Playwright's web server. */
function widgetOrigin(page: Page): string {
  return new URL(test.info().project.use.baseURL ?? page.url()).origin;
}

/**
 * A host page that creates the widget's iframe (after the client listens, so no ready is missed) and keeps a
 * connected client on `window.widget`; every message the widget posts is logged in `window.received`.
 */
async function hostPage(
  name: string,
  widget: string,
  options: { query?: string; size?: number; isolatedFrame?: boolean } = {},
): Promise<void> {
  const src = `${widget}/embed.html?${options.query ?? 'model=tiny&backend=wasm'}`;
  await writeFile(
    join(dir, name),
    `<!doctype html><html><head><meta charset="utf-8"><title>host</title></head><body style="margin:0">
<script type="module">
import { VarWidget } from '${widget}/embed-client.js';
window.received = [];
addEventListener('message', (e) => { if (e.origin === '${widget}') window.received.push(e.data); });
const iframe = document.createElement('iframe');
iframe.src = ${JSON.stringify(src)};
iframe.width = iframe.height = '${options.size ?? 400}';
iframe.style.border = '0';
${options.isolatedFrame ? "iframe.allow = 'cross-origin-isolated';" : ''}
window.widgetReady = VarWidget.attach(iframe, { origin: '${widget}' }).then((w) => (window.widget = w));
window.frameElementReady = iframe;
document.body.append(iframe);
</script></body></html>`,
  );
}

async function widgetFrame(page: Page): Promise<Frame> {
  await expect.poll(() => page.frames().some((f) => f.url().includes('/embed.html')), { timeout: 30_000 }).toBe(true);
  return page.frames().find((f) => f.url().includes('/embed.html')) as Frame;
}

/** Generates through the client on the host page; returns the scales seen and the PNG files' bytes. */
function clientGenerate(page: Page, params: Record<string, unknown>) {
  return page.evaluate(async (p) => {
    type Widget = {
      generate(
        params: unknown,
        cb: { onScale: (s: { scale: number }) => void },
      ): Promise<{ images: { blob: Blob }[]; backend: string; totalMs: number }>;
    };
    const w = (await (window as unknown as { widgetReady: Promise<Widget> }).widgetReady) as Widget;
    const scales: number[] = [];
    const t0 = performance.now();
    const r = await w.generate(p, { onScale: (s) => scales.push(s.scale) });
    const pngs = await Promise.all(r.images.map(async (i) => Array.from(new Uint8Array(await i.blob.arrayBuffer()))));
    return { scales, pngs, backend: r.backend, ms: performance.now() - t0 };
  }, params);
}

async function appPixels(page: Page, query: string): Promise<number[]> {
  const app = new AppPage(page);
  await app.open(query);
  await app.waitForDone();
  return page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="canvas.image"][data-index="0"]');
    return Array.from(canvas?.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? []);
  });
}

test('a host page drives the widget with the client: 10 scales in order, PNGs with the app page’s pixels', async ({
  page,
  context,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const widget = widgetOrigin(page);
  await hostPage('client.html', widget, {
    query: `model=tiny&backend=wasm&origins=${encodeURIComponent(plainHost.url.slice(0, -1))}`,
  });
  await page.goto(`${plainHost.url}client.html`);
  for (const [name, params, query] of [
    ['greedy', { classId: 207, seed: 0, topK: 1, topP: 0, backend: 'wasm' }, 'class=207&seed=0&top_k=1&top_p=0'],
    ['sampled', { classId: 980, seed: 3, backend: 'wasm' }, 'class=980&seed=3'],
  ] as const) {
    const run = await clientGenerate(page, params);
    expect(run.scales, name).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(run.backend).toBe('wasm');
    const png = decode(Uint8Array.from(run.pngs[0] ?? []));
    expect([png.width, png.height, png.channels]).toEqual([256, 256, 4]);
    const app = await context.newPage();
    const pixels = await appPixels(app, `model=tiny&backend=wasm&count=1&autorun=1&${query}`);
    await app.close();
    expect(Buffer.from(png.data as Uint8Array).equals(Buffer.from(pixels)), `${name}: widget PNG = app canvas`).toBe(
      true,
    );
  }
  expect(errors).toEqual([]);
});

test('a host not listed in origins= is ignored: no reply, no generation', async ({ page }) => {
  const widget = widgetOrigin(page);
  await hostPage('stranger.html', widget, { query: 'model=tiny&backend=wasm&origins=https://blog.example' });
  await page.goto(`${plainHost.url}stranger.html`);
  const frame = await widgetFrame(page);
  await expect(frame.getByTestId('widget.status')).toHaveText('Pick a class and generate.');
  await page.evaluate(() => {
    const iframe = (window as unknown as { frameElementReady: HTMLIFrameElement }).frameElementReady;
    iframe.contentWindow?.postMessage({ type: 'var-web:generate', id: 'x', params: { classId: 1 } }, '*');
  });
  await page.waitForTimeout(3000);
  expect(await page.evaluate(() => (window as unknown as { received: unknown[] }).received)).toEqual([]);
  await expect(frame.getByTestId('widget.status')).toHaveText('Pick a class and generate.');
});

test('hostile traffic from an allowed host: ignored or answered once each, and the last request makes its image', async ({
  page,
}) => {
  test.setTimeout(240_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const widget = widgetOrigin(page);
  await hostPage('burst.html', widget);
  await page.goto(`${plainHost.url}burst.html`);
  await page.evaluate(() => (window as unknown as { widgetReady: Promise<unknown> }).widgetReady);
  const outcome = await page.evaluate(async (origin) => {
    const iframe = (window as unknown as { frameElementReady: HTMLIFrameElement }).frameElementReady;
    const target = iframe.contentWindow as Window;
    const send = (m: unknown) => target.postMessage(m, origin);
    const huge = 'x'.repeat(1_000_000);
    // 100 malformed messages and unknown types.
    for (let i = 0; i < 100; i++) {
      send(
        [
          null,
          42,
          huge,
          { type: 'var-web:generate' },
          { type: 'var-web:generate', id: huge },
          { type: 'var-web:nope', id: `n${i}` },
          { type: 'var-web:generate', id: 7, params: {} },
          [1, 2, 3],
        ][i % 8],
      );
    }
    // Well-formed but invalid: an error reply naming the field.
    send({ type: 'var-web:generate', id: 'bad-1', params: { classId: 1, cfg: huge } });
    send({ type: 'var-web:generate', id: 'bad-2', params: { classId: 5000 } });
    // 200 generate/cancel in a burst: every generate answered once, the last one produces its image.
    const ids: string[] = ['bad-1', 'bad-2'];
    for (let i = 0; i < 200; i++) {
      if (i % 4 === 3) send({ type: 'var-web:cancel', id: `g${i - 1}` });
      else {
        ids.push(`g${i}`);
        send({ type: 'var-web:generate', id: `g${i}`, params: { classId: i % 1000, seed: i, backend: 'wasm' } });
      }
    }
    const received = (window as unknown as { received: { type: string; id?: string; code?: string }[] }).received;
    const last = ids[ids.length - 1];
    const t0 = performance.now();
    while (!received.some((m) => m.id === last && (m.type === 'var-web:done' || m.type === 'var-web:error'))) {
      if (performance.now() - t0 > 180_000) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 500));
    const ends = received.filter((m) => m.type === 'var-web:done' || m.type === 'var-web:error');
    return {
      ids,
      ends: ends.map((m) => [m.id, m.type === 'var-web:done' ? 'done' : m.code]),
      lastImages: received.filter((m) => m.type === 'var-web:image' && m.id === last).length,
      stray: received.filter((m) => m.id !== undefined && !ids.includes(m.id)).length,
    };
  }, widget);
  const endsById = new Map<string, string[]>();
  for (const [id, end] of outcome.ends as [string, string][]) endsById.set(id, [...(endsById.get(id) ?? []), end]);
  expect([...endsById.keys()].sort()).toEqual([...outcome.ids].sort()); // every request answered…
  expect([...endsById.values()].every((e) => e.length === 1)).toBe(true); // …exactly once
  expect(endsById.get('bad-1')).toEqual(['E_BAD_SETTINGS']);
  expect(endsById.get('bad-2')).toEqual(['E_BAD_CLASS']);
  expect(endsById.get(outcome.ids.at(-1) ?? '')).toEqual(['done']);
  expect(outcome.lastImages).toBe(1);
  expect(outcome.stray).toBe(0); // nothing answered the malformed ones
  expect(errors).toEqual([]);
});

test('the app refuses to be framed; the widget can be', async ({ page }) => {
  const widget = widgetOrigin(page);
  await writeFile(
    join(dir, 'frames.html'),
    `<!doctype html><iframe id="app" src="${widget}/"></iframe><iframe id="widget" src="${widget}/embed.html"></iframe>`,
  );
  const [appResponse] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${widget}/`),
    page.goto(`${plainHost.url}frames.html`),
  ]);
  expect(appResponse.headers()['content-security-policy']).toBe("frame-ancestors 'none'");
  const frame = await widgetFrame(page);
  await expect(frame.getByTestId('widget.status')).toHaveText('Pick a class and generate.');
  // Blocked by frame-ancestors: the app's markup never appears in any frame of the host.
  for (const f of page.frames().filter((f) => f !== page.mainFrame() && !f.url().includes('/embed.html'))) {
    expect(await f.locator('[data-testid="controls"]').count()).toBe(0);
  }
});

test('isolation follows the host: isolated host with allow="cross-origin-isolated" → threaded; a plain host → one thread; both generate', async ({
  page,
}) => {
  test.setTimeout(240_000);
  const widget = widgetOrigin(page);
  const times: Record<string, number> = {};
  for (const [name, server, isolatedFrame] of [
    ['isolated', isolatedHost, true],
    ['plain', plainHost, false],
  ] as const) {
    await hostPage(`${name}.html`, widget, { isolatedFrame });
    await page.goto(`${server.url}${name}.html`);
    const frame = await widgetFrame(page);
    await expect(frame.getByTestId('widget.device')).toHaveAttribute('data-isolated', String(name === 'isolated'));
    expect(await frame.evaluate(() => crossOriginIsolated)).toBe(name === 'isolated');
    const run = await clientGenerate(page, { classId: 207, seed: 1, backend: 'wasm' });
    expect(run.pngs).toHaveLength(1);
    times[name] = run.ms;
  }
  console.log(
    `widget first image (tiny, WASM): isolated host ${times.isolated?.toFixed(0)} ms, plain host ${times.plain?.toFixed(0)} ms`,
  );
});

test('a 240×240 frame shows the whole image and the controls without scrollbars', async ({ page }) => {
  const widget = widgetOrigin(page);
  for (const size of [240, 600]) {
    await hostPage(`small-${size}.html`, widget, { size });
    await page.goto(`${plainHost.url}small-${size}.html`);
    const frame = await widgetFrame(page);
    await expect(frame.getByTestId('widget.generate')).toBeEnabled();
    if (process.env.SCREENSHOTS) await page.screenshot({ path: join(process.env.SCREENSHOTS, `widget-${size}.png`) });
    const boxes = await frame.evaluate(() => {
      const box = (sel: string) => document.querySelector(sel)?.getBoundingClientRect().toJSON() as DOMRect;
      const root = document.documentElement;
      return {
        scroll: [root.scrollWidth, root.scrollHeight, root.clientWidth, root.clientHeight],
        grid: box('[data-testid="canvas.grid"]'),
        button: box('[data-testid="widget.generate"]'),
        input: box('[data-testid="class.input"]'),
      };
    });
    const [sw, sh, cw, ch] = boxes.scroll as [number, number, number, number];
    expect(sw).toBeLessThanOrEqual(cw);
    expect(sh).toBeLessThanOrEqual(ch);
    for (const b of [boxes.grid, boxes.button, boxes.input]) {
      expect(b.left).toBeGreaterThanOrEqual(0);
      expect(b.top).toBeGreaterThanOrEqual(0);
      expect(b.right).toBeLessThanOrEqual(size);
      expect(b.bottom).toBeLessThanOrEqual(size);
    }
    expect(boxes.grid.width).toBeGreaterThan(size * 0.45);
  }
});
