// What the Edit panel shows and allows, as pure functions of its state (unit-tested without a DOM): which controls
// work, the lines it says, the square of the image the model sees, and the brush size in mask pixels.

import { fitGeometry } from '../../core/generate/edit-input';
import type { ModelInfo } from '../../shared/engine-api';

/** Said, with every Edit control disabled, when the selected model's pack has no encoder graph. */
export const NO_ENCODER_MESSAGE =
  'This model pack has no image encoder (converted before editing existed): convert it again to edit.';

export interface EditState {
  /** The model selected under Generate (null while the list loads). */
  readonly model: Pick<ModelInfo, 'canEdit'> | null;
  readonly hasImage: boolean;
  /** An edit is running (loading its model or generating). */
  readonly running: boolean;
}

export interface EditView {
  /** Loading an image and choosing the class. */
  readonly inputsEnabled: boolean;
  /** Painting tools (they need an image). */
  readonly toolsEnabled: boolean;
  readonly generateEnabled: boolean;
  readonly cancelEnabled: boolean;
  /** Why the panel cannot edit yet, or null. */
  readonly message: string | null;
}

export function editView(s: EditState): EditView {
  if (s.model && !s.model.canEdit) {
    return {
      inputsEnabled: false,
      toolsEnabled: false,
      generateEnabled: false,
      cancelEnabled: s.running,
      message: NO_ENCODER_MESSAGE,
    };
  }
  return {
    inputsEnabled: true,
    toolsEnabled: s.hasImage,
    // A new edit while one runs replaces it (the engine's latest request wins), as Generate does.
    generateEnabled: s.hasImage && s.model !== null,
    cancelEnabled: s.running,
    message: !s.hasImage
      ? 'Choose an image, drop one here, or press “Edit this” under an image you made.'
      : s.model === null
        ? 'Select a model under Generate (one this browser has or can download) to edit with.'
        : null,
  };
}

/** What Generate edit will do with the chosen class (null: none). */
export function actionLine(cls: { readonly name: string } | null): string {
  return cls
    ? `Regenerate this region as ${cls.name}.`
    : 'Fill the region from the rest of the image, with no class (in-painting or out-painting by context).';
}

/** The mask in words: what share of the image is generated, and what the two extremes mean. */
export function maskLine(coverage: number): string {
  if (coverage <= 0) return 'Nothing is masked: Generate edit gives the image’s reconstruction (its own tokens).';
  if (coverage >= 1) return 'The whole image is masked: Generate edit makes a new image.';
  return `${Math.max(1, Math.round(coverage * 100))} % of the image is masked (generated); the rest is kept.`;
}

/**
 * The square of an image of width × height that a model of `size` px sees, in the image's pixels (VAR's evaluation
 * transform: resize the shorter side, centre crop), or null when it sees all of it (a square image).
 */
export function modelCrop(
  width: number,
  height: number,
  size: number,
): { left: number; top: number; width: number; height: number } | null {
  const g = fitGeometry(width, height, size);
  if (g.mode === 'as-is') return null;
  const [rw, rh] = g.resized;
  const [cx, cy] = g.crop;
  const sx = width / rw;
  const sy = height / rh;
  return { left: cx * sx, top: cy * sy, width: size * sx, height: size * sy };
}

/** Brush sizes on the slider are pixels of a 256 px view of the image's shorter side; this is the radius in mask px. */
export function brushRadius(sizeSetting: number, mask: { readonly width: number; readonly height: number }): number {
  return (sizeSetting / 256) * Math.min(mask.width, mask.height) * 0.5;
}
