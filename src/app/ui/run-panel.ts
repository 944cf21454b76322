// Run state for people: Generate/Cancel, a status line, load progress, the current scale and timings, errors,
// and a polite live region that announces phases and scales to screen readers.

import type { LoadProgress, ScaleUpdate } from '../../shared/engine-api';
import { describeError, formatMs, progressFraction, progressLabel, scaleLabel } from '../format';
import { byTestId, h } from './dom';

export type RunState = 'idle' | 'loading' | 'running' | 'done' | 'cancelled' | 'error';

export interface RunPanel {
  /** A run started: Cancel is enabled, the last error and scale line are cleared. */
  start(text: string): void;
  progress(p: LoadProgress): void;
  scale(u: ScaleUpdate): void;
  done(text: string): void;
  cancelled(): void;
  /** Shows `error` (with its code when it has one); the page stays usable. */
  fail(error: unknown, context?: string): void;
  /** A line that is neither progress nor an error (e.g. share-link values that were adjusted). */
  note(text: string | null): void;
  setGenerateEnabled(enabled: boolean): void;
}

export function createRunPanel(form: HTMLElement, stage: HTMLElement, handlers: { onCancel: () => void }): RunPanel {
  const generate = byTestId(form, 'run.generate', HTMLButtonElement);
  const cancel = byTestId(form, 'run.cancel', HTMLButtonElement);
  const status = byTestId(stage, 'run.status', HTMLElement);
  const scaleLine = byTestId(stage, 'run.scale', HTMLElement);
  const timing = byTestId(stage, 'run.timing', HTMLElement);
  const progressBox = byTestId(stage, 'progress', HTMLElement);
  const bar = byTestId(stage, 'progress.bar', HTMLProgressElement);
  const progressText = byTestId(stage, 'progress.text', HTMLElement);
  const errorBox = byTestId(stage, 'error.message', HTMLElement);
  const noteLine = byTestId(stage, 'run.notice', HTMLElement);
  const live = byTestId(stage, 'run.live', HTMLElement);

  let lastAnnounced = '';
  const announce = (text: string) => {
    if (text === lastAnnounced) return;
    lastAnnounced = text;
    live.textContent = text;
  };

  function setState(state: RunState, text: string): void {
    status.dataset.state = state;
    status.textContent = text;
    const busy = state === 'loading' || state === 'running';
    cancel.disabled = !busy;
    stage.setAttribute('aria-busy', String(busy));
    if (!busy) progressBox.hidden = true;
  }

  cancel.addEventListener('click', () => {
    cancel.disabled = true;
    status.textContent = 'Cancelling…';
    handlers.onCancel();
  });

  return {
    start(text) {
      errorBox.hidden = true;
      errorBox.replaceChildren();
      scaleLine.textContent = '';
      timing.textContent = '';
      setState('loading', text);
      announce(text);
    },
    progress(p) {
      setState('loading', 'Loading the model (the first run of a model downloads it)…');
      progressBox.hidden = false;
      const fraction = progressFraction(p);
      // No value attribute: an indeterminate bar (sessions being created, unknown sizes).
      if (fraction === null) bar.removeAttribute('value');
      else bar.value = fraction;
      const text = progressLabel(p);
      progressText.textContent = text;
      // Announce phases, not every chunk of bytes.
      announce(p.phase === 'download' ? 'Downloading the model' : 'Preparing the model');
    },
    scale(u) {
      const last = u.si === u.scaleCount - 1;
      const text = last ? 'Decoding the final image…' : 'Generating…';
      if (status.dataset.state !== 'running' || status.textContent !== text) setState('running', text);
      progressBox.hidden = true;
      const label = scaleLabel(u.si, u.scaleCount, u.pn);
      scaleLine.textContent = label;
      scaleLine.dataset.scale = String(u.si);
      timing.textContent = `${formatMs(u.scaleMs)} this scale · ${formatMs(u.elapsedMs)} elapsed`;
      announce(label);
    },
    done(text) {
      setState('done', text);
      announce(text);
    },
    cancelled() {
      setState('cancelled', 'Cancelled.');
      announce('Cancelled');
    },
    fail(error, context) {
      const { code, message } = describeError(error);
      setState('error', 'Something went wrong (see below); you can change the settings and try again.');
      errorBox.dataset.code = code ?? '';
      errorBox.replaceChildren(
        ...(context ? [`${context}: `] : []),
        message,
        ...(code ? [' ', h('code', { className: 'error-code', text: code })] : []),
      );
      errorBox.hidden = false;
    },
    note(text) {
      noteLine.textContent = text ?? '';
      noteLine.hidden = !text;
    },
    setGenerateEnabled(enabled) {
      generate.disabled = !enabled;
    },
  };
}
