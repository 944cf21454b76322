// The app's own status in the header: offline, install, and "a new version is ready".

import { byTestId } from '../ui/dom';

interface BeforeInstallPromptEvent extends Event {
  prompt(): Promise<void>;
  readonly userChoice: Promise<{ outcome: 'accepted' | 'dismissed' }>;
}

export interface AppBanners {
  /** Shows the update prompt; Reload waits for `idle()` (a running generation is never cut short). */
  updateReady(apply: () => Promise<void>, idle: () => Promise<void>, busy: () => boolean): void;
}

export function createAppBanners(root: HTMLElement): AppBanners {
  const offline = byTestId(root, 'app.offline', HTMLElement);
  const install = byTestId(root, 'app.install', HTMLButtonElement);
  const installHint = byTestId(root, 'app.install-hint', HTMLElement);
  const update = byTestId(root, 'app.update', HTMLElement);
  const reload = byTestId(root, 'app.update-reload', HTMLButtonElement);

  const showOnline = () => {
    offline.hidden = navigator.onLine;
  };
  addEventListener('online', showOnline);
  addEventListener('offline', showOnline);
  showOnline();

  // Install: the browser's prompt where it offers one (Chromium), a hint elsewhere, nothing once installed.
  const standalone = matchMedia('(display-mode: standalone)').matches;
  let deferred: BeforeInstallPromptEvent | null = null;
  install.hidden = true;
  installHint.hidden = standalone;
  addEventListener('beforeinstallprompt', (event) => {
    event.preventDefault();
    deferred = event as BeforeInstallPromptEvent;
    install.hidden = false;
    installHint.hidden = true;
  });
  install.addEventListener('click', async () => {
    const prompt = deferred;
    if (!prompt) return;
    deferred = null;
    install.hidden = true;
    await prompt.prompt();
    await prompt.userChoice.catch(() => undefined);
  });
  addEventListener('appinstalled', () => {
    install.hidden = true;
    installHint.hidden = true;
  });

  return {
    updateReady(apply, idle, busy) {
      update.hidden = false;
      reload.onclick = async () => {
        reload.disabled = true;
        if (busy()) reload.textContent = 'Reload after this run';
        await idle();
        await apply();
      };
    },
  };
}
