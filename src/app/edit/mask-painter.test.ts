// The edit mask: brush strokes and rectangles paint the pixels they cover, invert and clear, one undo step per
// action, and the mask as RGBA at any size (white = generate).
import { describe, expect, it } from 'vitest';
import { MaskPainter, maskSize, toMaskPoint } from './mask-painter';

/** The mask as rows of '#' (generate) and '.' (keep). */
function picture(m: MaskPainter): string[] {
  return Array.from({ length: m.height }, (_, y) =>
    Array.from(m.data.subarray(y * m.width, (y + 1) * m.width), (v) => (v ? '#' : '.')).join(''),
  );
}

describe('maskSize', () => {
  it('keeps small images at their size and scales big ones down to 512 on the longer side', () => {
    expect(maskSize(256, 256)).toEqual({ width: 256, height: 256 });
    expect(maskSize(300, 200)).toEqual({ width: 300, height: 200 });
    expect(maskSize(4000, 3000)).toEqual({ width: 512, height: 384 });
    expect(maskSize(10_000, 10)).toEqual({ width: 512, height: 1 });
  });
});

describe('toMaskPoint', () => {
  it('maps a pointer over the shown canvas to mask pixels, whatever its CSS size', () => {
    const box = { left: 100, top: 50, width: 400, height: 200 };
    expect(toMaskPoint(100, 50, box, { width: 300, height: 150 })).toEqual({ x: 0, y: 0 });
    expect(toMaskPoint(300, 150, box, { width: 300, height: 150 })).toEqual({ x: 150, y: 75 });
    expect(toMaskPoint(500, 250, box, { width: 300, height: 150 })).toEqual({ x: 300, y: 150 });
    expect(toMaskPoint(5, 5, { left: 0, top: 0, width: 0, height: 0 }, { width: 3, height: 3 })).toEqual({
      x: 0,
      y: 0,
    });
  });
});

describe('MaskPainter', () => {
  it('starts all keep', () => {
    const m = new MaskPainter(4, 3);
    expect(picture(m)).toEqual(['....', '....', '....']);
    expect(m.coverage()).toBe(0);
    expect(m.canUndo).toBe(false);
    expect(() => new MaskPainter(0, 3)).toThrow(RangeError);
  });

  it('a brush dot paints the pixels whose centres lie within its radius; a tiny brush still paints one', () => {
    const m = new MaskPainter(7, 7);
    m.paintSegment(3.5, 3.5, 3.5, 3.5, 1.5, 1);
    expect(picture(m)).toEqual(['.......', '.......', '..###..', '..###..', '..###..', '.......', '.......']);
    const tiny = new MaskPainter(3, 3);
    tiny.paintSegment(0.2, 2.9, 0.2, 2.9, 0.01, 1);
    expect(picture(tiny)).toEqual(['...', '...', '#..']);
  });

  it('a stroke paints the capsule along its segments and is one undo step', () => {
    const m = new MaskPainter(8, 4);
    m.beginStroke();
    m.paintSegment(0.5, 1.5, 4.5, 1.5, 0.6, 1);
    m.paintSegment(4.5, 1.5, 7.5, 2.5, 0.6, 1);
    m.endStroke();
    expect(picture(m)).toEqual(['........', '######..', '......##', '........']);
    expect(m.undo()).toBe(true);
    expect(m.coverage()).toBe(0);
    expect(m.undo()).toBe(false);
  });

  it('erasing is a stroke with value 0; strokes off the edge are clipped', () => {
    const m = new MaskPainter(4, 4);
    m.rect(0, 0, 4, 4, 1);
    m.paintSegment(-10, 1.5, 10, 1.5, 0.5, 0);
    expect(picture(m)).toEqual(['####', '....', '####', '####']);
  });

  it('a rectangle covers the pixels whose centres it contains, corners in any order', () => {
    const m = new MaskPainter(6, 5);
    m.rect(4.2, 3.9, 1, 1, 1);
    expect(picture(m)).toEqual(['......', '.###..', '.###..', '.###..', '......']);
    // Too thin to hold a pixel centre: nothing, and no undo step.
    const thin = new MaskPainter(4, 4);
    thin.rect(1.1, 0, 1.4, 4, 1);
    expect(thin.coverage()).toBe(0);
    expect(thin.canUndo).toBe(false);
  });

  it('invert, clear and undo, each step undone in turn', () => {
    const m = new MaskPainter(3, 2);
    m.rect(0, 0, 1, 2, 1);
    m.invert();
    expect(picture(m)).toEqual(['.##', '.##']);
    m.clear();
    expect(picture(m)).toEqual(['...', '...']);
    m.undo();
    expect(picture(m)).toEqual(['.##', '.##']);
    m.undo();
    expect(picture(m)).toEqual(['#..', '#..']);
    m.undo();
    expect(picture(m)).toEqual(['...', '...']);
    expect(m.canUndo).toBe(false);
  });

  it('keeps at most 32 undo steps', () => {
    const m = new MaskPainter(2, 1);
    for (let i = 0; i < 40; i++) m.invert();
    let steps = 0;
    while (m.undo()) steps++;
    expect(steps).toBe(32);
  });

  it('as RGBA: white where it generates, opaque, nearest neighbour at any size', () => {
    const m = new MaskPainter(2, 2);
    m.rect(1, 0, 2, 1, 1); // top right
    const same = m.toRgba(2, 2);
    expect(Array.from(same.data)).toEqual([0, 0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
    const big = m.toRgba(300, 200);
    expect([big.width, big.height, big.data.length]).toEqual([300, 200, 300 * 200 * 4]);
    const at = (x: number, y: number) => big.data[(y * 300 + x) * 4];
    expect([at(149, 0), at(150, 0), at(299, 99), at(299, 100), at(0, 199)]).toEqual([0, 255, 255, 0, 0]);
    const small = m.toRgba(1, 1);
    expect(Array.from(small.data)).toEqual([0, 0, 0, 255]);
  });
});
