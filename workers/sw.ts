// The service worker: the app shell offline, cross-origin isolated with or without the host's help.
//
// - Precaches the app shell (HTML, JS, CSS, the engine worker, onnxruntime-web's .wasm, icons, the manifest); model
//   packs are not cached here (they live in the IndexedDB store); models/index.json and the packs' manifest.json are
//   network-first with the last copy as the offline fallback.
// - Every response it serves carries COOP/COEP/CORP: from its cache (which keeps headers as fetched, so a host that
//   sends none would otherwise lose isolation offline) and on hosts that cannot set headers at all (GitHub Pages),
//   where the page reloads once when this worker first controls it (the coi-serviceworker pattern).
// - Updates wait: a new version installs and waits until the page asks for it (SKIP_WAITING after "Reload").

/// <reference lib="webworker" />

import { clientsClaim } from 'workbox-core';
import {
  addPlugins,
  cleanupOutdatedCaches,
  createHandlerBoundToURL,
  type PrecacheEntry,
  precacheAndRoute,
} from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { NetworkFirst, NetworkOnly } from 'workbox-strategies';
import { framingHeaders, ISOLATION_HEADERS } from '../src/shared/http-headers';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (string | PrecacheEntry)[] };

/**
 * `response` with the isolation and framing headers it lacks for `url` (src/shared/http-headers.ts); opaque
 * responses cannot be rebuilt and are left alone.
 */
function withIsolation(response: Response, url: string): Response {
  if (response.type === 'opaque' || response.type === 'opaqueredirect' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  let changed = false;
  const wanted = { ...ISOLATION_HEADERS, ...framingHeaders(new URL(url).pathname) };
  for (const [name, value] of Object.entries(wanted)) {
    if (!headers.has(name)) {
      headers.set(name, value);
      changed = true;
    }
  }
  if (!changed) return response;
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

const isolation = {
  handlerWillRespond: async ({ request, response }: { request: Request; response: Response }) =>
    withIsolation(response, request.url),
};

addPlugins([isolation]);
precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();

// The app's page, whatever its query (share links carry settings there), from the precache: it works offline.
const scope = new URL(self.registration.scope).pathname;
const escaped = scope.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
registerRoute(
  new NavigationRoute(createHandlerBoundToURL('index.html'), {
    // NavigationRoute matches the path and the query together.
    allowlist: [new RegExp(`^${escaped}(index\\.html)?(\\?.*)?$`)],
  }),
);

// The models index and the packs' manifests: the network's when reachable (new packs appear), else the last seen, so
// that offline the page still lists every model and says which are not available offline. The packs' files are not
// cached here: they belong to the IndexedDB store.
const MODELS_LIST = new RegExp(`^${escaped}models/(index\\.json|[A-Za-z0-9][A-Za-z0-9._-]*/manifest\\.json)$`);
registerRoute(
  ({ url, sameOrigin }) => sameOrigin && MODELS_LIST.test(url.pathname),
  new NetworkFirst({ cacheName: 'var-web-models-index', networkTimeoutSeconds: 5, plugins: [isolation] }),
);

// The embed widget, whatever its query, from the precache too (other sites' pages embed it).
registerRoute(
  new NavigationRoute(createHandlerBoundToURL('embed.html'), {
    allowlist: [new RegExp(`^${escaped}embed\\.html(\\?.*)?$`)],
  }),
);

// Other same-origin pages (none in production) come from the network, with the headers.
registerRoute(
  ({ request, sameOrigin }) => sameOrigin && request.mode === 'navigate',
  new NetworkOnly({ plugins: [isolation] }),
);

self.addEventListener('message', (event) => {
  if ((event.data as { type?: unknown } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});

// A first install takes control at once (so a header-less host's page can reload into isolation); later versions
// only after the page asked for them (SKIP_WAITING), since the page then reloads anyway.
clientsClaim();
