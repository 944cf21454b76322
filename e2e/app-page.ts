// Page object for the app: test ids in dotted namespaces, one place to change when the markup does.
import { expect, type Locator, type Page } from '@playwright/test';

export type RunState = 'idle' | 'loading' | 'running' | 'done' | 'cancelled' | 'error';

export class AppPage {
  // device panel
  readonly backend: Locator;
  readonly details: Locator;
  // class picker
  readonly classInput: Locator;
  readonly classListbox: Locator;
  readonly classOptions: Locator;
  readonly classRandom: Locator;
  readonly classChosen: Locator;
  // model and settings
  readonly modelSelect: Locator;
  readonly modelBadge: Locator;
  readonly modelInfo: Locator;
  readonly modelDownloadState: Locator;
  readonly modelDownload: Locator;
  readonly seed: Locator;
  readonly seedRandom: Locator;
  readonly seedDice: Locator;
  readonly count: Locator;
  readonly cfg: Locator;
  readonly topK: Locator;
  readonly topP: Locator;
  readonly smooth: Locator;
  readonly backendSelect: Locator;
  readonly demoPreset: Locator;
  readonly fidPreset: Locator;
  // run
  readonly generateButton: Locator;
  readonly cancelButton: Locator;
  readonly status: Locator;
  readonly scale: Locator;
  readonly timing: Locator;
  readonly notice: Locator;
  readonly progressBar: Locator;
  readonly progressText: Locator;
  readonly progressFile: Locator;
  readonly progressCancel: Locator;
  readonly error: Locator;
  readonly fakeBanner: Locator;
  // images
  readonly images: Locator;
  readonly imageSelectors: Locator;
  readonly thumbs: Locator;
  readonly galleryItems: Locator;
  // storage panel
  readonly storagePanel: Locator;
  readonly storageUsage: Locator;
  readonly storagePersisted: Locator;
  readonly storageList: Locator;
  readonly storageModels: Locator;
  readonly storageEmpty: Locator;
  readonly storageStatus: Locator;

  constructor(readonly page: Page) {
    const id = (testId: string) => page.getByTestId(testId);
    this.backend = id('device.backend');
    this.details = id('device.details');
    this.classInput = id('class.input');
    this.classListbox = id('class.listbox');
    this.classOptions = id('class.option');
    this.classRandom = id('class.random');
    this.classChosen = id('class.chosen');
    this.modelSelect = id('model.select');
    this.modelBadge = id('model.badge');
    this.modelInfo = id('model.info');
    this.modelDownloadState = id('model.download-state');
    this.modelDownload = id('model.download');
    this.seed = id('controls.seed');
    this.seedRandom = id('controls.seed-random');
    this.seedDice = id('controls.seed-dice');
    this.count = id('controls.count');
    this.cfg = id('controls.cfg');
    this.topK = id('controls.topk');
    this.topP = id('controls.topp');
    this.smooth = id('controls.smooth');
    this.backendSelect = id('controls.backend');
    this.demoPreset = id('controls.defaults');
    this.fidPreset = id('controls.fid');
    this.generateButton = id('run.generate');
    this.cancelButton = id('run.cancel');
    this.status = id('run.status');
    this.scale = id('run.scale');
    this.timing = id('run.timing');
    this.notice = id('run.notice');
    this.progressBar = id('progress.bar');
    this.progressText = id('progress.text');
    this.progressFile = id('progress.file');
    this.progressCancel = id('progress.cancel');
    this.error = id('error.message');
    this.fakeBanner = id('fake-banner');
    this.images = id('canvas.image');
    this.imageSelectors = id('canvas.select');
    this.thumbs = id('strip.thumb');
    this.galleryItems = id('gallery.item');
    this.storagePanel = id('storage');
    this.storageUsage = id('storage.usage');
    this.storagePersisted = id('storage.persisted');
    this.storageList = id('storage.list');
    this.storageModels = id('storage.model');
    this.storageEmpty = id('storage.empty');
    this.storageStatus = id('storage.status');
  }

  /** Opens the page, with query parameters (e.g. a share link's) when given. */
  async open(query = ''): Promise<void> {
    await this.page.goto(query ? `/?${query.replace(/^\?/, '')}` : '/');
  }

  detail(id: string): Locator {
    return this.page.getByTestId(`device.${id}`);
  }

  /** Waits until the models index is listed (Generate becomes enabled). */
  async waitForModels(): Promise<void> {
    await expect(this.generateButton).toBeEnabled();
  }

  async selectModel(modelId: string): Promise<void> {
    await this.modelSelect.selectOption(modelId);
  }

  /** Types `text` into the class search and takes the best match with Enter; returns the chosen class id. */
  async pickClass(text: string): Promise<number> {
    await this.classInput.fill(text);
    await expect(this.classOptions.first()).toBeVisible();
    await this.classInput.press('Enter');
    await expect(this.classListbox).toBeHidden();
    return Number(await this.classChosen.getAttribute('data-class-id'));
  }

  async setSeed(seed: number): Promise<void> {
    if (await this.seedRandom.isChecked()) await this.seedRandom.uncheck();
    await this.seed.fill(String(seed));
  }

  async setCount(count: number): Promise<void> {
    await this.count.fill(String(count));
  }

  async generate(): Promise<void> {
    await this.generateButton.click();
  }

  async cancel(): Promise<void> {
    await this.cancelButton.click();
  }

  async waitForState(state: RunState, timeout?: number): Promise<void> {
    await expect(this.status).toHaveAttribute('data-state', state, timeout === undefined ? {} : { timeout });
  }

  /** Waits until the run finished with images (fails fast with the page's error message if it failed). */
  async waitForDone(timeout = 170_000): Promise<void> {
    await expect(this.status).toHaveAttribute('data-state', /^(done|error|cancelled)$/, { timeout });
    const state = await this.status.getAttribute('data-state');
    if (state !== 'done') throw new Error(`the run ended ${state}: ${await this.error.textContent()}`);
  }

  /** The scale index last drawn into image i's canvas (-1 before the first). */
  async drawnScale(i = 0): Promise<number> {
    return Number(await this.images.nth(i).getAttribute('data-scale'));
  }

  /** The model picker's option for `modelId` (its text: "label · size · download state"). */
  modelOption(modelId: string): Locator {
    return this.modelSelect.locator(`option[value="${modelId}"]`);
  }

  /** The Storage panel's row of a cached model. */
  storageModel(modelId: string): Locator {
    return this.page.locator(`[data-testid="storage.model"][data-model-id="${modelId}"]`);
  }

  storageDelete(modelId: string): Locator {
    return this.storageModel(modelId).getByTestId('storage.delete');
  }

  /** Downloads the selected model with the picker's Download (or Resume download) button and waits for the end. */
  async download(timeout?: number): Promise<void> {
    await this.modelDownload.click();
    await this.waitForDone(timeout);
  }

  /** The origin's storage use as the browser estimates it (`navigator.storage.estimate().usage`). */
  async storageUsageBytes(): Promise<number> {
    return this.page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
  }

  /** Records every text the load progress line shows from now on (read back with progressTexts()). */
  async recordProgress(): Promise<void> {
    await this.page.evaluate(() => {
      const texts: string[] = [];
      (window as unknown as { progressTexts: string[] }).progressTexts = texts;
      const line = document.querySelector('[data-testid="progress.text"]');
      if (!line) throw new Error('no progress line');
      new MutationObserver(() => {
        const text = line.textContent ?? '';
        if (text !== texts.at(-1)) texts.push(text);
      }).observe(line, { childList: true, characterData: true, subtree: true });
    });
  }

  async progressTexts(): Promise<string[]> {
    return this.page.evaluate(() => (window as unknown as { progressTexts?: string[] }).progressTexts ?? []);
  }

  galleryDownload(i = 0): Locator {
    return this.galleryItems.nth(i).getByTestId('gallery.download');
  }

  galleryShare(i = 0): Locator {
    return this.galleryItems.nth(i).getByTestId('gallery.share');
  }
}
