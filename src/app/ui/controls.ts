// The run's settings controls: seed (fixed, or drawn per run), image count, sampling (cfg, top-k, top-p,
// more_smooth) with the demo and FID presets, and the backend.

import type { Capabilities } from '../../shared/capabilities';
import type { BackendChoice } from '../../shared/engine-api';
import {
  BACKENDS,
  DEMO_SAMPLING,
  drawSeed,
  FID_SAMPLING,
  normaliseSettings,
  type RunSettings,
  type Sampling,
  samplingEquals,
} from '../run-settings';
import { byTestId } from './dom';

export type ControlSettings = Omit<RunSettings, 'modelId' | 'classId'>;

export interface Controls {
  /** The settings as entered, clamped into range (the fields are updated to show what will be used). */
  read(): ControlSettings;
  apply(s: ControlSettings): void;
  /** Shows the seed a run actually used (when seeds are drawn per run). */
  showSeed(seed: number): void;
  /** Marks backends the device lacks. */
  setCapabilities(caps: Capabilities): void;
}

export function createControls(root: HTMLElement, initial: ControlSettings): Controls {
  const seed = byTestId(root, 'controls.seed', HTMLInputElement);
  const seedRandom = byTestId(root, 'controls.seed-random', HTMLInputElement);
  const dice = byTestId(root, 'controls.seed-dice', HTMLButtonElement);
  const count = byTestId(root, 'controls.count', HTMLInputElement);
  const cfg = byTestId(root, 'controls.cfg', HTMLInputElement);
  const topK = byTestId(root, 'controls.topk', HTMLInputElement);
  const topP = byTestId(root, 'controls.topp', HTMLInputElement);
  const smooth = byTestId(root, 'controls.smooth', HTMLInputElement);
  const backend = byTestId(root, 'controls.backend', HTMLSelectElement);
  const demo = byTestId(root, 'controls.defaults', HTMLButtonElement);
  const fid = byTestId(root, 'controls.fid', HTMLButtonElement);
  const presetState = byTestId(root, 'controls.preset', HTMLElement);

  const current = (): ControlSettings => {
    const s = normaliseSettings({
      modelId: null,
      classId: 0,
      seed: seed.valueAsNumber,
      randomSeed: seedRandom.checked,
      count: count.valueAsNumber,
      cfg: cfg.valueAsNumber,
      topK: topK.valueAsNumber,
      topP: topP.valueAsNumber,
      moreSmooth: smooth.checked,
      backend: (BACKENDS.find((b) => b === backend.value) ?? 'auto') satisfies BackendChoice,
    });
    const { modelId: _m, classId: _c, ...rest } = s;
    return rest;
  };

  function showPreset(s: Sampling): void {
    const isDemo = samplingEquals(s, DEMO_SAMPLING);
    const isFid = samplingEquals(s, FID_SAMPLING);
    demo.setAttribute('aria-pressed', String(isDemo));
    fid.setAttribute('aria-pressed', String(isFid));
    presetState.textContent = isDemo ? 'Official demo settings' : isFid ? 'FID-evaluation settings' : 'Custom settings';
  }

  function applySampling(s: Sampling): void {
    cfg.value = String(s.cfg);
    topK.value = String(s.topK);
    topP.value = String(s.topP);
    smooth.checked = s.moreSmooth;
    showPreset(s);
  }

  function apply(s: ControlSettings): void {
    seed.value = String(s.seed);
    seedRandom.checked = s.randomSeed;
    seed.disabled = s.randomSeed;
    count.value = String(s.count);
    backend.value = s.backend;
    applySampling(s);
  }

  // Out-of-range entries snap to what will be used once the field is left.
  for (const field of [seed, count, cfg, topK, topP]) field.addEventListener('change', () => apply(current()));
  smooth.addEventListener('change', () => showPreset(current()));
  seedRandom.addEventListener('change', () => {
    seed.disabled = seedRandom.checked;
  });
  dice.addEventListener('click', () => {
    seedRandom.checked = false;
    seed.disabled = false;
    seed.value = String(drawSeed());
  });
  demo.addEventListener('click', () => applySampling(DEMO_SAMPLING));
  fid.addEventListener('click', () => applySampling(FID_SAMPLING));

  apply(initial);
  return {
    read() {
      const s = current();
      apply(s);
      return s;
    },
    apply,
    showSeed(n) {
      seed.value = String(n);
    },
    setCapabilities(caps) {
      const webgpu = backend.querySelector<HTMLOptionElement>('option[value="webgpu"]');
      if (webgpu && !caps.webgpu) webgpu.textContent = 'WebGPU (not available here)';
      const auto = backend.querySelector<HTMLOptionElement>('option[value="auto"]');
      if (auto && caps.backend !== 'none') auto.textContent = `Auto (${caps.backend === 'webgpu' ? 'WebGPU' : 'WASM'})`;
    },
  };
}
