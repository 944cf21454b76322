// The service worker from the page's side: registration, the "new version" prompt, and cross-origin isolation on
// hosts that cannot send COOP/COEP (the service worker adds them; the page reloads once when it first takes over).

import { registerSW } from 'virtual:pwa-register';

export interface ServiceWorkerHooks {
  /** A new version is installed and waits; `apply()` switches to it and reloads the page. */
  onUpdateReady(apply: () => Promise<void>): void;
  /** The app shell is cached: the app now opens offline. */
  onOfflineReady?(): void;
}

/** Set for the tab's session once it reloaded to become isolated, so a host where that cannot work never loops. */
const ISOLATION_RELOAD_KEY = 'var-web-isolation-reload';

export function startServiceWorker(hooks: ServiceWorkerHooks): void {
  if (!('serviceWorker' in navigator)) return;
  const update = registerSW({
    immediate: true,
    onNeedRefresh: () => hooks.onUpdateReady(() => update(true)),
    onOfflineReady: () => hooks.onOfflineReady?.(),
    onRegisteredSW: () => becomeIsolated(),
    // Private windows and some embedders refuse service workers: the app still runs, online only.
    onRegisterError: (error: unknown) => console.warn('var-web: no service worker (the app runs online only):', error),
  });
}

/**
 * Threaded WASM needs `crossOriginIsolated`. Where the host sent no COOP/COEP, the service worker serves the page
 * with them, but only from its next load on: reload once when it controls the page.
 */
function becomeIsolated(): void {
  if (self.crossOriginIsolated || sessionStorage.getItem(ISOLATION_RELOAD_KEY)) return;
  const reload = () => {
    sessionStorage.setItem(ISOLATION_RELOAD_KEY, '1');
    location.reload();
  };
  if (navigator.serviceWorker.controller) reload();
  else navigator.serviceWorker.addEventListener('controllerchange', reload, { once: true });
}
