// For host pages: drive an embedded var-web widget (embed.html in an iframe) through its message protocol.
//
//   import { VarWidget } from 'https://<var-web host>/embed-client.js';
//   const iframe = document.querySelector('iframe');            // attach before the frame has loaded
//   const widget = await VarWidget.attach(iframe, { origin: 'https://<var-web host>' });
//   const { images } = await widget.generate({ classId: 207, seed: 3 }, { onScale: (s) => console.log(s.scale) });
//
// Only messages from that iframe's window and that origin are read; requests are posted to that origin only.

import type { WidgetGenerateParams, WidgetMessage, WidgetModel } from './protocol';

export interface WidgetScale {
  readonly scale: number;
  readonly scales: number;
  readonly pn: number;
}

export interface WidgetProgress {
  readonly phase: string;
  readonly loadedBytes: number;
  readonly totalBytes: number;
}

export interface WidgetImage {
  readonly blob: Blob;
  readonly index: number;
  readonly classId: number;
  readonly seed: number;
  readonly width: number;
  readonly height: number;
}

export interface WidgetResult {
  readonly images: readonly WidgetImage[];
  readonly backend: string;
  readonly totalMs: number;
}

/** A widget request that ended in an error reply (`code` from var-web's stable error codes, e.g. E_ABORTED). */
export class WidgetError extends Error {
  override readonly name = 'WidgetError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  readonly images: WidgetImage[];
  readonly onScale?: (s: WidgetScale) => void;
  readonly onProgress?: (p: WidgetProgress) => void;
  resolve(result: WidgetResult): void;
  reject(error: WidgetError): void;
}

let nextId = 0;

export class VarWidget {
  private readonly pending = new Map<string, Pending>();

  private constructor(
    private readonly target: Window,
    private readonly origin: string,
    /** The widget's models, from its ready message. */
    readonly models: readonly WidgetModel[],
  ) {
    addEventListener('message', (event: MessageEvent) => {
      if (event.source !== this.target || event.origin !== this.origin) return;
      this.receive(event.data as WidgetMessage);
    });
  }

  /** Resolves when the widget in `iframe` (served from `origin`) says it is ready. */
  static attach(iframe: HTMLIFrameElement, options: { origin: string; timeoutMs?: number }): Promise<VarWidget> {
    const origin = new URL(options.origin).origin;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        removeEventListener('message', onReady);
        reject(new WidgetError('E_NETWORK', `The widget from ${origin} did not get ready`));
      }, options.timeoutMs ?? 60_000);
      const onReady = (event: MessageEvent) => {
        const data = event.data as Partial<WidgetMessage> | null;
        if (event.source !== iframe.contentWindow || event.origin !== origin || data?.type !== 'var-web:ready') return;
        clearTimeout(timer);
        removeEventListener('message', onReady);
        resolve(new VarWidget(event.source as Window, origin, (data as { models: WidgetModel[] }).models));
      };
      addEventListener('message', onReady);
    });
  }

  /** Generates in the widget; resolves with the PNG images. A newer generate cancels this one (WidgetError E_ABORTED). */
  generate(
    params: WidgetGenerateParams,
    callbacks: { onScale?: (s: WidgetScale) => void; onProgress?: (p: WidgetProgress) => void } = {},
  ): Promise<WidgetResult> {
    const id = `var-web-${++nextId}-${Date.now()}`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { images: [], ...callbacks, resolve, reject });
      this.target.postMessage({ type: 'var-web:generate', id, params }, this.origin);
    });
  }

  /** Cancels the running generate, if it is one of this client's (it rejects with E_ABORTED). */
  cancel(): void {
    for (const id of this.pending.keys()) this.target.postMessage({ type: 'var-web:cancel', id }, this.origin);
  }

  private receive(message: WidgetMessage): void {
    if (message.type === 'var-web:ready') return;
    const call = this.pending.get(message.id);
    if (!call) return;
    switch (message.type) {
      case 'var-web:progress':
        call.onProgress?.({ phase: message.phase, loadedBytes: message.loadedBytes, totalBytes: message.totalBytes });
        break;
      case 'var-web:scale':
        call.onScale?.({ scale: message.scale, scales: message.scales, pn: message.pn });
        break;
      case 'var-web:image': {
        const { index, classId, seed, width, height } = message;
        call.images.push({ blob: new Blob([message.png], { type: 'image/png' }), index, classId, seed, width, height });
        break;
      }
      case 'var-web:done':
        this.pending.delete(message.id);
        call.resolve({ images: call.images, backend: message.backend, totalMs: message.totalMs });
        break;
      case 'var-web:error':
        this.pending.delete(message.id);
        call.reject(new WidgetError(message.code, message.message));
        break;
    }
  }
}
