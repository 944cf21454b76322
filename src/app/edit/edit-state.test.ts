// The Edit panel's state: a pack without the encoder disables everything and says why; without an image only the
// image input works; the lines for the class and the mask; the square the model sees; brush sizes.
import { describe, expect, it } from 'vitest';
import { actionLine, brushRadius, editView, maskLine, modelCrop, NO_ENCODER_MESSAGE } from './edit-state';

describe('editView', () => {
  it('a pack without the image encoder: every Edit control disabled, and the page says to convert it again', () => {
    for (const hasImage of [false, true]) {
      expect(editView({ model: { canEdit: false }, hasImage, running: false })).toEqual({
        inputsEnabled: false,
        toolsEnabled: false,
        generateEnabled: false,
        cancelEnabled: false,
        message: NO_ENCODER_MESSAGE,
      });
    }
    expect(NO_ENCODER_MESSAGE).toBe(
      'This model pack has no image encoder (converted before editing existed): convert it again to edit.',
    );
    // An edit still running when the model changed can still be cancelled.
    expect(editView({ model: { canEdit: false }, hasImage: true, running: true }).cancelEnabled).toBe(true);
  });

  it('no image yet: only the image input works, and the panel says how to bring one', () => {
    const v = editView({ model: { canEdit: true }, hasImage: false, running: false });
    expect([v.inputsEnabled, v.toolsEnabled, v.generateEnabled, v.cancelEnabled]).toEqual([true, false, false, false]);
    expect(v.message).toMatch(/Choose an image, drop one here, or press “Edit this”/);
  });

  it('an image and a model that can edit: everything works; Cancel only while running', () => {
    expect(editView({ model: { canEdit: true }, hasImage: true, running: false })).toEqual({
      inputsEnabled: true,
      toolsEnabled: true,
      generateEnabled: true,
      cancelEnabled: false,
      message: null,
    });
    expect(editView({ model: { canEdit: true }, hasImage: true, running: true }).cancelEnabled).toBe(true);
    // No model selected (the list is loading, or an official model not converted yet): nothing to run on.
    const none = editView({ model: null, hasImage: true, running: false });
    expect(none.generateEnabled).toBe(false);
    expect(none.message).toMatch(/^Select a model under Generate/);
  });
});

describe('lines', () => {
  it('class-conditional editing reads "Regenerate this region as <class>"', () => {
    expect(actionLine({ name: 'golden retriever' })).toBe('Regenerate this region as golden retriever.');
    expect(actionLine(null)).toMatch(/no class \(in-painting or out-painting by context\)/);
  });

  it('the mask line says what an empty and a full mask do', () => {
    expect(maskLine(0)).toMatch(/reconstruction/);
    expect(maskLine(1)).toMatch(/new image/);
    expect(maskLine(0.25)).toBe('25 % of the image is masked (generated); the rest is kept.');
    expect(maskLine(0.001)).toMatch(/^1 %/);
  });
});

describe('modelCrop', () => {
  it('none for an image of the model size; the centre square of VAR’s evaluation transform otherwise', () => {
    expect(modelCrop(256, 256, 256)).toBeNull();
    // 300×200 → 432×288 → crop (88, 16) of 256: in the image, 256·(300/432) = 177.8 wide, from x = 61.1.
    const c = modelCrop(300, 200, 256);
    expect(c?.left).toBeCloseTo(88 * (300 / 432), 6);
    expect(c?.top).toBeCloseTo(16 * (200 / 288), 6);
    expect(c?.width).toBeCloseTo(256 * (300 / 432), 6);
    expect(c?.height).toBeCloseTo(256 * (200 / 288), 6);
  });
});

describe('brushRadius', () => {
  it('is the slider value in pixels of a 256 px view, halved, scaled to the mask’s shorter side', () => {
    expect(brushRadius(32, { width: 256, height: 256 })).toBe(16);
    expect(brushRadius(32, { width: 512, height: 384 })).toBe(24);
  });
});
