/**
 * A log-linear latency histogram over microseconds: exact below 64 µs, then 64 buckets per
 * power of two (at most 1.6 % relative error), up to about 35 minutes. Fixed size, no
 * allocation when recording, and mergeable: workers send their counts to the coordinator.
 */
const SUB_BITS = 6;
const SUB = 1 << SUB_BITS;
const MAX_VALUE = 0x7fffffff;
/** Number of buckets (values up to 2^31 µs). */
export const BUCKETS = (31 - SUB_BITS + 1) * SUB;

function bucketOf(us: number): number {
  const v = us <= 0 ? 0 : us >= MAX_VALUE ? MAX_VALUE : us | 0;
  if (v < SUB) return v;
  const shift = 31 - Math.clz32(v) - SUB_BITS;
  return (shift + 1) * SUB + ((v >>> shift) - SUB);
}

/** The middle of a bucket, in µs. */
function bucketValue(index: number): number {
  if (index < SUB) return index;
  const shift = Math.floor(index / SUB) - 1;
  const low = ((index % SUB) + SUB) * 2 ** shift;
  return low + (2 ** shift - 1) / 2;
}

export class Histogram {
  readonly counts: Float64Array;
  count = 0;
  sum = 0;
  max = 0;

  constructor(counts?: ArrayLike<number>) {
    this.counts = new Float64Array(BUCKETS);
    if (counts !== undefined) this.add(counts);
  }

  /** Records one value in microseconds. */
  record(us: number): void {
    const i = bucketOf(us);
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.count++;
    this.sum += us;
    if (us > this.max) this.max = us;
  }

  /** Adds another histogram's counts (and its count, sum and max when given a Histogram). */
  add(other: ArrayLike<number> | Histogram): void {
    const counts = other instanceof Histogram ? other.counts : other;
    for (let i = 0; i < BUCKETS; i++) {
      const c = counts[i] ?? 0;
      if (c === 0) continue;
      this.counts[i] = (this.counts[i] ?? 0) + c;
      if (!(other instanceof Histogram)) {
        this.count += c;
        this.sum += c * bucketValue(i);
        if (bucketValue(i) > this.max) this.max = bucketValue(i);
      }
    }
    if (other instanceof Histogram) {
      this.count += other.count;
      this.sum += other.sum;
      if (other.max > this.max) this.max = other.max;
    }
  }

  /** A plain snapshot to send between threads. */
  toJSON(): HistogramSnapshot {
    return { counts: Array.from(this.counts), count: this.count, sum: this.sum, max: this.max };
  }

  static from(s: HistogramSnapshot): Histogram {
    const h = new Histogram();
    h.counts.set(s.counts);
    h.count = s.count;
    h.sum = s.sum;
    h.max = s.max;
    return h;
  }

  /** The q-quantile (0..1) in µs; 0 when empty. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    if (q >= 1) return this.max;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(bucketValue(i), this.max);
    }
    return this.max;
  }

  /** Quantile in milliseconds, rounded to µs; null when nothing was recorded. */
  ms(q: number): number | null {
    if (this.count === 0) return null;
    return Math.round(this.quantile(q)) / 1000;
  }
}

export interface HistogramSnapshot {
  counts: number[];
  count: number;
  sum: number;
  max: number;
}

/** The q-quantile of raw samples (sorted in place). */
export function quantileOf(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? null;
}
