/**
 * A growing delay after failed logins, kept per key (an account name, a source address).
 * After n failures a key's next attempt waits base·2^(n-1), up to a maximum; a success
 * resets it. An attempt that comes early is not rejected: it waits its turn, and it
 * reserves the slot after it, so parallel attempts are spaced out too.
 *
 * Keys are the same whether or not the account exists, so the delay says nothing about it.
 */
export class LoginThrottle {
  private readonly entries = new Map<string, { failures: number; next: number; touched: number }>();

  constructor(
    /** Delay after the first failure (ms). */
    public baseMs = 1000,
    /** Longest delay (ms). */
    public maxMs = 30_000,
    /** Failures older than this are forgotten (ms). */
    public forgetMs = 15 * 60_000,
    /** Bound on remembered keys. */
    public maxEntries = 100_000,
  ) {}

  delayAfter(failures: number): number {
    if (failures <= 0) return 0;
    return Math.min(this.maxMs, this.baseMs * 2 ** Math.min(failures - 1, 30));
  }

  /** Failures currently counted for a key (for tests and diagnostics). */
  failures(key: string, now = Date.now()): number {
    const e = this.live(key, now);
    return e?.failures ?? 0;
  }

  /** How long this attempt must wait (ms) before it is checked; reserves its turn. */
  reserve(keys: readonly string[], now = Date.now()): number {
    let start = now;
    for (const key of keys) {
      const e = this.live(key, now);
      if (e !== undefined && e.next > start) start = e.next;
    }
    for (const key of keys) {
      const e = this.live(key, now);
      if (e !== undefined && e.failures > 0) {
        e.next = start + this.delayAfter(e.failures);
        e.touched = now;
      }
    }
    return start - now;
  }

  fail(keys: readonly string[], now = Date.now()): void {
    for (const key of keys) {
      let e = this.live(key, now);
      if (e === undefined) {
        if (this.entries.size >= this.maxEntries) this.prune(now);
        e = { failures: 0, next: now, touched: now };
        this.entries.set(key, e);
      }
      e.failures++;
      e.touched = now;
      e.next = Math.max(e.next, now + this.delayAfter(e.failures));
    }
  }

  succeed(keys: readonly string[]): void {
    for (const key of keys) this.entries.delete(key);
  }

  private live(key: string, now: number): { failures: number; next: number; touched: number } | undefined {
    const e = this.entries.get(key);
    if (e !== undefined && now - e.touched > this.forgetMs && now >= e.next) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  private prune(now: number): void {
    for (const [key, e] of this.entries) {
      if (now - e.touched > this.forgetMs && now >= e.next) this.entries.delete(key);
    }
    // Still full (an attack from everywhere): forget the oldest half rather than grow.
    if (this.entries.size >= this.maxEntries) {
      let drop = Math.floor(this.entries.size / 2);
      for (const key of this.entries.keys()) {
        if (drop-- <= 0) break;
        this.entries.delete(key);
      }
    }
  }
}
