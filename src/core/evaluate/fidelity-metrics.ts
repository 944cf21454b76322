// Distances between a quantized pack's outputs and the float32 reference's: logit cosine and KL, argmax, image PSNR.

/** Cosine similarity of two logit vectors (1 = same direction); float64 sums. */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? (na === nb ? 1 : 0) : dot / Math.sqrt(na * nb);
}

/** log softmax in float64 (max-subtracted). */
function logSoftmax(logits: Float32Array): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of logits) if (v > max) max = v;
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  const logZ = max + Math.log(sum);
  return Float64Array.from(logits, (v) => v - logZ);
}

/**
 * KL(P‖Q) in nats of the token distributions softmax(reference) and softmax(candidate): the information lost when
 * sampling from the quantized model instead of the reference (0 = identical distributions).
 */
export function klDivergence(reference: Float32Array, candidate: Float32Array): number {
  const lp = logSoftmax(reference);
  const lq = logSoftmax(candidate);
  let kl = 0;
  for (let i = 0; i < lp.length; i++) {
    const p = Math.exp(lp[i] as number);
    if (p > 0) kl += p * ((lp[i] as number) - (lq[i] as number));
  }
  return Math.max(0, kl);
}

export function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

/** PSNR in dB of an image in [0, 1] against the reference (Infinity when identical). */
export function psnr(reference: Float32Array, candidate: Float32Array): number {
  let se = 0;
  for (let i = 0; i < reference.length; i++) se += ((reference[i] as number) - (candidate[i] as number)) ** 2;
  const mse = se / reference.length;
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10(1 / mse);
}

/** Mean and the worst value (lowest when higher is better) with where it was. */
export interface Summary<W> {
  readonly mean: number;
  readonly worst: number;
  readonly worstAt: W;
}

/** Accumulates values and remembers the worst one. */
export class SummaryBuilder<W> {
  private sum = 0;
  private count = 0;
  private worst = Number.NaN;
  private worstAt: W | undefined;

  constructor(private readonly higherIsBetter: boolean) {}

  add(value: number, at: W): void {
    this.sum += value;
    this.count++;
    const worse = this.higherIsBetter ? value < this.worst : value > this.worst;
    if (Number.isNaN(this.worst) || worse) {
      this.worst = value;
      this.worstAt = at;
    }
  }

  get size(): number {
    return this.count;
  }

  build(): Summary<W> {
    return { mean: this.sum / this.count, worst: this.worst, worstAt: this.worstAt as W };
  }
}
