// Node side of the ORT lab: send a model and feeds to the lab page, decode what comes back.
import type { Page } from '@playwright/test';
import type { GenerateParams } from '../../shared/engine-api';
import { DEMO_DEFAULTS } from '../../shared/sampling-presets';
import {
  LAB_PAGE_PATH,
  type LabBackend,
  type LabEngine,
  type LabRunRequest,
  type LabRunResult,
  type LabTensor,
  type TestEngineOptions,
} from './lab-api';

/** Host arrays by ONNX type; a Uint8Array is sent as bool. */
export type HostTensor = Float32Array | Int32Array | BigInt64Array | Uint8Array;

export function labTensor(data: HostTensor, dims: readonly number[]): LabTensor {
  const type =
    data instanceof Float32Array
      ? 'float32'
      : data instanceof Int32Array
        ? 'int32'
        : data instanceof Uint8Array
          ? 'bool'
          : 'int64';
  return { type, dims, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') };
}

export function hostTensor(t: LabTensor): Float32Array {
  const bytes = Buffer.from(t.data, 'base64');
  if (t.type !== 'float32') throw new Error(`expected float32 output, got ${t.type}`);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** Opens the lab page; `options` configure its engine (a models server, a small store chunk) before it says ready. */
export async function openLab(page: Page, options: TestEngineOptions = {}): Promise<void> {
  const query = new URLSearchParams();
  if (options.modelsUrl) query.set('models', options.modelsUrl);
  if (options.chunkBytes) query.set('chunk', String(options.chunkBytes));
  await page.goto(query.size > 0 ? `${LAB_PAGE_PATH}?${query}` : LAB_PAGE_PATH);
  await page.getByTestId('lab.status').getByText('ready').waitFor();
}

export interface LabModel {
  readonly model: Uint8Array;
  readonly externalData?: ReadonlyMap<string, Uint8Array>;
}

export interface LabRun extends LabRunResult {
  /** ORT's node-placement lines for this session ("All nodes placed on [JsExecutionProvider]. Number of nodes: 2"). */
  readonly placement: readonly string[];
  /** Execution providers that ORT reported nodes on. */
  readonly providers: readonly string[];
}

export async function runInLab(
  page: Page,
  m: LabModel,
  feeds: Record<string, LabTensor>,
  backend: LabBackend,
  timedRuns = 0,
): Promise<LabRun> {
  const request: LabRunRequest = {
    model: Buffer.from(m.model).toString('base64'),
    externalData: [...(m.externalData ?? new Map<string, Uint8Array>())].map(([path, data]) => ({
      path,
      data: Buffer.from(data).toString('base64'),
    })),
    feeds,
    backend,
    timedRuns,
  };
  // The worker's console reaches the page's console events; ORT logs placement there at verbose level.
  const placement: string[] = [];
  const listen = (msg: { text(): string }) => {
    const text = msg.text();
    if (/placed on \[/.test(text)) placement.push(text.replace(/^.*\] +/, '').trim());
  };
  page.on('console', listen);
  try {
    const result = await page.evaluate(async (req) => {
      // lab-page.ts puts a comlink proxy of the lab worker on window.
      const lab = (window as unknown as { ortLab?: { run(r: LabRunRequest): Promise<LabRunResult> } }).ortLab;
      if (!lab) throw new Error('ORT lab is not loaded');
      return lab.run(req);
    }, request);
    const providers = [
      ...new Set(placement.flatMap((l) => [...l.matchAll(/placed on \[(\w+)\]/g)].map((m) => m[1] ?? ''))),
    ];
    return { ...result, placement, providers };
  } finally {
    page.off('console', listen);
  }
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return m;
}

/** The demo settings (src/shared/sampling-presets) for one image of `modelId`, with overrides. */
export function engineParams(modelId: string, overrides: Partial<GenerateParams> = {}): GenerateParams {
  return { modelId, classId: 1, count: 1, seed: 0, ...DEMO_DEFAULTS, ...overrides };
}

export type EngineOutcome =
  | { readonly ok: true; readonly backend: string; readonly images: number; readonly width: number }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** Runs one generation through the engine client on the lab page; a rejection comes back as its code and message. */
export function tryGenerate(page: Page, params: GenerateParams): Promise<EngineOutcome> {
  return page.evaluate(async (p) => {
    const engine = (window as unknown as { varEngine: LabEngine }).varEngine;
    return engine.generate(p).then(
      (r): EngineOutcome => ({
        ok: true,
        backend: r.backend,
        images: r.images.length,
        width: r.images[0]?.rgba.width ?? 0,
      }),
      (e: unknown): EngineOutcome => ({
        ok: false,
        code: (e as { code?: string }).code ?? 'no code',
        message: (e as Error).message,
      }),
    );
  }, params);
}
