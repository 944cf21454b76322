// Numbers and names as the page shows them: sizes, speeds, durations, scale lines, load progress, download states,
// PNG file names (pure).

import type { DownloadStatus, LoadProgress } from '../shared/engine-api';

/** Decimal megabytes, as download sizes are usually quoted: "7.4 MB", "232.5 MB", "1240 MB". */
export function formatMegabytes(bytes: number): string {
  const mb = bytes / 1e6;
  return `${mb < 1000 ? mb.toFixed(1) : Math.round(mb)} MB`;
}

/** Storage figures, which run from kilobytes to hundreds of gigabytes: "9.3 MB", "1.2 GB", "296 GB". */
export function formatStorageBytes(bytes: number): string {
  if (bytes < 1e9) return formatMegabytes(bytes);
  const gb = bytes / 1e9;
  return `${gb < 100 ? gb.toFixed(1) : Math.round(gb)} GB`;
}

/** "2.1 MB/s", "120 MB/s", "85 kB/s" below 0.1 MB/s. */
export function formatSpeed(bytesPerSecond: number): string {
  if (bytesPerSecond < 1e5) return `${Math.round(bytesPerSecond / 1e3)} kB/s`;
  const mb = bytesPerSecond / 1e6;
  return `${mb < 100 ? mb.toFixed(1) : Math.round(mb)} MB/s`;
}

/** "< 1 s left", "42 s left", "3 min 5 s left", "12 min left" (10 min and more), "1 h 3 min left"; '' when unknown. */
export function formatTimeLeft(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds < 1) return '< 1 s left';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s left`;
  if (s < 600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''} left`;
  if (s < 3600) return `${Math.round(s / 60)} min left`;
  const minutes = Math.round(s / 60);
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min left`;
}

/** Whole percent of a partly downloaded pack, kept within 1 … 99 so that it never reads as none or all of it. */
export function downloadPercent(d: DownloadStatus): number {
  if (d.totalBytes <= 0) return 0;
  return Math.min(99, Math.max(1, Math.floor((100 * d.storedBytes) / d.totalBytes)));
}

/** "downloaded", "40 % downloaded", "not downloaded": what the model picker says after the size. */
export function downloadStateLabel(d: DownloadStatus): string {
  if (d.state === 'downloaded') return 'downloaded';
  if (d.state === 'partial') return `${downloadPercent(d)} % downloaded`;
  return 'not downloaded';
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

/** "3.7 / 9.3 MB" (or "3.7 MB" when the total is unknown). */
export function bytesOfTotal(done: number, total: number): string {
  const loaded = formatMegabytes(done);
  return total <= 0 ? loaded : `${loaded.replace(' MB', '')} / ${formatMegabytes(total)}`;
}

export interface ProgressExtras {
  /** 'store': the pack was complete in the browser's storage when the load started (read, not downloaded). */
  readonly source?: 'network' | 'store';
  /** Smoothed download speed, or null while unknown (see download-rate.ts). */
  readonly bytesPerSecond?: number | null;
}

/**
 * The whole pack: "Downloading the model: 12.3 / 310.0 MB · 2.1 MB/s · 2 min 27 s left" (speed and time left once
 * measured), "Reading the model from this browser's storage: 3.7 / 9.3 MB", or "Preparing the model…" while the
 * engine creates its sessions.
 */
export function progressLabel(p: LoadProgress, extras: ProgressExtras = {}): string {
  if (p.phase === 'session') return `Preparing the model${p.file ? ` (${p.file})` : ''}…`;
  const bytes = bytesOfTotal(p.loadedBytes, p.totalBytes);
  if (extras.source === 'store') return `Reading the model from this browser's storage: ${bytes}`;
  const rate = extras.bytesPerSecond;
  if (!rate || rate <= 0) return `Downloading the model: ${bytes}`;
  const left = p.totalBytes > 0 ? formatTimeLeft(Math.max(0, p.totalBytes - p.loadedBytes) / rate) : '';
  return `Downloading the model: ${bytes} · ${formatSpeed(rate)}${left ? ` · ${left}` : ''}`;
}

/** The file in flight: "transformer.data: 1.2 / 5.5 MB"; '' in the session phase. */
export function fileProgressLabel(p: LoadProgress): string {
  if (p.phase === 'session' || !p.file) return '';
  return `${p.file}: ${bytesOfTotal(p.fileLoadedBytes, p.fileBytes)}`;
}

/** Share of the file in flight done, in [0, 1], or null when unknown. */
export function fileProgressFraction(p: LoadProgress): number | null {
  if (p.phase !== 'download' || p.fileBytes <= 0) return null;
  return Math.min(1, Math.max(0, p.fileLoadedBytes / p.fileBytes));
}

/** The quarter a load has reached (0, 25, 50, 75, 100): screen readers hear these, not every chunk. */
export function progressMilestone(fraction: number): number {
  return Math.floor(Math.min(1, Math.max(0, fraction)) * 4) * 25;
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
