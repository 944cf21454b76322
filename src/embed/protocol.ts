// The embed widget's message protocol, version 1 (these names are the contract with host pages; README "Embed it").
// Pure: what the widget accepts from its parent, and the messages it sends. No DOM.

import type { RunSettings } from '../app/run-settings';
import type { BackendChoice } from '../shared/engine-api';
import type { ErrorCode } from '../shared/errors';
import { DEMO_DEFAULTS } from '../shared/sampling-presets';

export const PROTOCOL_VERSION = 1;
/** Caller ids are echoed back; longer ones are not a well-formed request. */
const MAX_ID_LENGTH = 200;
/** A model id as packs are named. */
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** What a host may ask for; every field but classId takes the official demo's default. */
export interface WidgetGenerateParams {
  readonly model?: string;
  readonly classId: number;
  readonly seed?: number;
  readonly count?: number;
  readonly cfg?: number;
  readonly topK?: number;
  readonly topP?: number;
  readonly moreSmooth?: boolean;
  readonly backend?: BackendChoice;
}

export type ParentMessage =
  | { readonly type: 'var-web:generate'; readonly id: string; readonly params: unknown }
  | { readonly type: 'var-web:cancel'; readonly id: string };

export interface WidgetModel {
  readonly id: string;
  readonly label: string;
  readonly bytes: number;
  readonly cached: boolean;
}

export type WidgetMessage =
  | { readonly type: 'var-web:ready'; readonly version: 1; readonly models: readonly WidgetModel[] }
  | {
      readonly type: 'var-web:progress';
      readonly id: string;
      readonly phase: string;
      readonly loadedBytes: number;
      readonly totalBytes: number;
    }
  | {
      readonly type: 'var-web:scale';
      readonly id: string;
      readonly scale: number;
      readonly scales: number;
      readonly pn: number;
    }
  | {
      readonly type: 'var-web:image';
      readonly id: string;
      readonly index: number;
      readonly classId: number;
      readonly seed: number;
      readonly width: number;
      readonly height: number;
      readonly png: ArrayBuffer;
    }
  | { readonly type: 'var-web:done'; readonly id: string; readonly backend: string; readonly totalMs: number }
  | { readonly type: 'var-web:error'; readonly id: string; readonly code: ErrorCode; readonly message: string };

/**
 * A well-formed request from the parent, or null for anything else (ignored without reply): not an object, an
 * unknown type, a missing or oversized id. The params of a generate are checked later, with an error reply.
 */
export function readParentMessage(data: unknown): ParentMessage | null {
  if (typeof data !== 'object' || data === null) return null;
  const { type, id } = data as { type?: unknown; id?: unknown };
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) return null;
  if (type === 'var-web:cancel') return { type, id };
  if (type === 'var-web:generate') return { type, id, params: (data as { params?: unknown }).params };
  return null;
}

/** A generate request's params once checked: the page's run settings (one seed, no "new seed every run"). */
export type CheckedParams = Omit<RunSettings, 'modelId' | 'randomSeed'> & { readonly model: string | undefined };

/** The field that is wrong and why, for the error reply (E_BAD_SETTINGS / E_BAD_CLASS naming it). */
export interface ParamsProblem {
  readonly code: 'E_BAD_SETTINGS' | 'E_BAD_CLASS';
  readonly message: string;
}

/** `params` with the demo defaults filled in, or the first problem, naming the field. */
export function checkGenerateParams(params: unknown): CheckedParams | ParamsProblem {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    return { code: 'E_BAD_SETTINGS', message: 'params must be an object' };
  }
  const p = params as Record<string, unknown>;
  const number = (
    field: string,
    fallback: number | undefined,
    min: number,
    max: number,
    integer: boolean,
  ): number | ParamsProblem => {
    const v = p[field];
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      return {
        code: field === 'classId' ? 'E_BAD_CLASS' : 'E_BAD_SETTINGS',
        message: `${field} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${shown(v)}`,
      };
    }
    return v;
  };
  const classId = number('classId', undefined, 0, 999, true);
  if (typeof classId !== 'number') return classId;
  const seed = number('seed', 0, 0, 0xffffffff, true);
  if (typeof seed !== 'number') return seed;
  const count = number('count', 1, 1, 8, true);
  if (typeof count !== 'number') return count;
  const cfg = number('cfg', DEMO_DEFAULTS.cfg, 0, 50, false);
  if (typeof cfg !== 'number') return cfg;
  const topK = number('topK', DEMO_DEFAULTS.topK, 0, 4096, true);
  if (typeof topK !== 'number') return topK;
  const topP = number('topP', DEMO_DEFAULTS.topP, 0, 1, false);
  if (typeof topP !== 'number') return topP;
  const moreSmooth = p.moreSmooth ?? DEMO_DEFAULTS.moreSmooth;
  if (typeof moreSmooth !== 'boolean') {
    return { code: 'E_BAD_SETTINGS', message: `moreSmooth must be true or false, got ${shown(moreSmooth)}` };
  }
  const backend = p.backend ?? 'auto';
  if (backend !== 'auto' && backend !== 'webgpu' && backend !== 'wasm') {
    return { code: 'E_BAD_SETTINGS', message: `backend must be auto, webgpu or wasm, got ${shown(backend)}` };
  }
  const model = p.model;
  if (model !== undefined && (typeof model !== 'string' || !MODEL_ID.test(model))) {
    return { code: 'E_BAD_SETTINGS', message: `model must be a model id, got ${shown(model)}` };
  }
  if (seed + count - 1 > 0xffffffff) {
    return { code: 'E_BAD_SETTINGS', message: 'seed + count must stay below 2^32' };
  }
  return { model, classId, seed, count, cfg, topK, topP, moreSmooth, backend };
}

/** A value for an error message, shortened (a host may send megabytes). */
function shown(v: unknown): string {
  const text = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/**
 * The origins allowed to drive the widget (`origins=` query: a comma-separated list of exact origins), or null when
 * any parent may. Entries that are not origins are dropped.
 */
export function parseOrigins(value: string | null): readonly string[] | null {
  if (value === null) return null;
  const origins: string[] = [];
  for (const part of value.split(',')) {
    try {
      const url = new URL(part.trim());
      if ((url.protocol === 'https:' || url.protocol === 'http:') && url.origin === part.trim())
        origins.push(url.origin);
    } catch {
      // not an origin: left out
    }
  }
  return origins;
}

export function originAllowed(origin: string, allowed: readonly string[] | null): boolean {
  return allowed === null || allowed.includes(origin);
}
