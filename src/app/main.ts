// Page entry: starts the engine worker and shows what it found on this device.

import { createEngineClient } from './engine-client';
import { renderDevicePanel } from './ui/device-panel';

async function main(): Promise<void> {
  const devicePanel = document.querySelector<HTMLElement>('[data-testid="device"]');
  if (!devicePanel) throw new Error('index.html is missing the device panel');
  const client = createEngineClient();
  try {
    renderDevicePanel(devicePanel, await client.capabilities());
  } catch (error) {
    const line = devicePanel.querySelector<HTMLElement>('[data-testid="device.backend"]');
    if (line) {
      line.dataset.backend = 'none';
      line.textContent = `The engine failed to start: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
}

void main();
