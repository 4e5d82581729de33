/**
 * The output path of one connection (`SendQueue`) and of the whole server (`OutputScheduler`):
 * what a connection has been sent but not yet handed to its transport, when it is handed
 * over, and the bound past which a client that does not read is cut off.
 *
 * - A queue holds references to the serialized `Buffer`s of `Outgoing` (one per message and
 *   capability variant, shared by every recipient), never copies.
 * - Output is coalesced per event-loop turn: the scheduler flushes every queue with output
 *   once per turn (`setImmediate`), so many messages to one client in one turn cost one
 *   write system call. Past `EARLY_FLUSH_BYTES` in one turn a queue is written at once.
 * - Presence announcements are `lazy`: a queue holding only those is flushed by a timer within
 *   `LAZY_FLUSH_MS`; any other output flushes the whole queue that turn, so order never changes.
 * - Queued plus unwritten bytes above `sendq-bytes` drop the client ("SendQ exceeded").
 *
 * The session (core/session.ts) decides *what* is sent; this module decides *when* the bytes
 * reach the transport.
 */
import type { Transport } from './transport.js';

/** How long presence announcements (joins, quits) may wait to share a socket write. */
export const LAZY_FLUSH_MS = 20;

/** Output gathered in one turn past which it is written at once. */
const EARLY_FLUSH_BYTES = 16 * 1024;

/**
 * When a queue's output goes to its transport: at the end of this event-loop turn, or,
 * when all of it is presence announcements, with the next lazy flush. In a storm of 5,000
 * joins every join is announced to everyone already in the room; flushed turn by turn that
 * is one write system call per member per join (12.5 M writes), lazily it is one per member
 * per LAZY_FLUSH_MS.
 */
enum FlushPlan {
  None,
  Lazy,
  ThisTurn,
}

/** What a queue needs from the connection that owns it. */
export interface SendQueueOwner {
  /** The connection is closed: nothing more is queued or written. */
  readonly closed: boolean;
  /** Queued plus unwritten output went over `limit` bytes: the owner drops the client. */
  sendqExceeded(): void;
}

export class SendQueue {
  /** Output not yet written; null when there is none (most of the time). */
  private out: Buffer[] | null = null;
  private outBytes = 0;
  private plan = FlushPlan.None;

  constructor(
    private readonly scheduler: OutputScheduler,
    private readonly transport: Transport,
    private readonly owner: SendQueueOwner,
  ) {}

  /** Bytes queued here and not yet handed to the transport. */
  get queuedBytes(): number {
    return this.outBytes;
  }

  /** Queues one serialized message (shared, never modified). */
  write(bytes: Buffer, lazy = false): void {
    if (this.owner.closed) return;
    if (lazy) {
      if (this.plan === FlushPlan.None) {
        this.plan = FlushPlan.Lazy;
        this.scheduler.scheduleLazyFlush(this);
      }
    } else if (this.plan !== FlushPlan.ThisTurn) {
      this.plan = FlushPlan.ThisTurn;
      this.scheduler.scheduleFlush(this);
    }
    this.out ??= [];
    this.out.push(bytes);
    this.outBytes += bytes.length;
    // Coalescing is for many small writes; a large batch goes out now, so the SendQ check
    // below measures what the client has not read rather than what this turn produced.
    if (this.outBytes >= EARLY_FLUSH_BYTES) this.flush();
    if (this.outBytes + this.transport.pendingBytes > this.scheduler.sendqBytes) {
      // Drop what is queued: the client is not reading, and we will not buffer more.
      this.clear();
      this.owner.sendqExceeded();
    }
  }

  /** Hands the coalesced output to the transport. */
  flush(): void {
    this.plan = FlushPlan.None;
    const out = this.out;
    if (out === null) return;
    if (this.owner.closed) {
      this.clear();
      return;
    }
    const data = out.length === 1 ? out[0]! : Buffer.concat(out, this.outBytes);
    this.out = null;
    this.outBytes = 0;
    this.transport.write(data);
  }

  /** The last bytes of a closing connection (its ERROR line), written at once. */
  writeFinal(bytes: Buffer): void {
    this.out ??= [];
    this.out.push(bytes);
    this.outBytes += bytes.length;
    this.flush();
  }

  /** Forgets everything queued. */
  clear(): void {
    this.out = null;
    this.outBytes = 0;
  }
}

/** The server-wide half: which queues flush this turn, and the lazy flush timer. */
export class OutputScheduler {
  private dirty: SendQueue[] = [];
  private flushScheduled = false;
  private lazyDirty: SendQueue[] = [];
  private lazyTimer: NodeJS.Timeout | null = null;

  constructor(
    /** Per-connection bound on queued plus unwritten output (`sendq-bytes`). */
    readonly sendqBytes: number,
  ) {}

  scheduleFlush(queue: SendQueue): void {
    this.dirty.push(queue);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushAll);
    }
  }

  /** Output that may wait (presence announcements) goes out at most LAZY_FLUSH_MS later. */
  scheduleLazyFlush(queue: SendQueue): void {
    this.lazyDirty.push(queue);
    if (this.lazyTimer === null) {
      this.lazyTimer = setTimeout(this.flushLazy, LAZY_FLUSH_MS);
      this.lazyTimer.unref();
    }
  }

  private readonly flushLazy = (): void => {
    this.lazyTimer = null;
    const dirty = this.lazyDirty;
    this.lazyDirty = [];
    // A queue flushed meanwhile (it sent or received something urgent) has nothing left.
    for (const queue of dirty) queue.flush();
  };

  /** Writes every queue's coalesced output once per event-loop turn. */
  private readonly flushAll = (): void => {
    this.flushScheduled = false;
    const dirty = this.dirty;
    this.dirty = [];
    for (const queue of dirty) queue.flush();
  };
}
