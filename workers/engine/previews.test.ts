import { describe, expect, it } from 'vitest';
import type { ScaleEvent } from '../../src/core/generate/var-pipeline';
import type { ScaleUpdate } from '../../src/shared/engine-api';
import { PreviewStream } from './previews';

const PATCH_NUMS = [1, 2, 3, 4];

function event(si: number, decoded: number[]): ScaleEvent {
  const pn = PATCH_NUMS[si] as number;
  return {
    si,
    pn,
    scaleCount: PATCH_NUMS.length,
    ids: new Int32Array(pn * pn),
    timings: { transformerMs: 1, samplingMs: 2, quantizerMs: 3 } as ScaleEvent['timings'],
    elapsedMs: 1000 * (si + 1),
    stateLocation: 'cpu',
    decodePreview: async (latent = pn) => {
      decoded.push(latent);
      return { data: new Float32Array(3 * latent * latent), batch: 1, size: latent };
    },
  };
}

describe('PreviewStream', () => {
  it('sends one update per scale with a preview at every scale but the last', async () => {
    const updates: ScaleUpdate[] = [];
    const decoded: number[] = [];
    const stream = new PreviewStream({ runId: 7, enabled: true, deliver: (u) => updates.push(u) });
    for (let si = 0; si < PATCH_NUMS.length; si++) await stream.onScale(event(si, decoded));
    expect(updates.map((u) => [u.runId, u.si, u.pn, u.scaleMs, u.previews?.length ?? null])).toEqual([
      [7, 0, 1, 6, 1],
      [7, 1, 2, 6, 1],
      [7, 2, 3, 6, 1],
      [7, 3, 4, 6, null],
    ]);
    expect(decoded).toEqual([1, 2, 3]);
    expect(stream.firstPreviewMs).toBeGreaterThan(0);
  });

  it('drops previews (never queues them) while the page has not taken the previous one, after a grace', async () => {
    const updates: ScaleUpdate[] = [];
    const decoded: number[] = [];
    let release: () => void = () => undefined;
    const stream = new PreviewStream({
      runId: 1,
      enabled: true,
      graceMs: 5,
      // The page takes the first preview only when released.
      deliver: (u) => {
        updates.push(u);
        return u.si === 0 ? new Promise<void>((r) => (release = r)) : undefined;
      },
    });
    await stream.onScale(event(0, decoded));
    await stream.onScale(event(1, decoded)); // still delivering scale 0: no preview after the grace
    release();
    await new Promise((r) => setTimeout(r, 0));
    await stream.onScale(event(2, decoded));
    await stream.onScale(event(3, decoded));
    expect(updates.map((u) => u.previews !== null)).toEqual([true, false, true, false]);
    expect(decoded).toEqual([1, 3]);
  });

  it('sends no preview images when previews are off, and a page that throws does not fail the run', async () => {
    const decoded: number[] = [];
    const stream = new PreviewStream({
      runId: 1,
      enabled: false,
      deliver: () => {
        throw new Error('page gone');
      },
    });
    for (let si = 0; si < PATCH_NUMS.length; si++) await stream.onScale(event(si, decoded));
    expect(decoded).toEqual([]);
    expect(stream.firstPreviewMs).toBe(0);
  });
});
