// Renders the engine's capability table: which backend will run, why, and the adapter's details.

import type { Capabilities } from '../../shared/capabilities';

function formatBytes(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${Math.round(bytes / 2 ** 20)} MiB`;
}

export function renderDevicePanel(root: HTMLElement, caps: Capabilities): void {
  const backendLine = root.querySelector<HTMLElement>('[data-testid="device.backend"]');
  const details = root.querySelector<HTMLDListElement>('[data-testid="device.details"]');
  if (!backendLine || !details) throw new Error('device panel markup is missing');
  backendLine.dataset.backend = caps.backend;
  backendLine.textContent = caps.reason;

  const rows: [string, string, string][] = [['Backend', caps.backend, 'backend-name']];
  if (caps.webgpu) {
    const a = caps.webgpu;
    rows.push(
      ['Adapter', [a.vendor, a.architecture, a.device].filter(Boolean).join(' · ') || '(unnamed)', 'adapter'],
      ['Fallback adapter', a.isFallbackAdapter ? 'yes (software)' : 'no', 'fallback'],
      ['shader-f16', a.shaderF16 ? 'yes' : 'no', 'shader-f16'],
      ['Max buffer', formatBytes(a.maxBufferSize), 'max-buffer'],
      ['Max storage binding', formatBytes(a.maxStorageBufferBindingSize), 'max-binding'],
    );
    if (a.description) rows.push(['Description', a.description, 'description']);
  } else {
    rows.push(['WebGPU', caps.webgpuUnavailable ?? 'unavailable', 'webgpu-unavailable']);
  }
  rows.push(
    ['WebAssembly', caps.wasm ? 'yes' : 'no', 'wasm'],
    [
      'Cross-origin isolated',
      caps.crossOriginIsolated ? 'yes (multi-threaded WASM)' : 'no (single-threaded WASM)',
      'coi',
    ],
    ['CPU threads', String(caps.hardwareConcurrency), 'threads'],
  );
  details.replaceChildren(
    ...rows.flatMap(([label, value, id]) => {
      const dt = document.createElement('dt');
      dt.textContent = label;
      const dd = document.createElement('dd');
      dd.textContent = value;
      dd.dataset.testid = `device.${id}`;
      return [dt, dd];
    }),
  );
  details.hidden = false;
}
