// Settings ⇄ URL query: share links reproduce one image, and opening one fills the controls (pure, no DOM).

import { IMAGENET_CLASSES, resolveClass } from '../shared/imagenet-classes';
import { BACKENDS, clampTo, DEFAULT_SETTINGS, LIMITS, normaliseSettings, type RunSettings } from './run-settings';

/** Query parameter names; the sampling ones use the official code's spelling. */
export const PARAMS = Object.freeze({
  model: 'model',
  classId: 'class',
  seed: 'seed',
  count: 'count',
  cfg: 'cfg',
  topK: 'top_k',
  topP: 'top_p',
  moreSmooth: 'more_smooth',
  backend: 'backend',
  autorun: 'autorun',
});

/**
 * Said where an edit's link would be: a link holds settings, and an edit's image is the person's own, which no link
 * carries (issue 16), so edits offer this line instead of a link that would make something else.
 */
export const NO_IMAGE_LINK = 'Share links cannot carry your image';

export interface ParsedQuery {
  /** Every setting: from the query where it was usable, else from the defaults. */
  readonly settings: RunSettings;
  /** Start generating once the page is ready. */
  readonly autorun: boolean;
  /** One line per parameter that was ignored or clamped, for people ("top_p=3 → 1"). */
  readonly notes: readonly string[];
}

// Plain decimal numbers only: Number() would also take "0x10", "1e400", " " and "Infinity".
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const MODEL_ID = /^[\w.-]{1,64}$/;
const TRUE = new Set(['1', 'true', 'on', 'yes']);
const FALSE = new Set(['0', 'false', 'off', 'no']);

export function parseSettingsQuery(
  query: string | URLSearchParams,
  defaults: RunSettings = DEFAULT_SETTINGS,
): ParsedQuery {
  const q = typeof query === 'string' ? new URLSearchParams(query) : query;
  const notes: string[] = [];
  const raw = (name: string): string | null => {
    const v = q.get(name);
    return v === null ? null : v.trim();
  };
  // Notes quote what the link said, shortened: a link may carry a value of any length.
  const quote = (v: string): string => (v.length > 40 ? `${v.slice(0, 40)}…` : v);

  const number = (name: string, range: { min: number; max: number; integer: boolean }, fallback: number): number => {
    const v = raw(name);
    if (v === null) return fallback;
    if (!DECIMAL.test(v) || !Number.isFinite(Number(v))) {
      notes.push(`${name}=${quote(v)} is not a number: ignored`);
      return fallback;
    }
    const clamped = clampTo(Number(v), range, fallback);
    if (clamped !== Number(v)) notes.push(`${name}=${quote(v)} → ${clamped}`);
    return clamped;
  };

  const flag = (name: string, fallback: boolean): boolean => {
    const v = raw(name)?.toLowerCase();
    if (v === undefined) return fallback;
    if (TRUE.has(v)) return true;
    if (FALSE.has(v)) return false;
    notes.push(`${name}=${quote(v)} is not on or off: ignored`);
    return fallback;
  };

  let modelId = defaults.modelId;
  const model = raw(PARAMS.model);
  if (model !== null) {
    if (MODEL_ID.test(model)) modelId = model;
    else notes.push(`${PARAMS.model}=${quote(model)} is not a model id: ignored`);
  }

  let classId = defaults.classId;
  const cls = raw(PARAMS.classId);
  if (cls !== null) {
    try {
      classId = resolveClass(cls, IMAGENET_CLASSES).id;
    } catch {
      notes.push(`${PARAMS.classId}=${quote(cls)} is not one ImageNet class: ignored`);
    }
  }

  const count = number(PARAMS.count, LIMITS.count, defaults.count);

  // seed=random asks for a fresh seed per run; a number fixes it.
  let seed = defaults.seed;
  let randomSeed = defaults.randomSeed;
  const seedRaw = raw(PARAMS.seed);
  if (seedRaw?.toLowerCase() === 'random') {
    randomSeed = true;
  } else if (seedRaw !== null) {
    seed = number(PARAMS.seed, LIMITS.seed, defaults.seed);
    if (DECIMAL.test(seedRaw)) randomSeed = false;
  }

  let backend = defaults.backend;
  const b = raw(PARAMS.backend)?.toLowerCase();
  if (b !== undefined) {
    const found = BACKENDS.find((x) => x === b);
    if (found) backend = found;
    else notes.push(`${PARAMS.backend}=${quote(b)} is not auto, webgpu or wasm: ignored`);
  }

  const settings = normaliseSettings(
    {
      modelId,
      classId,
      seed,
      randomSeed,
      count,
      cfg: number(PARAMS.cfg, LIMITS.cfg, defaults.cfg),
      topK: number(PARAMS.topK, LIMITS.topK, defaults.topK),
      topP: number(PARAMS.topP, LIMITS.topP, defaults.topP),
      moreSmooth: flag(PARAMS.moreSmooth, defaults.moreSmooth),
      backend,
    },
    defaults,
  );
  if (settings.seed !== seed)
    notes.push(`${PARAMS.seed}=${quote(String(seed))} → ${settings.seed} (seed + count must stay below 2^32)`);
  return { settings, autorun: flag(PARAMS.autorun, false), notes };
}

/** Every setting of a run as query parameters (all of them, so a link keeps meaning the same if defaults change). */
export function settingsQuery(s: RunSettings, options: { autorun?: boolean } = {}): URLSearchParams {
  const q = new URLSearchParams();
  if (s.modelId !== null) q.set(PARAMS.model, s.modelId);
  q.set(PARAMS.classId, String(s.classId));
  q.set(PARAMS.seed, s.randomSeed ? 'random' : String(s.seed));
  q.set(PARAMS.count, String(s.count));
  q.set(PARAMS.cfg, String(s.cfg));
  q.set(PARAMS.topK, String(s.topK));
  q.set(PARAMS.topP, String(s.topP));
  q.set(PARAMS.moreSmooth, s.moreSmooth ? '1' : '0');
  q.set(PARAMS.backend, s.backend);
  if (options.autorun) q.set(PARAMS.autorun, '1');
  return q;
}

/**
 * The link that makes one image again: the run's settings with the image's own seed (image i of a run used
 * seed + i), one image, and autorun. `keep` carries page parameters that are not settings.
 */
export function shareUrl(pageUrl: string, s: RunSettings, imageSeed: number, keep: readonly string[] = []): string {
  const page = new URL(pageUrl);
  const q = settingsQuery({ ...s, seed: imageSeed, randomSeed: false, count: 1 }, { autorun: true });
  for (const name of keep) {
    const v = page.searchParams.get(name);
    if (v !== null) q.set(name, v);
  }
  page.search = q.toString();
  page.hash = '';
  return page.href;
}

/** The page URL without `autorun`, so a reload does not start another run by itself. */
export function withoutAutorun(pageUrl: string): string {
  const page = new URL(pageUrl);
  page.searchParams.delete(PARAMS.autorun);
  return page.href;
}
