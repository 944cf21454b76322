// Live previews: turns the pipeline's per-scale events into ScaleUpdates for the page, with a preview image when the
// budget allows and the page has taken the previous one. Previews are dropped, never queued, and never delay the
// final image.

import * as Comlink from 'comlink';
import type { ScaleEvent } from '../../src/core/generate/var-pipeline';
import type { Rgba, ScaleUpdate } from '../../src/shared/engine-api';
import { PREVIEW_MAX_LATENT, PreviewBudget } from './preview-budget';
import { rgbaBuffers, toRgba } from './rgba';

/**
 * How long a new preview waits for the page to take the previous one before it is dropped. A responsive page acks
 * in a few ms; a page that is busy (or a heavily loaded machine) costs at most this per scale, and never delays the
 * final image: the last scale neither waits nor sends a preview.
 */
export const PREVIEW_GRACE_MS = 250;

export interface PreviewOptions {
  readonly runId: number;
  /** Send preview images at all (benchmarks turn them off to measure their cost). */
  readonly enabled: boolean;
  readonly maxLatent?: number;
  /** The page's callback; may return a promise that settles when the page has taken the update. */
  readonly deliver: (update: ScaleUpdate) => unknown;
  readonly now?: () => number;
  readonly graceMs?: number;
}

/** One run's scale handler, and when its first preview was ready (ms after `start`, 0 when none was). */
export class PreviewStream {
  private readonly budget = new PreviewBudget();
  private readonly now: () => number;
  private readonly start: number;
  private delivering: Promise<unknown> | undefined;
  firstPreviewMs = 0;

  constructor(private readonly options: PreviewOptions) {
    this.now = options.now ?? (() => performance.now());
    this.start = this.now();
  }

  /** The pipeline's onScale callback. */
  readonly onScale = async (e: ScaleEvent): Promise<void> => {
    // Let queued messages (a cancel, a new request) in: ORT's WASM runs can resolve in microtasks only, so without
    // this the worker would not see them until the whole generation has finished.
    await yieldToEventLoop();
    const last = e.si === e.scaleCount - 1;
    if (this.delivering && !last)
      await Promise.race([this.delivering, sleep(this.options.graceMs ?? PREVIEW_GRACE_MS)]);
    let previews: Rgba[] | null = null;
    if (this.options.enabled && !last && !this.delivering) {
      const latent = this.budget.latentFor(e.pn, e.elapsedMs, this.options.maxLatent ?? PREVIEW_MAX_LATENT);
      const t = this.now();
      previews = toRgba(await e.decodePreview(latent));
      this.budget.spent(latent, this.now() - t);
      if (this.firstPreviewMs === 0) this.firstPreviewMs = this.now() - this.start;
    }
    const update: ScaleUpdate = {
      runId: this.options.runId,
      si: e.si,
      scaleCount: e.scaleCount,
      pn: e.pn,
      scaleMs: e.timings.transformerMs + e.timings.samplingMs + e.timings.quantizerMs,
      elapsedMs: e.elapsedMs,
      stateLocation: e.stateLocation,
      previews,
    };
    // Called at once (updates keep their order); a page that fails to take one does not fail the run.
    const delivery = new Promise((resolve) =>
      resolve(this.options.deliver(Comlink.transfer(update, previews ? rgbaBuffers(previews) : []))),
    ).catch(() => undefined);
    if (previews) {
      this.delivering = delivery;
      void delivery.finally(() => {
        if (this.delivering === delivery) this.delivering = undefined;
      });
    }
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves after the event loop has run once (a MessageChannel task: no 4 ms timer clamp). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
