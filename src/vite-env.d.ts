/// <reference types="vite/client" />
/// <reference types="vite-plugin-pwa/vanillajs" />

/** The app's version as the footer shows it (vite.config.ts `define`). */
declare const __VAR_WEB_VERSION__: string;
