// Page object for the app: test ids in dotted namespaces, one place to change when the markup does.
import type { Locator, Page } from '@playwright/test';

export class AppPage {
  readonly backend: Locator;
  readonly details: Locator;

  constructor(readonly page: Page) {
    this.backend = page.getByTestId('device.backend');
    this.details = page.getByTestId('device.details');
  }

  async open(): Promise<void> {
    await this.page.goto('/');
  }

  detail(id: string): Locator {
    return this.page.getByTestId(`device.${id}`);
  }
}
