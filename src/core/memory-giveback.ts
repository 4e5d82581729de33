/**
 * Giving memory back after slow readers are dropped (issue 14). A flood into a room whose
 * members do not read leaves what was queued for them as garbage once they are dropped, and
 * V8 keeps the heap it grew to committed: measured with 1,000 never-readers (`npm run bench
 * -- --scenario slowreaders`), RSS stayed at its peak (+53 MB) for 30 s after the flood while
 * the server went on serving, and one full collection took it below the baseline. V8 runs
 * such a collection by itself only under allocation pressure, which a quiet server never
 * reaches.
 *
 * So once drops for SendQ have stopped for `quietMs`, one full collection runs: a pause of
 * tens of milliseconds, once per wave of drops, and at most once per `minIntervalMs` however
 * often an attacker makes clients stall.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** undefined: not looked up yet; null: not available (then nothing is done). */
let collect: (() => void) | null | undefined;

function fullCollection(): (() => void) | null {
  if (collect === undefined) {
    try {
      // Node offers no call for a full collection without --expose-gc; the flag, set now,
      // exposes `gc` to contexts created after it (the main context is unchanged).
      setFlagsFromString('--expose-gc');
      const gc: unknown = runInNewContext('gc');
      collect = typeof gc === 'function' ? (gc as () => void) : null;
    } catch {
      collect = null;
    }
  }
  return collect;
}

export class MemoryGiveBack {
  private timer: NodeJS.Timeout | null = null;
  private lastRun = Number.NEGATIVE_INFINITY;
  private dropsSinceRun = 0;
  /** Full collections run so far (metrics). */
  runs = 0;

  constructor(
    private readonly onRun: (drops: number, rssBefore: number, rssAfter: number) => void,
    private readonly quietMs = 2_000,
    private readonly minIntervalMs = 30_000,
  ) {}

  /** A client was dropped for SendQ: collect once the drops have stopped. */
  noteDrop(): void {
    this.dropsSinceRun++;
    if (this.timer !== null) {
      this.timer.refresh();
      return;
    }
    this.timer = setTimeout(() => this.run(), this.quietMs);
    this.timer.unref();
  }

  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private run(): void {
    this.timer = null;
    const wait = this.lastRun + this.minIntervalMs - Date.now();
    if (wait > 0) {
      this.timer = setTimeout(() => this.run(), wait);
      this.timer.unref();
      return;
    }
    const gc = fullCollection();
    if (gc === null) return;
    const before = process.memoryUsage.rss();
    gc();
    this.lastRun = Date.now();
    this.runs++;
    const drops = this.dropsSinceRun;
    this.dropsSinceRun = 0;
    this.onRun(drops, before, process.memoryUsage.rss());
  }
}
