import 'fake-indexeddb/auto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PackManifest } from '../../../src/core/pack/manifest';
import type { ConvertProgress, ConvertRequest } from '../../../src/shared/engine-api';
import { type CliPack, convertWithCli } from '../../../src/testing/convert-fixtures';
import { readFixtureBytes } from '../../../src/testing/fixtures';
import { type HubServer, startHubServer } from '../../../src/testing/store/hub-server';
import { freshStore, instantRetry, unlimitedQuota } from '../../../src/testing/store/store-fixtures';
import { hostileCheckpoint, notACheckpoint, truncated } from '../../../src/testing/writers/bad-checkpoints';
import { trainerCheckpointFrom } from '../../../src/testing/writers/trainer-checkpoint';
import type { StoreContext } from '../store/download-file';
import { withFileLock } from '../store/file-lock';
import type { ModelStore } from '../store/model-store';
import { readVerifiedFile } from '../store/read-verified';
import { listStoredModels } from '../store/stored-models';
import { convertModel } from './convert-model';
import { conversionLockName, convertedPackUrl } from './convert-to-store';
import { discardConversion, listInterruptedConversions } from './interrupted-conversions';

const CHUNK = 64 * 1024;
let varBytes: Uint8Array;
let vaeBytes: Uint8Array;
let cliQ4: CliPack;

beforeAll(async () => {
  varBytes = await readFixtureBytes('tiny_var.pth');
  vaeBytes = await readFixtureBytes('tiny_vae.pth');
  cliQ4 = await convertWithCli({ var: varBytes, vae: vaeBytes }, 'q4');
}, 60_000);
afterAll(() => cliQ4.remove());

/** Pack files as the manifest lists them, comparable across runs. */
const files = (m: PackManifest) => m.files.map((f) => ({ ...f }));

describe('convertModel into the store', () => {
  let hub: HubServer;
  let store: ModelStore;
  let ctx: StoreContext;
  beforeEach(async () => {
    hub = await startHubServer();
    hub.add('tiny_var.pth', varBytes);
    hub.add('tiny_vae.pth', vaeBytes);
    store = freshStore({ chunkBytes: CHUNK });
    ctx = { store, retry: instantRetry().retry, estimate: unlimitedQuota };
  });
  afterEach(() => hub.close());

  const urls: ConvertRequest = {};
  const fromHub = (quant: ConvertRequest['quant'] = 'q4'): ConvertRequest => ({
    ...urls,
    var: { url: hub.resolveUrl('tiny_var.pth') },
    vae: { url: hub.resolveUrl('tiny_vae.pth') },
    quant,
  });
  const http = { retry: instantRetry().retry };

  /** Everything the store holds: no manifest, no conversion record, no chunk means nothing was written. */
  async function storeContents() {
    return {
      manifests: (await store.listManifests()).map((m) => m.name),
      conversions: (await store.listConversions()).length,
      chunked: (await store.chunkedFiles()).size,
      files: (await store.fileShas()).size,
    };
  }

  it('from Hub URLs: every file byte-identical to npm run convert, listed complete, progress by phase', async () => {
    const progress: ConvertProgress[] = [];
    const { manifest, packUrl } = await convertModel(ctx, fromHub(), {
      http,
      onProgress: (p) => progress.push(p),
    });
    expect(manifest.name).toBe('var_d2-q4');
    expect(packUrl).toBe(convertedPackUrl('var_d2-q4'));
    expect(files(manifest)).toEqual(files(cliQ4.manifest));
    expect(manifest.source).toEqual(cliQ4.manifest.source); // names, sizes, sha256 from the Hub's listing
    const { files: _a, createdBy: _b, ...rest } = manifest;
    const { files: _c, createdBy: _d, ...cliRest } = cliQ4.manifest;
    expect(rest).toEqual(cliRest);
    for (const file of manifest.files) expect(await readVerifiedFile(store, file)).toBeDefined();
    const stored = await listStoredModels(store);
    expect(stored.map((m) => [m.name, m.status.state, m.packUrl])).toEqual([['var_d2-q4', 'downloaded', packUrl]]);
    // No temporary chunks or records are left behind.
    const count = manifest.files.length;
    expect(await storeContents()).toEqual({ manifests: ['var_d2-q4'], conversions: 0, chunked: count, files: count });

    const phases = [...new Set(progress.map((p) => p.phase))];
    expect(phases).toEqual(['checking', 'converting', 'writing']);
    const last = progress[progress.length - 1] as ConvertProgress;
    expect(last.tensorsTotal).toBeGreaterThan(50);
    expect(last.tensorsDone).toBe(last.tensorsTotal);
    expect(last.packBytesDone).toBe(last.packBytes);
    expect(last.checkpointBytes).toBe(varBytes.byteLength + vaeBytes.byteLength);
    // Read amplification: the encoder half of the VQ-VAE and VAR's buffers are never fetched.
    expect(last.fetchedBytes).toBeLessThan(last.checkpointBytes);
    const converting = progress.filter((p) => p.phase === 'converting');
    expect(converting.some((p) => p.tensorsDone > 0 && p.tensorsDone < p.tensorsTotal)).toBe(true);
  });

  it('interrupted mid-file, it resumes at the last chunk: same files, little fetched again', async () => {
    const clean = await convertModel(freshCtx(), fromHub(), { http });
    const cleanFetched = hub.cdn.bytesSent;
    hub.cdn.bytesSent = 0;

    expect(await cancelHalfwayThroughTransformer()).toMatchObject({ code: 'E_ABORTED' });
    // Nothing is listed; the job's chunks stay, referenced by its record.
    expect((await storeContents()).manifests).toEqual([]);
    expect((await storeContents()).conversions).toBe(1);

    let resumed = 0;
    const second = await convertModel(ctx, fromHub(), { http, onProgress: (p) => (resumed = p.resumedBytes) });
    expect(files(second.manifest)).toEqual(files(clean.manifest));
    expect(resumed).toBeGreaterThan(0);
    expect(second.resumedBytes).toBe(resumed);
    const refetched = hub.cdn.bytesSent - cleanFetched;
    // At most the tensor the last chunk ended in (head.weight, 2 MiB, is the largest read) and the read-ahead of a few
    // requests (64 KiB each): the directories, pickles and inline tensors come from the store (read-cache.ts).
    expect(refetched).toBeLessThanOrEqual(2 * 1024 * 1024 + 6 * 64 * 1024);
    expect(refetched).toBeGreaterThan(0);
    expect(await storeContents()).toMatchObject({ manifests: ['var_d2-q4'], conversions: 0 });
    expect(await store.getReadCache((await store.listConversions())[0]?.id ?? 'none')).toBeUndefined();
  });

  it('interrupted again and again: each interruption fetches at most one chunk of checkpoint bytes again', async () => {
    // A 256 KiB chunk holds the 4-bit blocks of ~2 MiB of float32 weights, and head.weight (2 MiB) spans 8 chunks of
    // checkpoint: without the read spool a resume fetched again everything behind the chunk being written.
    const big = 256 * 1024;
    const cleanStore = freshStore({ chunkBytes: big });
    const clean = await convertModel(
      { store: cleanStore, retry: instantRetry().retry, estimate: unlimitedQuota },
      fromHub(),
      { http },
    );
    const cleanFetched = hub.cdn.bytesSent;
    hub.cdn.bytesSent = 0;

    const spooled = freshStore({ chunkBytes: big });
    const spooledCtx: StoreContext = { store: spooled, retry: instantRetry().retry, estimate: unlimitedQuota };
    let interruptions = 0;
    const spoolJobs = new Set<string>();
    type Converted = Awaited<ReturnType<typeof convertModel>>;
    let result: Converted | undefined;
    // Each run is cut once it fetched 300 KiB: while planning (the read cache keeps those reads) and while writing the
    // pack (the read spool keeps them), mid-tensor and mid-chunk. Measured: 17 cuts, 238 KB fetched again per cut.
    for (let run = 0; run < 40 && !result; run++) {
      const abort = new AbortController();
      let from: number | undefined;
      const outcome = await convertModel(spooledCtx, fromHub(), {
        http,
        signal: abort.signal,
        onProgress: (p) => {
          from ??= p.fetchedBytes;
          if (p.fetchedBytes - from > 300 * 1024) abort.abort();
        },
      }).catch((e: unknown) => e);
      if (outcome && typeof outcome === 'object' && 'manifest' in outcome) result = outcome as Converted;
      else {
        expect(outcome).toMatchObject({ code: 'E_ABORTED' });
        interruptions++;
        for (const c of await spooled.listConversions()) spoolJobs.add(c.id);
      }
    }
    expect(result).toBeDefined();
    expect(files((result as Converted).manifest)).toEqual(files(clean.manifest));
    expect(interruptions).toBeGreaterThanOrEqual(8);
    const extra = hub.cdn.bytesSent - cleanFetched;
    // Per interruption: the piece in flight (one chunk) and the read-ahead of a few requests (64 KiB each).
    expect(extra / interruptions).toBeLessThanOrEqual(big + 4 * 64 * 1024);
    // Nothing of the job, its spool or its read cache is left once the pack is complete.
    expect(await spooled.listConversions()).toEqual([]);
    expect(spoolJobs.size).toBeGreaterThan(0);
    for (const job of spoolJobs) expect(await spooled.listSpool(job)).toEqual([]);
  }, 120_000);

  it('an interrupted conversion is listed with what it holds, and deleting it leaves nothing behind', async () => {
    expect(await cancelHalfwayThroughTransformer()).toMatchObject({ code: 'E_ABORTED' });
    const [listed, ...others] = await listInterruptedConversions(store);
    expect(others).toEqual([]);
    expect(listed?.label).toBe('VAR-d2 (1M) · 4-bit · conversion not finished');
    expect(listed?.download.state).toBe('partial');
    expect(listed?.download.storedBytes).toBeGreaterThan(0);
    expect(listed?.download.storedBytes).toBeLessThan(listed?.download.totalBytes ?? 0);
    const [record] = await store.listConversions();
    expect(record?.readCache).toBeDefined();
    expect(await store.listSpool(record?.id ?? '')).not.toEqual([]);

    // While a run of it holds its lock (here: held by hand), Delete is refused at once and removes nothing.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const holding = withFileLock(conversionLockName(record?.id ?? ''), () => held, undefined);
    await expect(discardConversion(store, listed?.id ?? '')).rejects.toMatchObject({ code: 'E_BUSY' });
    expect(await listInterruptedConversions(store)).toHaveLength(1);
    release();
    await holding;

    await discardConversion(store, listed?.id ?? '');
    expect(await listInterruptedConversions(store)).toEqual([]);
    expect(await storeContents()).toEqual({ manifests: [], conversions: 0, chunked: 0, files: 0 });
    expect(await store.listSpool(record?.id ?? '')).toEqual([]);
    expect(await store.getReadCache(record?.readCache ?? '')).toBeUndefined();
    // Converting again starts afresh and gives the same pack.
    const again = await convertModel(ctx, fromHub(), { http });
    expect(again.resumedBytes).toBe(0);
    expect(files(again.manifest)).toEqual(files(cliQ4.manifest));
  });

  it('local files in either order, and a trainer checkpoint, give the same pack', async () => {
    const trainer = await trainerCheckpointFrom(varBytes);
    const fromFiles = await convertModel(ctx, {
      files: [
        new Blob([vaeBytes as Uint8Array<ArrayBuffer>]),
        new File([trainer as Uint8Array<ArrayBuffer>], 'ar-ckpt-last.pth'),
      ],
      quant: 'q4',
    });
    expect(files(fromFiles.manifest)).toEqual(files(cliQ4.manifest));
    expect(fromFiles.manifest.source?.var.path).toBe('ar-ckpt-last.pth');
    // The CLI reads the trainer layout too, to the same files.
    const cliTrainer = await convertWithCli({ var: trainer, vae: vaeBytes }, 'q4', {
      var: 'ar-ckpt-last.pth',
      vae: 'tiny_vae.pth',
    });
    try {
      expect(files(cliTrainer.manifest)).toEqual(files(fromFiles.manifest));
      expect(cliTrainer.manifest.source?.var).toEqual(fromFiles.manifest.source?.var);
    } finally {
      await cliTrainer.remove();
    }
  });

  it('bad inputs fail with their own code and write nothing', async () => {
    const file = (bytes: Uint8Array, name: string) => ({ file: new File([bytes as Uint8Array<ArrayBuffer>], name) });
    const cases: [string, ConvertRequest][] = [
      ['E_WRONG_CHECKPOINT_KIND', { var: file(vaeBytes, 'vae.pth'), vae: file(varBytes, 'var.pth') }],
      [
        'E_WRONG_CHECKPOINT_KIND',
        { files: [new Blob([varBytes as Uint8Array<ArrayBuffer>]), new Blob([varBytes as Uint8Array<ArrayBuffer>])] },
      ],
      ['E_CHECKPOINT_TRUNCATED', { var: file(truncated(varBytes), 'var.pth'), vae: file(vaeBytes, 'vae.pth') }],
      ['E_NOT_ZIP', { var: file(notACheckpoint(), 'var.pth'), vae: file(vaeBytes, 'vae.pth') }],
      [
        'E_PICKLE_FORBIDDEN_GLOBAL',
        { var: file(await hostileCheckpoint(), 'var.pth'), vae: file(vaeBytes, 'vae.pth') },
      ],
      ['E_BAD_SETTINGS', { files: [new Blob([varBytes as Uint8Array<ArrayBuffer>])] }],
    ];
    for (const [code, request] of cases) {
      await expect(convertModel(ctx, { quant: 'q4', ...request }), code).rejects.toMatchObject({ code });
    }
    hub.cdn.htmlPages = 1;
    await expect(convertModel(ctx, fromHub(), { http })).rejects.toMatchObject({
      code: 'E_NETWORK',
      message: expect.stringContaining('web page'),
    });
    await expect(
      convertModel(ctx, { ...fromHub(), var: { url: `${hub.cdn.url}elsewhere/var.pth` } }, { http }),
    ).rejects.toMatchObject({ code: 'E_NETWORK' });
    expect(await storeContents()).toEqual({ manifests: [], conversions: 0, chunked: 0, files: 0 });
  });

  /** A conversion from the Hub stand-in cancelled half-way through transformer.data; its error. */
  function cancelHalfwayThroughTransformer(): Promise<unknown> {
    const abort = new AbortController();
    return convertModel(ctx, fromHub(), {
      http,
      signal: abort.signal,
      onProgress: (p) => {
        if (p.file === 'transformer.data' && p.fileBytesDone > p.fileBytes / 2) abort.abort();
      },
    }).catch((e: unknown) => e);
  }

  function freshCtx(): StoreContext {
    return { store: freshStore({ chunkBytes: CHUNK }), retry: instantRetry().retry, estimate: unlimitedQuota };
  }
});
