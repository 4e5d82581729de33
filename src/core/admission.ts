/**
 * Per-IP connection limits: concurrent connections and new connections per minute.
 * Counts are kept per address string; the rate window slides by the minute.
 */
export class Admission {
  private readonly open = new Map<string, number>();
  private readonly recent = new Map<string, number[]>();

  constructor(
    private readonly maxConcurrent: number,
    private readonly perMinute: number,
  ) {}

  /** Null when the address may connect (and counts it); otherwise the reason why not. */
  admit(ip: string, now = Date.now()): string | null {
    const open = this.open.get(ip) ?? 0;
    if (open >= this.maxConcurrent) return `Too many connections from your IP (limit ${this.maxConcurrent})`;
    const cutoff = now - 60_000;
    const times = (this.recent.get(ip) ?? []).filter((t) => t > cutoff);
    if (times.length >= this.perMinute) {
      this.recent.set(ip, times);
      return `Connecting too fast from your IP (limit ${this.perMinute} per minute), try again later`;
    }
    times.push(now);
    this.recent.set(ip, times);
    this.open.set(ip, open + 1);
    if (this.recent.size > 10_000) this.prune(cutoff);
    return null;
  }

  release(ip: string): void {
    const open = this.open.get(ip) ?? 0;
    if (open <= 1) this.open.delete(ip);
    else this.open.set(ip, open - 1);
  }

  /** Forgets rate windows that have expired, so the map cannot grow without bound. */
  private prune(cutoff: number): void {
    for (const [ip, times] of this.recent) {
      if (times.every((t) => t <= cutoff)) this.recent.delete(ip);
    }
  }
}
