// Listbox keys: arrows step without wrapping, Home/End jump, PageUp/PageDown move by ten, others are not handled.
import { describe, expect, it } from 'vitest';
import { moveActive } from './listbox-keys';

describe('moveActive', () => {
  it('steps with the arrows, entering the list from either end', () => {
    expect(moveActive('ArrowDown', -1, 5)).toBe(0);
    expect(moveActive('ArrowDown', 2, 5)).toBe(3);
    expect(moveActive('ArrowDown', 4, 5)).toBe(4);
    expect(moveActive('ArrowUp', -1, 5)).toBe(4);
    expect(moveActive('ArrowUp', 3, 5)).toBe(2);
    expect(moveActive('ArrowUp', 0, 5)).toBe(0);
  });

  it('jumps with Home, End, PageUp and PageDown', () => {
    expect(moveActive('Home', 3, 5)).toBe(0);
    expect(moveActive('End', 0, 5)).toBe(4);
    expect(moveActive('PageDown', -1, 50)).toBe(10);
    expect(moveActive('PageDown', 45, 50)).toBe(49);
    expect(moveActive('PageUp', 15, 50)).toBe(5);
    expect(moveActive('PageUp', 5, 50)).toBe(0);
  });

  it('handles empty lists and leaves other keys alone', () => {
    expect(moveActive('ArrowDown', -1, 0)).toBe(-1);
    expect(moveActive('Enter', 2, 5)).toBeNull();
    expect(moveActive('a', 2, 5)).toBeNull();
  });
});
