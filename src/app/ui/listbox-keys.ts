// Which option a key moves to in a listbox (ARIA combobox pattern); pure, so it is unit-tested without a DOM.

const PAGE = 10;

/**
 * The next active index for `key`, or null when the key does not move the active option. `active` is -1 when
 * no option is active; the result stays within 0 … length−1 (no wrapping), or is -1 for an empty list.
 */
export function moveActive(key: string, active: number, length: number): number | null {
  if (length <= 0) return ['ArrowDown', 'ArrowUp', 'Home', 'End', 'PageDown', 'PageUp'].includes(key) ? -1 : null;
  const last = length - 1;
  switch (key) {
    case 'ArrowDown':
      return active < 0 ? 0 : Math.min(active + 1, last);
    case 'ArrowUp':
      return active < 0 ? last : Math.max(active - 1, 0);
    case 'Home':
      return 0;
    case 'End':
      return last;
    case 'PageDown':
      return Math.min(Math.max(active, 0) + PAGE, last);
    case 'PageUp':
      return Math.max(active - PAGE, 0);
    default:
      return null;
  }
}
