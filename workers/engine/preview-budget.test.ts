import { describe, expect, it } from 'vitest';
import { PREVIEW_MAX_LATENT, PreviewBudget } from './preview-budget';

describe('PreviewBudget', () => {
  it('starts at the largest allowed latent, never above the scale itself', () => {
    const budget = new PreviewBudget(0.2);
    expect(budget.latentFor(1, 10, PREVIEW_MAX_LATENT)).toBe(1);
    expect(budget.latentFor(3, 10, PREVIEW_MAX_LATENT)).toBe(3);
    expect(budget.latentFor(16, 10, PREVIEW_MAX_LATENT)).toBe(4);
  });

  it('shrinks previews to keep their cost within the share of the elapsed time', () => {
    const budget = new PreviewBudget(0.2);
    // A 4×4 preview took 16 ms: 1 ms per latent cell. After 100 ms, 20 ms may go to previews, 16 are spent.
    budget.spent(4, 16);
    expect(budget.latentFor(16, 100, 4)).toBe(2); // 4 ms left: 2×2 = 4 cells fit, 3×3 = 9 do not
    // With 1000 ms elapsed, 200 − 16 ms are left: the full 4×4 fits again.
    expect(budget.latentFor(16, 1000, 4)).toBe(4);
  });

  it('always allows the 1×1 preview, even over budget', () => {
    const budget = new PreviewBudget(0.2);
    budget.spent(2, 400);
    expect(budget.latentFor(8, 10, 4)).toBe(1);
  });
});
