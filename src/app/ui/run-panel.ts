// Run state for people: Generate/Cancel, a status line, load progress (the pack and the file in flight, speed and
// time left), the current scale and timings, errors, and a polite live region that announces phases, quarters of a
// download and scales to screen readers. A download without generating (Download in the model picker) uses the same
// status line and progress box.

import type { LoadProgress, ScaleUpdate } from '../../shared/engine-api';
import { type RateState, trackRate } from '../download-rate';
import {
  describeError,
  fileProgressFraction,
  fileProgressLabel,
  formatMs,
  progressFraction,
  progressLabel,
  progressMilestone,
  scaleLabel,
} from '../format';
import { byTestId, h } from './dom';

export type RunState = 'idle' | 'loading' | 'running' | 'done' | 'cancelled' | 'error';

/** What the panel shows: a generation (which may download its model first) or a download alone. */
export type Job = 'generate' | 'download';

export interface StartOptions {
  readonly job?: Job;
  /** 'store' when the model was complete in this browser's storage as the job started (it is read, not downloaded). */
  readonly source?: 'network' | 'store';
}

/** What the status line says when a download stops at the person's request. */
export const DOWNLOAD_CANCELLED = 'Download cancelled · what arrived is kept';

export interface RunPanel {
  /** A job started: Cancel is enabled, the last error and scale line are cleared. */
  start(text: string, options?: StartOptions): void;
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
  const fileBox = byTestId(stage, 'progress.file-box', HTMLElement);
  const fileBar = byTestId(stage, 'progress.file-bar', HTMLProgressElement);
  const fileText = byTestId(stage, 'progress.file', HTMLElement);
  const progressCancel = byTestId(stage, 'progress.cancel', HTMLButtonElement);
  const errorBox = byTestId(stage, 'error.message', HTMLElement);
  const noteLine = byTestId(stage, 'run.notice', HTMLElement);
  const live = byTestId(stage, 'run.live', HTMLElement);

  let job: Job = 'generate';
  let source: 'network' | 'store' = 'network';
  /** Download speed, measured from the first progress report of the job. */
  let rate: RateState | null = null;
  /** The phase of the last progress report, while the load is not over (null once scales arrive). */
  let loadPhase: LoadProgress['phase'] | null = null;
  let lastAnnounced = '';
  const announce = (text: string) => {
    if (text === lastAnnounced) return;
    lastAnnounced = text;
    live.textContent = text;
  };

  function setState(state: RunState, text: string): void {
    status.dataset.state = state;
    status.textContent = text;
    status.dataset.job = job;
    const busy = state === 'loading' || state === 'running';
    cancel.disabled = !busy;
    progressCancel.disabled = !busy;
    stage.setAttribute('aria-busy', String(busy));
    if (!busy) progressBox.hidden = true;
  }

  const onCancelClick = () => {
    cancel.disabled = true;
    progressCancel.disabled = true;
    status.textContent = 'Cancelling…';
    handlers.onCancel();
  };
  cancel.addEventListener('click', onCancelClick);
  progressCancel.addEventListener('click', onCancelClick);

  function setBar(progress: HTMLProgressElement, fraction: number | null): void {
    // No value attribute: an indeterminate bar (sessions being created, unknown sizes).
    if (fraction === null) progress.removeAttribute('value');
    else progress.value = fraction;
  }

  return {
    start(text, options = {}) {
      job = options.job ?? 'generate';
      source = options.source ?? 'network';
      rate = null;
      loadPhase = null;
      errorBox.hidden = true;
      errorBox.replaceChildren();
      delete errorBox.dataset.code;
      scaleLine.textContent = '';
      timing.textContent = '';
      progressCancel.textContent = job === 'download' ? 'Cancel download' : 'Cancel run';
      setState('loading', text);
      announce(text);
    },
    progress(p) {
      loadPhase = p.phase;
      if (job === 'generate') {
        const loading =
          p.phase === 'session'
            ? 'Preparing the model…'
            : source === 'store'
              ? 'Loading the model from this browser’s storage…'
              : 'Downloading the model first (once: it stays in this browser)…';
        if (status.textContent !== loading) setState('loading', loading);
      }
      progressBox.hidden = false;
      progressBox.dataset.phase = p.phase;
      rate = trackRate(rate, p, performance.now());
      const fraction = progressFraction(p);
      setBar(bar, fraction);
      // Each "·" part stays on one line ("1.3 MB/s" never splits on a phone).
      const parts = progressLabel(p, { source, bytesPerSecond: rate.bytesPerSecond }).split(' · ');
      progressText.replaceChildren(
        ...parts.flatMap((part, i) => [...(i > 0 ? [' · '] : []), h('span', { className: 'nowrap', text: part })]),
      );
      const fileLine = fileProgressLabel(p);
      fileBox.hidden = fileLine === '' || source === 'store';
      fileText.textContent = fileLine;
      setBar(fileBar, fileProgressFraction(p));
      // The Cancel beside the bar is for downloads; reading from the store or preparing sessions is quick.
      progressCancel.hidden = p.phase !== 'download' || source === 'store';
      // Announce phases and quarters, not every chunk of bytes.
      if (p.phase === 'session') announce('Preparing the model');
      else if (source === 'store') announce('Loading the model from storage');
      else announce(`Downloading the model: ${progressMilestone(fraction ?? 0)} %`);
    },
    scale(u) {
      loadPhase = null;
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
      // A run cancelled while its model was still arriving keeps those bytes too.
      const download = job === 'download' || (loadPhase === 'download' && source === 'network');
      const text = download ? DOWNLOAD_CANCELLED : 'Cancelled.';
      setState('cancelled', text);
      announce(text);
    },
    fail(error, context) {
      const { code, message } = describeError(error);
      setState('error', 'Something went wrong (see below); you can change the settings and try again.');
      errorBox.dataset.code = code ?? '';
      errorBox.replaceChildren(
        ...(context ? [`${context}: `] : []),
        message,
        ...(code ? [' ', h('code', { className: 'error-code', text: code })] : []),
        // Not enough room: the Storage panel is where models are deleted.
        ...(code === 'E_QUOTA'
          ? [' ', h('a', { text: 'Manage storage', attrs: { href: '#storage', 'data-testid': 'error.storage-link' } })]
          : []),
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
