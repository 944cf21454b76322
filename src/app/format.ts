// Numbers and names as the page shows them: sizes, durations, scale lines, load progress, PNG file names (pure).

import type { LoadProgress } from '../shared/engine-api';

/** Decimal megabytes, as download sizes are usually quoted: "7.4 MB", "1240 MB". */
export function formatMegabytes(bytes: number): string {
  const mb = bytes / 1e6;
  return `${mb < 10 ? mb.toFixed(1) : Math.round(mb)} MB`;
}

/** "412 ms" below a second, "3.1 s" above. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** "scale 7/10 · 10×10" (si is 0-based, pn the token map side). */
export function scaleLabel(si: number, scaleCount: number, pn: number): string {
  return `scale ${si + 1}/${scaleCount} · ${pn}×${pn}`;
}

/** "golden retriever" → "golden-retriever"; "jack-o'-lantern" → "jack-o-lantern". */
export function slug(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** `var-207-golden-retriever-seed0.png` */
export function pngFileName(classId: number, className: string, seed: number): string {
  const name = slug(className);
  return `var-${classId}${name ? `-${name}` : ''}-seed${seed}.png`;
}

/** Share of the model's bytes loaded, in [0, 1], or null when unknown (sessions being created, no size). */
export function progressFraction(p: LoadProgress): number | null {
  if (p.phase !== 'download' || p.totalBytes <= 0) return null;
  return Math.min(1, Math.max(0, p.loadedBytes / p.totalBytes));
}

/**
 * "Downloading the model: 12.3 / 310 MB (transformer.data)" (bytes count the whole pack, the file is the one in
 * flight) or "Preparing the model…" while the engine creates its sessions.
 */
export function progressLabel(p: LoadProgress): string {
  const file = p.file ? ` (${p.file})` : '';
  if (p.phase === 'session') return `Preparing the model${file}…`;
  const loaded = formatMegabytes(p.loadedBytes);
  if (p.totalBytes <= 0) return `Downloading the model: ${loaded}${file}`;
  return `Downloading the model: ${loaded.replace(' MB', '')} / ${formatMegabytes(p.totalBytes)}${file}`;
}

/** Human words for an error from the engine (a VarError-like object with a code, an Error, or anything thrown). */
export function describeError(error: unknown): { code: string | null; message: string } {
  if (typeof error === 'object' && error !== null) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    return {
      code: typeof code === 'string' ? code : null,
      message: typeof message === 'string' && message !== '' ? message : String(error),
    };
  }
  return { code: null, message: String(error) };
}
