/**
 * Failing history writes, logged as a condition rather than once per refused message. When
 * the store cannot write (a full disk, a lost database), every message is refused with
 * `FAIL … MESSAGE_ERROR`, and a busy server refuses thousands a second: one ERROR line each
 * would bury the log (and fill the disk further). So the first failure is logged with its
 * error, a reminder with the count of refused messages at most once a minute while it lasts,
 * and one line, with the count, when a write succeeds again.
 *
 * One per server (`writeFailures(server)`); the message handlers report to it.
 */
import type { Logger } from 'pino';

/** Longest silence while writes keep failing. */
export const REMINDER_MS = 60_000;

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class WriteFailureLog {
  private failing = false;
  private refused = 0;
  private since = 0;
  private lastLine = 0;

  constructor(
    private readonly log: Logger,
    private readonly reminderMs = REMINDER_MS,
  ) {}

  /** A message could not be stored (and was refused). */
  failed(err: unknown, now = Date.now()): void {
    this.refused++;
    if (!this.failing) {
      this.failing = true;
      this.since = now;
      this.lastLine = now;
      this.log.error(
        { event: 'history.write_failing', err: describe(err) },
        `could not store a message (${describe(err)}); messages are refused until storage works again`,
      );
      return;
    }
    if (now - this.lastLine >= this.reminderMs) {
      this.lastLine = now;
      this.log.error(
        { event: 'history.write_failing', refused: this.refused, err: describe(err) },
        `still cannot store messages: ${this.refused} refused in ${Math.round((now - this.since) / 1000)} s (${describe(err)})`,
      );
    }
  }

  /** A write succeeded: if writes were failing, say that they work again, with the count. */
  succeeded(now = Date.now()): void {
    if (!this.failing) return;
    this.log.warn(
      { event: 'history.write_recovered', refused: this.refused },
      `messages are stored again, after ${this.refused} refused in ${Math.round((now - this.since) / 1000)} s`,
    );
    this.failing = false;
    this.refused = 0;
  }
}

const logs = new WeakMap<object, WriteFailureLog>();

/** The server's write-failure log (created on first use). */
export function writeFailures(server: { readonly log: Logger }): WriteFailureLog {
  let w = logs.get(server);
  if (w === undefined) {
    w = new WriteFailureLog(server.log);
    logs.set(server, w);
  }
  return w;
}
