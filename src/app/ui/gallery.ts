// This session's images with the settings that made them: each one downloads as a PNG, has a link that makes it
// again (the share URL opens the page, fills the controls and runs; edits have none: a link cannot carry the image),
// and an "Edit this" button that opens it in the Edit panel.

import type { Rgba } from '../../shared/engine-api';
import { formatMs, pngFileName } from '../format';
import { NO_IMAGE_LINK } from '../share-url';
import { byTestId, h } from './dom';
import { rgbaToPngBlob } from './draw';

/** Older entries are dropped (and their object URLs revoked) beyond this many. */
const MAX_ITEMS = 64;

export interface GalleryEntry {
  readonly rgba: Rgba;
  readonly classId: number;
  readonly className: string;
  readonly seed: number;
  readonly cfg: number;
  readonly topK: number;
  readonly topP: number;
  readonly moreSmooth: boolean;
  readonly modelLabel: string;
  readonly randomWeights: boolean;
  readonly backend: string;
  /** The run's total time (all its images). */
  readonly totalMs: number;
  /** null for an edit of the person's image: the item says that share links cannot carry it. */
  readonly shareUrl: string | null;
  /** The caption and file name when not "<class> · class <id>" and pngFileName's (edits). */
  readonly title?: string;
  readonly fileName?: string;
}

/** What "Edit this" hands over: the image as the PNG the item offers, and what it shows. */
export interface GalleryImage {
  readonly png: Blob;
  readonly title: string;
  /** The class it was made with (−1: none). */
  readonly classId: number;
}

export interface Gallery {
  add(entry: GalleryEntry): void;
}

export function createGallery(root: HTMLElement, options: { onEdit?: (image: GalleryImage) => void } = {}): Gallery {
  const list = byTestId(root, 'gallery', HTMLUListElement);
  const empty = byTestId(root, 'gallery.empty', HTMLElement);
  const urls = new WeakMap<Element, string>();

  function settingRow(term: string, value: string): HTMLElement[] {
    return [h('dt', { text: term }), h('dd', { text: value })];
  }

  async function copy(text: string, button: HTMLButtonElement): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = 'Copied';
    } catch {
      // No clipboard permission (or an insecure origin): the link itself can still be copied by hand.
      button.textContent = 'Copy failed: use the link';
    }
    setTimeout(() => {
      button.textContent = 'Copy link';
    }, 2000);
  }

  return {
    add(e) {
      const title = e.title ?? `${e.className} · class ${e.classId}`;
      const fileName = e.fileName ?? pngFileName(e.classId, e.className, e.seed);
      const img = h('img', {
        className: 'gallery-image',
        attrs: {
          alt: e.title ? `${e.title}, seed ${e.seed}` : `${e.className} (class ${e.classId}), seed ${e.seed}`,
          width: '256',
          height: '256',
        },
      });
      const download = h('a', {
        className: 'button-link',
        testid: 'gallery.download',
        text: 'Download PNG',
        attrs: { download: fileName, 'aria-disabled': 'true' },
      });
      const link = e.shareUrl;
      const shareControls: HTMLElement[] = [];
      if (link === null) {
        shareControls.push(
          h('span', { className: 'hint gallery-no-link', testid: 'gallery.no-link', text: NO_IMAGE_LINK }),
        );
      } else {
        const copyButton = h('button', { testid: 'gallery.copy', text: 'Copy link', attrs: { type: 'button' } });
        // The handler keeps the link, not the entry (whose pixels are only needed until the PNG exists).
        copyButton.addEventListener('click', () => void copy(link, copyButton));
        shareControls.push(
          h('a', {
            className: 'button-link',
            testid: 'gallery.share',
            text: 'Link',
            attrs: { href: link, title: 'Opens the page with these settings and makes this image again' },
          }),
          copyButton,
        );
      }
      // Enabled once the PNG exists: the Edit panel reads the image back from it.
      const editButton = h('button', { testid: 'gallery.edit', text: 'Edit this', attrs: { type: 'button' } });
      editButton.disabled = true;
      let png: Blob | null = null;
      const classId = e.classId;
      editButton.addEventListener('click', () => {
        if (png) options.onEdit?.({ png, title, classId });
      });

      const item = h('li', { className: 'gallery-item', testid: 'gallery.item' }, [
        h('figure', {}, [
          img,
          h('figcaption', {}, [
            h('strong', { className: 'gallery-title', text: title }),
            ...(e.randomWeights ? [h('span', { className: 'badge', text: 'random weights' })] : []),
            h('dl', { className: 'gallery-settings' }, [
              ...settingRow('seed', String(e.seed)),
              ...settingRow('cfg', String(e.cfg)),
              ...settingRow('top-k', String(e.topK)),
              ...settingRow('top-p', String(e.topP)),
              ...settingRow('more_smooth', e.moreSmooth ? 'on' : 'off'),
              ...settingRow('model', e.modelLabel),
              ...settingRow('backend', e.backend === 'webgpu' ? 'WebGPU' : 'WASM'),
              ...settingRow('time', formatMs(e.totalMs)),
            ]),
          ]),
        ]),
        h('div', { className: 'gallery-actions' }, [
          download,
          ...(options.onEdit ? [editButton] : []),
          ...shareControls,
        ]),
      ]);
      item.dataset.classId = String(e.classId);
      item.dataset.seed = String(e.seed);
      list.prepend(item);
      empty.hidden = true;

      rgbaToPngBlob(e.rgba).then(
        (blob) => {
          png = blob;
          editButton.disabled = false;
          const url = URL.createObjectURL(blob);
          urls.set(item, url);
          img.src = url;
          download.href = url;
          download.removeAttribute('aria-disabled');
        },
        (error: unknown) => {
          download.textContent = `No PNG: ${error instanceof Error ? error.message : String(error)}`;
        },
      );

      while (list.children.length > MAX_ITEMS) {
        const old = list.lastElementChild;
        if (!old) break;
        const url = urls.get(old);
        if (url) URL.revokeObjectURL(url);
        old.remove();
      }
    },
  };
}
