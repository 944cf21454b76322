// How large each live preview may be: previews stay within a share of the time spent so far.

/**
 * Previews decode f_hat area-downsampled to at most this latent side (64 px images; nine of them cost at most 110/256
 * of one full decode), and smaller when the budget says so.
 */
export const PREVIEW_MAX_LATENT = 4;
/**
 * Previews may take at most this share of the time spent so far (≤ 25 % on top of the model work). Measured with
 * `npm run bench:browser`: fixed 64 px previews cost 48 % on the tiny model, where the decoder outweighs the
 * transformer, but about 17 % on d16 by FLOPs; the budget picks the size each time instead.
 */
export const PREVIEW_BUDGET = 0.2;

/** Picks each preview's latent size so that previews stay within a share of the elapsed time (one per run). */
export class PreviewBudget {
  private spentMs = 0;
  private msPerLatentCell = 0;

  constructor(private readonly share: number = PREVIEW_BUDGET) {}

  latentFor(pn: number, elapsedMs: number, maxLatent: number): number {
    let latent = Math.max(1, Math.min(pn, maxLatent));
    const budget = this.share * elapsedMs - this.spentMs;
    // Decoder time grows with the latent area; the smallest preview (1×1) is always allowed.
    while (latent > 1 && this.msPerLatentCell > 0 && latent * latent * this.msPerLatentCell > budget) latent--;
    return latent;
  }

  spent(latent: number, ms: number): void {
    this.spentMs += ms;
    this.msPerLatentCell = ms / (latent * latent);
  }
}
