/**
 * Per-IP connection limits: concurrent connections and new connections per minute.
 *
 * The rate is a sliding-window counter: each address keeps the count of the current
 * one-minute window and of the one before, and the connections "in the last minute" are
 * estimated as the previous count weighted by how much of it still overlaps the last 60 s,
 * plus the current count. That is constant memory and time per address, however many
 * connections it makes. (It replaced a list of connection times per address, which a single
 * address behind NAT, or a load test, grew to thousands of entries copied on every connect:
 * quadratic CPU and several KB of heap per connection.) The estimate assumes the previous
 * window's connections were spread evenly; it never lets through more than the limit in a
 * window of its own.
 */
const WINDOW_MS = 60_000;
/**
 * Most addresses remembered at once. Pruning drops addresses idle for two windows, but a
 * flood from many addresses (an IPv6 range) could still add entries faster; past this the
 * oldest entry is forgotten, so memory stays bounded and such a flood only weakens the rate
 * limit for the addresses it pushes out.
 */
const MAX_TRACKED = 100_000;

interface RateWindow {
  /** Start of the current window (a multiple of WINDOW_MS). */
  start: number;
  /** Connections counted in the current window and in the one before it. */
  current: number;
  previous: number;
}

export class Admission {
  private readonly open = new Map<string, number>();
  private readonly recent = new Map<string, RateWindow>();
  /** The window in which the map was last pruned (pruning is at most once a window). */
  private prunedAt = -1;

  constructor(
    private readonly maxConcurrent: number,
    private readonly perMinute: number,
  ) {}

  /** Null when the address may connect (and counts it); otherwise the reason why not. */
  admit(ip: string, now = Date.now()): string | null {
    const open = this.open.get(ip) ?? 0;
    if (open >= this.maxConcurrent) return `Too many connections from your IP (limit ${this.maxConcurrent})`;
    const start = now - (now % WINDOW_MS);
    let w = this.recent.get(ip);
    if (w === undefined) {
      if (this.recent.size >= 10_000 && this.prunedAt !== start) this.prune(start);
      if (this.recent.size >= MAX_TRACKED) this.forgetOldest();
      w = { start, current: 0, previous: 0 };
      this.recent.set(ip, w);
    } else if (w.start !== start) {
      // One window on: the current count becomes the previous one. Further: both expired.
      w.previous = start - w.start === WINDOW_MS ? w.current : 0;
      w.current = 0;
      w.start = start;
    }
    // Rounded up: a part of a connection still in the last minute counts as one.
    const stillRecent = Math.ceil(w.previous * (1 - (now - start) / WINDOW_MS));
    if (stillRecent + w.current >= this.perMinute) {
      return `Connecting too fast from your IP (limit ${this.perMinute} per minute), try again later`;
    }
    w.current++;
    this.open.set(ip, open + 1);
    return null;
  }

  release(ip: string): void {
    const open = this.open.get(ip) ?? 0;
    if (open <= 1) this.open.delete(ip);
    else this.open.set(ip, open - 1);
  }

  /** Drops the entry created longest ago (a Map iterates in insertion order). */
  private forgetOldest(): void {
    const oldest = this.recent.keys().next();
    if (oldest.done !== true) this.recent.delete(oldest.value);
  }

  /** How many addresses the rate window remembers (bounded by MAX_TRACKED). */
  get tracked(): number {
    return this.recent.size;
  }

  /** Forgets addresses with no connection in the last two windows, so the map stays bounded. */
  private prune(start: number): void {
    this.prunedAt = start;
    for (const [ip, w] of this.recent) {
      if (start - w.start >= 2 * WINDOW_MS) this.recent.delete(ip);
    }
  }
}
