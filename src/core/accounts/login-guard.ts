/**
 * The login guard: who gets a password checked, and when. Every password check goes
 * through it (SASL PLAIN and SCRAM-SHA-256, NickServ IDENTIFY, HTTP Basic for uploads and
 * search), keyed by the account name as typed (folded) and the source network: an IPv4
 * address, or the /64 of an IPv6 one (one machine usually holds a whole /64).
 *
 * What it promises (docs/SECURITY.md has the figures):
 *  - Nothing an attacker does delays the account's owner, from an address of their own:
 *    penalties are kept per (account, network) and per network, never per account alone,
 *    and checks run in two lanes per account: pairs with no failures on record (the owner,
 *    or an address's very first guess) in one, pairs with failures in the other, so the
 *    owner never waits behind a guesser's checks.
 *  - A guesser is bounded: each (account, network) has at most PAIR_PENDING attempts in
 *    hand at once and each network ADDRESS_PENDING; more are refused at once, unchecked.
 *    The ones it may have are spaced by the doubling delay of both tables (throttle.ts).
 *  - Each account has at most CLEAN_CHECKS + ACCOUNT_CHECKS checks running at once; others
 *    wait in a queue of ACCOUNT_QUEUE per lane (fewest failures first), so a crowd of
 *    guesses from many networks costs bounded CPU.
 *  - State is bounded: both tables are LRUs, and at most MAX_PENDING attempts are held.
 *
 * A refused attempt is answered like a failed one, with a reason ("too many attempts"):
 * refusals depend only on the keys, which are the same whether or not the account exists.
 */
import { isIPv6 } from 'node:net';
import { BackoffTable } from './throttle.js';

/** Attempts one (account, network) may have waiting or being checked at once. */
export const PAIR_PENDING = 2;
/** Attempts one network may have waiting or being checked at once, over all accounts. */
export const ADDRESS_PENDING = 8;
/** Checks running at once for one account from pairs with failures on record. */
export const ACCOUNT_CHECKS = 1;
/** Checks running at once for one account from pairs with no failures (the owner's lane). */
export const CLEAN_CHECKS = 2;
/** Attempts waiting for one account's checks; past it the one with most failures is refused. */
export const ACCOUNT_QUEUE = 16;
/** Attempts held by the whole server (waiting or being checked). */
export const MAX_PENDING = 4096;

/** An admitted attempt: check the password, then say how it went (null: no answer, e.g. the store failed). */
export interface Pass {
  ok: true;
  done(success: boolean | null): void;
}

/** A refused attempt: not checked; may try again after `retryAfterMs`. */
export interface Refusal {
  ok: false;
  retryAfterMs: number;
}

interface Waiter {
  priority: number;
  seq: number;
  resolve(admitted: boolean): void;
}

/** One lane of an account's checks: at most `limit` at once, the rest queued by priority. */
class AccountGate {
  running = 0;
  readonly waiting: Waiter[] = [];
  private seq = 0;

  constructor(private readonly limit: number) {}

  /** True when the attempt may run its check; false when it was pushed out of the queue. */
  enter(priority: number): Promise<boolean> {
    if (this.running < this.limit) {
      this.running++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const w: Waiter = { priority, seq: this.seq++, resolve };
      if (this.waiting.length >= ACCOUNT_QUEUE) {
        const worst = this.waiting.at(-1)!;
        if (worst.priority <= priority) {
          resolve(false);
          return;
        }
        this.waiting.pop();
        worst.resolve(false);
      }
      // Sorted by (priority, arrival); the queue is short, so a linear insert is fine.
      let i = this.waiting.length;
      while (i > 0 && this.waiting[i - 1]!.priority > priority) i--;
      this.waiting.splice(i, 0, w);
    });
  }

  /** One check finished. */
  leave(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next.resolve(true);
    else this.running--;
  }

  get idle(): boolean {
    return this.running === 0 && this.waiting.length === 0;
  }
}

/** Both lanes of one account. */
interface AccountLanes {
  clean: AccountGate;
  dirty: AccountGate;
}

/** The network a source address stands for: IPv4 as is, IPv6 by its /64. */
export function sourceNetwork(ip: string): string {
  if (ip.startsWith('::ffff:') && ip.includes('.')) return ip.slice(7);
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class LoginGuard {
  /** Failures per (account, network). */
  readonly pairs = new BackoffTable();
  /** Failures per network, over all accounts. */
  readonly networks = new BackoffTable();
  /** Attempts admitted (checked) and refused unchecked, since start. */
  readonly counts = { checked: 0, refused: 0 };
  private readonly lanes = new Map<string, AccountLanes>();
  private pending = 0;

  /** Tunes both tables' delays (tests). */
  setDelays(baseMs: number, maxMs = this.pairs.maxMs): void {
    for (const t of [this.pairs, this.networks]) {
      t.baseMs = baseMs;
      t.maxMs = maxMs;
    }
  }

  /** The pair key of an attempt (for tests and diagnostics). */
  static pairKey(folded: string, ip: string): string {
    return `${folded} ${sourceNetwork(ip)}`;
  }

  /**
   * Waits for the attempt's turn and a check slot of the account. `folded` is the account
   * name as the client gave it, case-folded (it need not exist).
   */
  async admit(folded: string, ip: string): Promise<Pass | Refusal> {
    const now = Date.now();
    const network = sourceNetwork(ip);
    const pairKey = `${folded} ${network}`;
    const pair = this.pairs.entry(pairKey, now);
    const net = this.networks.entry(network, now);
    if (this.pending >= MAX_PENDING || pair.pending >= PAIR_PENDING || net.pending >= ADDRESS_PENDING) {
      return this.refuse(Math.max(pair.next, net.next, now + this.pairs.baseMs) - now);
    }
    pair.pending++;
    net.pending++;
    this.pending++;
    const release = (): void => {
      pair.pending--;
      net.pending--;
      this.pending--;
    };
    const start = this.pairs.reserve([pair], now);
    const turn = Math.max(start, this.networks.reserve([net], start));
    if (turn > now) await sleep(turn - now);

    let lanes = this.lanes.get(folded);
    if (lanes === undefined) {
      lanes = { clean: new AccountGate(CLEAN_CHECKS), dirty: new AccountGate(ACCOUNT_CHECKS) };
      this.lanes.set(folded, lanes);
    }
    // The owner's own pair has no failures (unless they mistyped): the clean lane.
    const gate = pair.failures === 0 ? lanes.clean : lanes.dirty;
    const admitted = await gate.enter(pair.failures);
    if (!admitted) {
      release();
      return this.refuse(this.pairs.delayAfter(pair.failures + 1));
    }
    this.counts.checked++;
    let finished = false;
    return {
      ok: true,
      done: (success) => {
        if (finished) return;
        finished = true;
        gate.leave();
        if (lanes.clean.idle && lanes.dirty.idle) this.lanes.delete(folded);
        release();
        const t = Date.now();
        if (success === null) return; // not the guesser's fault: no penalty, no reset
        if (success) {
          // The failures of this pair were the owner's own typos: forgive them on the
          // network too, but nothing else the network did.
          this.networks.forgive(net, pair.failures, t);
          this.pairs.delete(pairKey, t);
        } else {
          this.pairs.fail(pair, t);
          this.networks.fail(net, t);
        }
      },
    };
  }

  private refuse(retryAfterMs: number): Refusal {
    this.counts.refused++;
    return { ok: false, retryAfterMs: Math.max(1000, retryAfterMs) };
  }
}
