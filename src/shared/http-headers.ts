// The response headers the app needs, in one place for the dev and preview servers (vite.config.ts) and the service
// worker (workers/sw.ts), which adds them on hosts that cannot.

/** Threaded WASM needs cross-origin isolation on the document and every worker script. */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * Who may frame or fetch what, by path: the app refuses to be framed; the embed widget may be framed by any site,
 * including cross-origin-isolated ones (CORP cross-origin); the host pages' client may be imported from anywhere.
 */
export function framingHeaders(path: string): Readonly<Record<string, string>> {
  if (/\/embed\.html$/.test(path)) {
    return { 'Content-Security-Policy': 'frame-ancestors *', 'Cross-Origin-Resource-Policy': 'cross-origin' };
  }
  if (/\/embed-client\.js$/.test(path)) {
    return { 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' };
  }
  if (/\/(index\.html)?$/.test(path)) {
    return { 'Content-Security-Policy': "frame-ancestors 'none'", 'Cross-Origin-Resource-Policy': 'same-origin' };
  }
  return { 'Cross-Origin-Resource-Policy': 'same-origin' };
}
