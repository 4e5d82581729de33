/**
 * A growing delay after failed logins, per key, in a table of bounded size. The login guard
 * (login-guard.ts) keeps two of them: one keyed by (account, source network) and one by
 * source network alone; never one keyed by the account alone, since whatever an attacker
 * does to such a key happens to the account's owner too.
 *
 * After n failures a key's next attempt may start base·2^(n-1) ms after the previous one,
 * up to a maximum. An attempt that comes early waits its turn and reserves the slot after
 * it, so parallel attempts are spaced out too; how many may wait at once is the guard's
 * business (`pending`), which is what keeps the reservations from running away.
 *
 * The table is an LRU: every use moves a key to the newest end, and past `maxEntries` the
 * least recently used key without a pending attempt is forgotten. Keys idle for `forgetMs`
 * are forgotten as well. So memory is bounded whatever the traffic; a flood of distinct keys
 * only makes the table forget the oldest penalties.
 */
export interface BackoffEntry {
  failures: number;
  /** When this key's next attempt may start (ms since the epoch). */
  next: number;
  /** Attempts of this key waiting for their turn or being checked. */
  pending: number;
  touched: number;
}

export class BackoffTable {
  private readonly entries = new Map<string, BackoffEntry>();

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

  get size(): number {
    return this.entries.size;
  }

  delayAfter(failures: number): number {
    if (failures <= 0) return 0;
    return Math.min(this.maxMs, this.baseMs * 2 ** Math.min(failures - 1, 30));
  }

  /** Failures currently counted for a key (for tests and diagnostics). */
  failures(key: string, now = Date.now()): number {
    const e = this.entries.get(key);
    return e === undefined || this.expired(e, now) ? 0 : e.failures;
  }

  /** The key's entry, created when missing, and moved to the newest end of the LRU. */
  entry(key: string, now = Date.now()): BackoffEntry {
    let e = this.entries.get(key);
    if (e !== undefined) {
      this.entries.delete(key);
      if (this.expired(e, now)) e = undefined;
    }
    if (e === undefined) {
      e = { failures: 0, next: now, pending: 0, touched: now };
      if (this.entries.size >= this.maxEntries) this.evictOne();
    }
    e.touched = now;
    this.entries.set(key, e);
    return e;
  }

  /**
   * The earliest start for an attempt under all `entries`, reserving the slot after it: a
   * key with failures moves its `next` one delay past that start.
   */
  reserve(entries: readonly BackoffEntry[], now = Date.now()): number {
    let start = now;
    for (const e of entries) if (e.next > start) start = e.next;
    for (const e of entries) if (e.failures > 0) e.next = start + this.delayAfter(e.failures);
    return start;
  }

  fail(e: BackoffEntry, now = Date.now()): void {
    e.failures++;
    e.touched = now;
    e.next = Math.max(e.next, now + this.delayAfter(e.failures));
  }

  /** Takes `count` failures off a key (they turned out to be its owner's typos). */
  forgive(e: BackoffEntry, count: number, now = Date.now()): void {
    e.failures = Math.max(0, e.failures - count);
    if (e.failures === 0) e.next = Math.min(e.next, now);
  }

  /** Forgets a key (a successful login from it). */
  delete(key: string, now = Date.now()): void {
    const e = this.entries.get(key);
    if (e === undefined) return;
    // An entry another attempt still counts on stays, cleared, so its `pending` stays true.
    if (e.pending === 0) this.entries.delete(key);
    else {
      e.failures = 0;
      e.next = Math.min(e.next, now);
    }
  }

  private expired(e: BackoffEntry, now: number): boolean {
    return e.pending === 0 && now - e.touched > this.forgetMs && now >= e.next;
  }

  /** Drops the least recently used entry that has no attempt pending. */
  private evictOne(): void {
    for (const [key, e] of this.entries) {
      if (e.pending === 0) {
        this.entries.delete(key);
        return;
      }
    }
  }
}
