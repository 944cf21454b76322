// Converting checkpoints in the page (issue 12): the fixture pair from a Hugging Face stand-in (302 to a CDN on
// another origin, Range answers, faults on demand) or from local files, through the lab page's engine; the pack's
// files equal `npm run convert`'s, its images equal Node `generate`'s; a reload mid-way resumes; bad inputs fail with
// their own codes and list nothing.

import { expect, type Page, test } from '@playwright/test';
import type { GenerateRequest } from '../src/core/generate/var-pipeline';
import { VarPipeline } from '../src/core/generate/var-pipeline';
import type { PackFile } from '../src/core/pack/manifest';
import { nodeBackend } from '../src/node/ort-backends';
import { openPackDir } from '../src/node/pack-dir';
import type { ConvertProgress, ConvertRequest, GenerateParams } from '../src/shared/engine-api';
import { type CliPack, convertWithCli } from '../src/testing/convert-fixtures';
import { readFixtureBytes } from '../src/testing/fixtures';
import type { LabEngine } from '../src/testing/lab/lab-api';
import { openLab } from '../src/testing/lab/lab-client';
import { type HubServer, startHubServer } from '../src/testing/store/hub-server';
import { hostileCheckpoint, notACheckpoint, truncated } from '../src/testing/writers/bad-checkpoints';
import { trainerCheckpointFrom } from '../src/testing/writers/trainer-checkpoint';

/** Small store chunks, so the 2.5 MB pack spans many and a reload lands inside a file. */
const CHUNK = 64 * 1024;
/** The largest tensor the tiny pair's plan reads (head.weight, 4096 × 128 float32) and the byte source's read-ahead. */
const LARGEST_TENSOR = 4096 * 128 * 4;
const READ_AHEAD = 64 * 1024;

let varBytes: Uint8Array;
let vaeBytes: Uint8Array;
let cliQ4: CliPack;
let cliFloat: CliPack;
let hub: HubServer;

test.beforeAll(async () => {
  varBytes = await readFixtureBytes('tiny_var.pth');
  vaeBytes = await readFixtureBytes('tiny_vae.pth');
  cliQ4 = await convertWithCli({ var: varBytes, vae: vaeBytes }, 'q4');
  cliFloat = await convertWithCli({ var: varBytes, vae: vaeBytes }, 'none');
});
test.afterAll(async () => {
  await cliQ4?.remove();
  await cliFloat?.remove();
});
test.beforeEach(async () => {
  hub = await startHubServer();
  hub.add('var_d2.pth', varBytes);
  hub.add('vae_ch160v4096z32.pth', vaeBytes);
});
test.afterEach(async () => {
  await hub.close();
});

const fromHub = (quant: ConvertRequest['quant'] = 'q4'): ConvertRequest => ({
  var: { url: hub.resolveUrl('var_d2.pth') },
  vae: { url: hub.resolveUrl('vae_ch160v4096z32.pth') },
  quant,
});

interface ConvertOutcome {
  readonly ok: boolean;
  readonly id?: string;
  readonly code?: string;
  readonly message?: string;
  readonly phases: string[];
  readonly last?: ConvertProgress;
}

/** A conversion through the lab engine; local files travel as base64 and become Files in the page. */
function convertInPage(
  page: Page,
  request: ConvertRequest | { files: { name: string; base64: string }[]; quant?: ConvertRequest['quant'] },
): Promise<ConvertOutcome> {
  return page.evaluate(async (req) => {
    const engine = (window as unknown as { varEngine: LabEngine }).varEngine;
    const phases: string[] = [];
    let last: ConvertProgress | undefined;
    const decoded =
      'files' in req && req.files && 'base64' in (req.files[0] ?? {})
        ? {
            ...req,
            files: (req.files as unknown as { name: string; base64: string }[]).map(
              (f) => new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name),
            ),
          }
        : req;
    try {
      const info = await engine.convertModel(decoded as ConvertRequest, {
        onProgress: (p) => {
          if (phases[phases.length - 1] !== p.phase) phases.push(p.phase);
          last = p;
          (window as unknown as { convertProgress: ConvertProgress }).convertProgress = p;
        },
      });
      return { ok: true, id: info.id, phases, last };
    } catch (e) {
      return { ok: false, code: (e as { code?: string }).code, message: (e as Error).message, phases, last };
    }
  }, request as ConvertRequest);
}

/** The stored manifest's files (read from the store's IndexedDB, which the lab page shares with its worker). */
function storedFiles(page: Page, name: string): Promise<PackFile[] | undefined> {
  return page.evaluate(
    (key) =>
      new Promise<PackFile[] | undefined>((resolve, reject) => {
        const open = indexedDB.open('var-web-store-v1-manifests');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const get = db.transaction('manifests').objectStore('manifests').get(key);
          get.onsuccess = () => resolve((get.result as { manifest?: { files: PackFile[] } })?.manifest?.files);
          get.onerror = () => reject(get.error);
        };
      }),
    name,
  );
}

function listedIds(page: Page): Promise<string[]> {
  return page.evaluate(async () =>
    (await (window as unknown as { varEngine: LabEngine }).varEngine.listModels()).map((m) => m.id),
  );
}

async function pixelsInPage(page: Page, params: GenerateParams): Promise<number[]> {
  return page.evaluate(async (p) => {
    const result = await (window as unknown as { varEngine: LabEngine }).varEngine.generate(p);
    return Array.from(result.images[0]?.rgba.data ?? []);
  }, params);
}

async function pixelsInNode(packDir: string, request: GenerateRequest): Promise<number[]> {
  const pipeline = await VarPipeline.load(await openPackDir(packDir), await nodeBackend('wasm', 1));
  const { images } = await pipeline.generate(request);
  await pipeline.release();
  const plane = images.size * images.size;
  return Array.from({ length: plane * 4 }, (_, k) => {
    const c = k % 4;
    return c === 3 ? 255 : Math.trunc((images.data[c * plane + (k >> 2)] as number) * 255);
  });
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

test("from the Hub stand-in (with a 429, a 503 and a dropped connection): the CLI pack's files, and Node's pixels", async ({
  page,
}) => {
  await openLab(page, { chunkBytes: CHUNK });
  hub.cdn.failures.push({ status: 429, retryAfter: '1' }, { status: 503 });
  hub.cdn.cuts.push(Math.floor(varBytes.byteLength * 0.7));
  const outcome = await convertInPage(page, fromHub());
  expect(outcome, outcome.message).toMatchObject({ ok: true, id: 'var_d2-q4' });
  expect(outcome.phases).toEqual(['checking', 'converting', 'writing']);
  expect(outcome.last).toMatchObject({
    tensorsDone: outcome.last?.tensorsTotal,
    packBytesDone: outcome.last?.packBytes,
  });
  expect(await storedFiles(page, 'var_d2-q4')).toEqual(cliQ4.manifest.files);
  expect(hub.cdn.failures).toEqual([]);
  expect(hub.cdn.cuts).toEqual([]);
  // Read amplification: bytes fetched / both files' sizes (the VQ-VAE's encoder is never read).
  const fetched = outcome.last?.fetchedBytes ?? 0;
  console.info(
    `tiny pair over HTTP: fetched ${fetched} of ${varBytes.byteLength + vaeBytes.byteLength} bytes (${((100 * fetched) / (varBytes.byteLength + vaeBytes.byteLength)).toFixed(0)} %)`,
  );
  expect(await listedIds(page)).toContain('var_d2-q4');

  for (const s of [
    { cfg: 4, topK: 1, topP: 0, moreSmooth: false, seed: 0 }, // greedy
    { cfg: 4, topK: 900, topP: 0.95, moreSmooth: false, seed: 5 }, // sampled
  ]) {
    const ours = await pixelsInPage(page, { modelId: 'var_d2-q4', classId: 207, count: 1, backend: 'wasm', ...s });
    const node = await pixelsInNode(cliQ4.dir, { ...s, labels: [207] });
    expect(ours.length).toBe(node.length);
    let differing = 0;
    for (let i = 0; i < ours.length; i++) if (ours[i] !== node[i]) differing++;
    expect(differing, `pixels differing from Node generate (top-k ${s.topK})`).toBe(0);
  }
});

test('local files in any order, the VAR one a trainer checkpoint: the CLI pack at --quant none (var_d2)', async ({
  page,
}) => {
  await openLab(page, { chunkBytes: CHUNK });
  const trainer = await trainerCheckpointFrom(varBytes);
  const outcome = await convertInPage(page, {
    files: [
      { name: 'vae_ch160v4096z32.pth', base64: base64(vaeBytes) },
      { name: 'ar-ckpt-last.pth', base64: base64(trainer) },
    ],
    quant: 'none',
  });
  expect(outcome, outcome.message).toMatchObject({ ok: true, id: 'var_d2' });
  expect(outcome.phases).toEqual(['checking', 'hashing', 'converting', 'writing']);
  expect(await storedFiles(page, 'var_d2')).toEqual(cliFloat.manifest.files);
});

test('a reload mid-download and one mid-convert: it resumes, fetching again at most a tensor each', async ({
  page,
}) => {
  await openLab(page, { chunkBytes: CHUNK });
  // The bytes an uninterrupted conversion fetches (then the model is deleted, and the same runs again).
  const clean = await convertInPage(page, fromHub());
  expect(clean.ok).toBe(true);
  const cleanBytes = hub.cdn.bytesSent;
  await page.evaluate(() => (window as unknown as { varEngine: LabEngine }).varEngine.deleteModel('var_d2-q4'));
  expect(await listedIds(page)).not.toContain('var_d2-q4');
  hub.cdn.bytesSent = 0;
  hub.cdn.latencyMs = 30; // ~150 requests: a few seconds, so the reloads land where they are meant to

  const interruptWhen = async (label: string, when: (p: ConvertProgress) => boolean) => {
    await page.evaluate((req) => {
      const w = window as unknown as { varEngine: LabEngine; convertProgress?: ConvertProgress };
      w.convertProgress = undefined;
      void w.varEngine
        .convertModel(req, {
          onProgress: (p) => {
            w.convertProgress = p;
          },
        })
        .catch((e: { code?: string }) => {
          (window as unknown as { convertError?: string }).convertError = e.code;
        });
    }, fromHub());
    await expect
      .poll(
        async () => {
          const { p, error } = await page.evaluate(() => {
            const w = window as unknown as { convertProgress?: ConvertProgress; convertError?: string };
            return { p: w.convertProgress, error: w.convertError };
          });
          if (error) return `failed: ${error} at ${JSON.stringify(p)}`;
          return p !== undefined && when(p);
        },
        { message: label, timeout: 60_000, intervals: [20] },
      )
      .toBe(true);
    await page.reload();
    await openLab(page, { chunkBytes: CHUNK });
    expect(await listedIds(page)).not.toContain('var_d2-q4');
  };
  // While reading checkpoints (planning reads the VQ-VAE decoder's weights) and while writing transformer weights.
  await interruptWhen('mid-download', (p) => p.fetchedBytes > 1_500_000 && p.name === '');
  await interruptWhen('mid-convert', (p) => p.file === 'transformer.data' && p.fileBytesDone > p.fileBytes * 0.5);
  hub.cdn.latencyMs = 0;
  const resumed = await convertInPage(page, fromHub());
  expect(resumed, resumed.message).toMatchObject({ ok: true, id: 'var_d2-q4' });
  expect(resumed.last?.resumedBytes).toBeGreaterThan(0);
  expect(await storedFiles(page, 'var_d2-q4')).toEqual(cliQ4.manifest.files);
  const refetched = hub.cdn.bytesSent - cleanBytes;
  console.info(`refetched after 2 reloads: ${refetched} bytes (clean run ${cleanBytes})`);
  // Per interruption: the tensor being read, a few read-ahead windows, and reads made since the last save.
  expect(refetched).toBeLessThanOrEqual(2 * (LARGEST_TENSOR + 8 * READ_AHEAD));
});

test('bad inputs: each its own error, and nothing listed', async ({ page }) => {
  await openLab(page, { chunkBytes: CHUNK });
  const before = await listedIds(page);
  const file = (bytes: Uint8Array, name: string) => ({ name, base64: base64(bytes) });
  const cases: [string, Parameters<typeof convertInPage>[1]][] = [
    ['E_WRONG_CHECKPOINT_KIND', { ...fromHub(), var: fromHub().vae, vae: fromHub().var }],
    ['E_WRONG_CHECKPOINT_KIND', { files: [file(varBytes, 'a.pth'), file(varBytes, 'b.pth')] }],
    ['E_CHECKPOINT_TRUNCATED', { files: [file(truncated(varBytes), 'var.pth'), file(vaeBytes, 'vae.pth')] }],
    ['E_NOT_ZIP', { files: [file(notACheckpoint(), 'var.pth'), file(vaeBytes, 'vae.pth')] }],
    ['E_PICKLE_FORBIDDEN_GLOBAL', { files: [file(await hostileCheckpoint(), 'evil.pth'), file(vaeBytes, 'vae.pth')] }],
  ];
  for (const [code, request] of cases) {
    const outcome = await convertInPage(page, request);
    expect(outcome, `${code}: ${outcome.message}`).toMatchObject({ ok: false, code });
  }
  hub.cdn.htmlPages = 1;
  const html = await convertInPage(page, fromHub());
  expect(html).toMatchObject({ ok: false, code: 'E_NETWORK', message: expect.stringContaining('web page') });
  expect(await listedIds(page)).toEqual(before);
  const usage = await page.evaluate(() => (window as unknown as { varEngine: LabEngine }).varEngine.storageUsage());
  expect(usage.models).toEqual([]);
});

test.describe('the page: Add a model', () => {
  const addForm = (page: Page) => page.getByRole('form', { name: 'Add a model' });

  test('a catalog entry fills the URLs; 32-bit weights from the stand-in: progress, Cancel, picked, in share links', async ({
    page,
  }) => {
    await page.goto('/');
    const form = addForm(page);
    await expect(
      form.getByRole('button', { name: 'VAR-d16 · FID 3.55 · downloads 1.7 GB once, keeps 278 MB' }),
    ).toBeVisible();
    await form.getByRole('button', { name: /^VAR-d30 · .* large GPU/ }).click();
    await expect(form.getByLabel('VAR checkpoint URL')).toHaveValue(
      'https://huggingface.co/FoundationVision/var/resolve/main/var_d30.pth',
    );
    await form.getByLabel('VAR checkpoint URL').fill(hub.resolveUrl('var_d2.pth'));
    await form.getByLabel('VQ-VAE checkpoint URL').fill(hub.resolveUrl('vae_ch160v4096z32.pth'));
    await expect(form.getByLabel('Weights').locator('option')).toHaveText(['4-bit', '8-bit', '16-bit', '32-bit']);
    await form.getByLabel('Weights').selectOption({ label: '32-bit' });
    hub.cdn.latencyMs = 40; // slow enough to see the progress and the Cancel button
    await form.getByRole('button', { name: 'Convert' }).click();
    await expect(form.getByRole('button', { name: 'Cancel' })).toBeVisible();
    await expect(form.getByTestId('add-model.status')).toContainText(/Downloading and converting: .* fetched/);
    await page.getByTestId('add-model').screenshot({ path: 'test-results/add-model-converting.png' });
    await expect(form.getByTestId('add-model.status')).toContainText('Added VAR-d2', { timeout: 120_000 });
    const select = page.getByTestId('model.select');
    await expect(select.locator('option[value="var_d2"]')).toHaveCount(1);
    // A share link naming the converted model selects it.
    await page.goto('/?model=var_d2');
    await expect(page.getByTestId('model.select')).toHaveValue('var_d2');
  });

  test('the model picker offers the official models: Download and convert runs the form on the Hub URLs', async ({
    page,
  }) => {
    await page.goto('/?model=var_d20-q4'); // a link to a model this browser has not converted yet
    const select = page.getByTestId('model.select');
    await expect(select).toHaveValue('official:VAR-d20');
    await expect(page.getByText('VAR-d20 is not in this browser yet: Download and convert it first.')).toBeVisible();
    const group = select.locator('optgroup[label="Official VAR models: converted in this browser"] option');
    await expect(group).toHaveText([
      'VAR-d16 · FID 3.55 · downloads 1.7 GB once, keeps 278 MB',
      'VAR-d20 · FID 2.95 · downloads 2.8 GB once, keeps 433 MB',
      /^VAR-d24 · FID 2\.33 · downloads 4\.6 GB once, keeps 663 MB · large GPU, ~\d\.\d GB$/,
      /^VAR-d30 · FID 1\.97 · downloads 8\.5 GB once, keeps 1\.2 GB · large GPU, ~\d\.\d GB$/,
    ]);
    await select.selectOption({ label: 'VAR-d16 · FID 3.55 · downloads 1.7 GB once, keeps 278 MB' });
    await expect(page.getByTestId('model.download-state')).toHaveText(
      'Not in this browser yet: Download and convert fetches the official checkpoints from Hugging Face (1.7 GB, once) and keeps a 4-bit model (278 MB).',
    );
    // Generate cannot run it yet, and says why.
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await expect(page.getByText('VAR-d16 is not in this browser yet: press Download and convert first.')).toBeVisible();
    // The conversion starts in the engine on the Hub URLs. Nothing outside this machine is reachable (it would end in
    // E_NETWORK after its retries), so it is cancelled: the engine answers E_ABORTED for the request it was running.
    await page.getByRole('button', { name: 'Download and convert' }).click();
    const form = addForm(page);
    await expect(form.getByLabel('VAR checkpoint URL')).toHaveValue(
      'https://huggingface.co/FoundationVision/var/resolve/main/var_d16.pth',
    );
    await expect(form.getByLabel('VQ-VAE checkpoint URL')).toHaveValue(
      'https://huggingface.co/FoundationVision/var/resolve/main/vae_ch160v4096z32.pth',
    );
    await expect(form.getByTestId('add-model.status')).toHaveText('Converting…');
    await form.getByRole('button', { name: 'Cancel' }).click();
    await expect(form.getByRole('alert')).toContainText('E_ABORTED');
    await expect(select).toHaveValue('official:VAR-d16'); // still offered: nothing was listed
  });

  test('through the file input: the pack is listed; a hostile pickle is refused with its code and lists nothing', async ({
    page,
  }) => {
    await page.goto('/');
    const form = addForm(page);
    await expect(page.getByTestId('model.select')).toBeEnabled(); // the list of models has loaded
    const before = await page.getByTestId('model.select').locator('option').count();
    await form.getByLabel('Checkpoint files').setInputFiles([
      { name: 'evil.pth', mimeType: 'application/octet-stream', buffer: Buffer.from(await hostileCheckpoint()) },
      { name: 'vae_ch160v4096z32.pth', mimeType: 'application/octet-stream', buffer: Buffer.from(vaeBytes) },
    ]);
    await form.getByRole('button', { name: 'Convert' }).click();
    await expect(form.getByRole('alert')).toContainText('E_PICKLE_FORBIDDEN_GLOBAL');
    await expect(page.getByTestId('model.select').locator('option')).toHaveCount(before);

    await form.getByLabel('Checkpoint files').setInputFiles([
      { name: 'vae_ch160v4096z32.pth', mimeType: 'application/octet-stream', buffer: Buffer.from(vaeBytes) },
      { name: 'var_d2.pth', mimeType: 'application/octet-stream', buffer: Buffer.from(varBytes) },
    ]);
    await form.getByRole('button', { name: 'Convert' }).click();
    await expect(form.getByTestId('add-model.status')).toContainText('Added VAR-d2', { timeout: 120_000 });
    await expect(form.getByTestId('add-model.error')).toBeEmpty(); // the earlier error is gone
    await expect(page.getByTestId('model.select').locator('option[value="var_d2-q4"]')).toHaveCount(1);
  });
});
