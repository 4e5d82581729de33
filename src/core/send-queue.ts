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
 * - A transport that can say when it is backed up (`Transport.writeMany` returns false: the
 *   TCP and TLS gateways, once the socket holds a high-water mark the kernel has not taken)
 *   is *stalled*: nothing more is handed to it until it drains, so what a slow reader has
 *   not read stays here as references to the shared message buffers (a message's bytes are
 *   held once however many queues wait on them), not as a copy per connection inside the
 *   socket.
 * - The whole server's stalled output has a budget (`sendq-total-bytes`, each queue counted
 *   in full, so it bounds memory even when nothing is shared). Past it the largest stalled
 *   queues (the slowest readers) are dropped first, "SendQ exceeded (server output budget)",
 *   until the total is back under three quarters of the budget.
 *
 * - Order (docs/ARCHITECTURE.md "Order of deliveries"): every connection receives its
 *   deliveries in the order the server accepted the commands that caused them, even when
 *   some wait on the disk. A message waiting to be durable holds a server-wide *gate*
 *   (`OutputScheduler.openGate`), opened when the message is accepted; gates are released
 *   in the order they were opened, each running its deliveries (`settle`). Output written
 *   to any connection while gates are open waits, in that connection's queue, for the
 *   newest of them; what a gate delivers when it is released goes in front of everything
 *   that waits for it. A command whose own reply comes later (a history read) reserves its
 *   place in its connection's output (`reserve`, `fill`, `release`) in the same way.
 *
 * The session (core/session.ts) decides *what* is sent; this module decides *when* the bytes
 * reach the transport.
 */
import type { Transport } from './transport.js';

/** How long presence announcements (joins, quits) may wait to share a socket write. */
export const LAZY_FLUSH_MS = 20;

/**
 * Output gathered in one turn past which it is written at once. Large enough that a flooded
 * room costs few write system calls per member (a loopback write costs about the same at 4
 * and at 64 KiB: 1,000 members that never read cost 2.6 s of CPU at 16 KiB per write and
 * 0.8 s at 64 KiB before the kernel's buffers are full), small against `sendq-bytes`.
 */
const EARLY_FLUSH_BYTES = 64 * 1024;

/** Largest batch handed to a transport as one joined buffer (see `OutputScheduler.joined`). */
const MAX_JOINED_BYTES = 2 * EARLY_FLUSH_BYTES;

/** How long a closing connection waits for replies still to come before it closes anyway. */
const FINAL_WAIT_MS = 10_000;

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

/** A connection's reserved place for a reply that comes later (`SendQueue.reserve`). */
export class Slot {
  /** The reply, written into the slot later (`SendQueue.fill`). */
  readonly own: Buffer[] = [];
  done = false;
}

/** Output that must wait: for gates up to `needGate`, and for its slot's reply if it has one. */
interface Segment {
  needGate: number;
  slot: Slot | null;
  chunks: Buffer[];
}

/** A message accepted but not yet durable: output accepted after it waits for it. */
export class Gate {
  done = false;
  run: (() => void) | null = null;
  /** Queues holding output that waits for this gate. */
  readonly queues: SendQueue[] = [];
  constructor(readonly n: number) {}
}

/** What a queue needs from the connection that owns it. */
export interface SendQueueOwner {
  /** The connection is closed: nothing more is queued or written. */
  readonly closed: boolean;
  /** The client reads too slowly (its own bound or the server's budget): the owner drops it. */
  sendqExceeded(reason: string): void;
}

/** Why a client is dropped when its own queue is over `sendq-bytes`. */
export const SENDQ_EXCEEDED = 'SendQ exceeded';
/** Why a client is dropped when the server's stalled output is over `sendq-total-bytes`. */
export const SENDQ_BUDGET_EXCEEDED = 'SendQ exceeded (server output budget)';

export class SendQueue {
  /** Output ready to be written; null when there is none (most of the time). */
  private out: Buffer[] | null = null;
  /** Bytes queued here in all: ready and waiting. */
  private outBytes = 0;
  /** Of those, the bytes in `out`. */
  private readyBytes = 0;
  /** Output that waits (for gates or slots), in order; null when nothing waits. */
  private held: Segment[] | null = null;
  /** The slot being filled (during `fill`), or null. */
  private into: Slot | null = null;
  /** Closing: the ERROR line and the close wait until nothing waits any more. */
  private final: { bytes: Buffer; then: () => void } | null = null;
  private plan = FlushPlan.None;
  /** The transport is backed up: output stays here until it drains (see above). */
  private stalled = false;
  /**
   * Dropped for SendQ: nothing more is queued or handed over but the closing ERROR line.
   * (The close comes a microtask later; until then every other client dropped in the same
   * burst would send it its QUIT, straight into a socket that is backed up.)
   */
  private dropped = false;

  constructor(
    private readonly scheduler: OutputScheduler,
    private readonly transport: Transport,
    private readonly owner: SendQueueOwner,
  ) {}

  /** Bytes queued here and not yet handed to the transport. */
  get queuedBytes(): number {
    return this.outBytes;
  }

  /** Whether a slot is being filled (its owner may write even while closing). */
  get filling(): boolean {
    return this.into !== null;
  }

  /** Queues one serialized message (shared, never modified). */
  write(bytes: Buffer, lazy = false): void {
    if (this.dropped) return;
    if (this.into !== null) {
      this.into.own.push(bytes);
      this.outBytes += bytes.length;
      return;
    }
    if (this.owner.closed) return;
    const scheduler = this.scheduler;
    const held = this.held;
    if (scheduler.releasing !== 0) {
      // A gate's own deliveries: in front of everything that waits for it or a later gate.
      if (held !== null) {
        const g = scheduler.releasing;
        let i = 0;
        while (i < held.length && held[i]!.needGate < g) i++;
        if (i > 0) {
          held[i - 1]!.chunks.push(bytes);
          this.outBytes += bytes.length;
          this.checkSendq();
          return;
        }
      }
    } else {
      const need = scheduler.newestGate;
      if (held !== null || need > scheduler.released) {
        const last = held === null ? undefined : held[held.length - 1];
        if (last !== undefined && last.needGate >= need) last.chunks.push(bytes);
        else this.hold({ needGate: need, slot: null, chunks: [bytes] });
        this.outBytes += bytes.length;
        this.checkSendq();
        return;
      }
    }
    if (lazy) {
      if (this.plan === FlushPlan.None) {
        this.plan = FlushPlan.Lazy;
        scheduler.scheduleLazyFlush(this);
      }
    } else if (this.plan !== FlushPlan.ThisTurn) {
      this.plan = FlushPlan.ThisTurn;
      scheduler.scheduleFlush(this);
    }
    this.ready(bytes);
    if (!this.stalled && this.readyBytes >= EARLY_FLUSH_BYTES) {
      // Coalescing is for many small writes; a large batch goes out now, so the SendQ check
      // below measures what the client has not read rather than what this turn produced.
      this.flush();
    }
    this.checkSendq();
  }

  private ready(bytes: Buffer): void {
    this.out ??= [];
    this.out.push(bytes);
    this.outBytes += bytes.length;
    this.readyBytes += bytes.length;
    if (this.stalled) this.scheduler.addStalled(bytes.length);
  }

  /** Waiting output becomes ready (it is already counted in `outBytes`). */
  private readyAgain(chunks: Buffer[]): boolean {
    for (const bytes of chunks) {
      this.outBytes -= bytes.length;
      this.ready(bytes);
    }
    return chunks.length > 0;
  }

  private hold(segment: Segment): void {
    this.held ??= [];
    this.held.push(segment);
    this.scheduler.waitFor(segment.needGate, this);
  }

  private checkSendq(): void {
    if (this.outBytes + this.transport.pendingBytes > this.scheduler.sendqBytes) {
      // Drop what is queued: the client is not reading, and we will not buffer more.
      this.clear();
      this.dropped = true;
      this.owner.sendqExceeded(SENDQ_EXCEEDED);
    }
  }

  /** Reserves the place of a reply that comes later (see the module comment). */
  reserve(): Slot {
    const slot = new Slot();
    this.hold({ needGate: this.scheduler.newestGate, slot, chunks: [] });
    return slot;
  }

  /** Runs `fn`; everything it writes to this queue goes into `slot`. */
  fill(slot: Slot, fn: () => void): void {
    const saved = this.into;
    this.into = slot;
    try {
      fn();
    } finally {
      this.into = saved;
    }
  }

  /** The slot's reply is complete: it goes out, and what waited only for it. */
  release(slot: Slot): void {
    slot.done = true;
    this.promote();
  }

  /** Moves what no longer waits (its gates released, its slot filled) to the ready output. */
  promote(): void {
    const held = this.held;
    if (held === null) return;
    const released = this.scheduler.released;
    let moved = false;
    while (held.length > 0) {
      const head = held[0]!;
      if (head.needGate > released || (head.slot !== null && !head.slot.done)) break;
      held.shift();
      if (head.slot !== null) moved = this.readyAgain(head.slot.own) || moved;
      moved = this.readyAgain(head.chunks) || moved;
    }
    if (held.length > 0) return;
    this.held = null;
    if (this.final !== null) {
      const { bytes, then } = this.final;
      this.final = null;
      this.writeFinal(bytes);
      then();
      return;
    }
    if (moved && this.plan !== FlushPlan.ThisTurn) {
      this.plan = FlushPlan.ThisTurn;
      this.scheduler.scheduleFlush(this);
    }
  }

  /**
   * Closes the connection's output: the ERROR line, then `then` (the transport's end). A
   * reply still to come (an echo waiting for its message to be durable) goes out first, so
   * what others were shown is acknowledged to its sender; bounded by `FINAL_WAIT_MS`.
   */
  finish(bytes: Buffer, then: () => void): void {
    if (this.held === null) {
      this.writeFinal(bytes);
      then();
      return;
    }
    this.final = { bytes, then };
    setTimeout(() => {
      if (this.final === null) return;
      this.final = null;
      this.held = null;
      this.writeFinal(bytes);
      then();
    }, FINAL_WAIT_MS).unref();
  }

  /** What the client has not read: queued here plus held by the transport. */
  get unreadBytes(): number {
    return this.outBytes + this.transport.pendingBytes;
  }

  /** Hands the coalesced output to the transport. */
  flush(): void {
    this.plan = FlushPlan.None;
    const out = this.out;
    if (out === null) return;
    if (this.owner.closed) {
      if (this.final === null) this.clear();
      return;
    }
    if (this.stalled) return; // drained() flushes
    this.handOver(out);
  }

  private handOver(out: Buffer[]): void {
    const bytes = this.readyBytes;
    this.out = null;
    this.outBytes -= bytes;
    this.readyBytes = 0;
    const transport = this.transport;
    // A batch small enough to join is joined once for every queue handing over the same
    // messages (the members of a busy room, one after another): one copy, shared, instead
    // of one per recipient. A larger one (a backlog after a drain) goes as references.
    const joinable = out.length > 1 && bytes <= MAX_JOINED_BYTES;
    if (transport.writeMany === undefined) {
      transport.write(out.length === 1 ? out[0]! : this.scheduler.joined(out, bytes));
    } else if (!transport.writeMany(joinable ? [this.scheduler.joined(out, bytes)] : out, bytes)) {
      this.stalled = true;
      this.scheduler.stall(this);
    }
  }

  /** The transport took everything it held: hand it what waited here. */
  drained(): void {
    if (!this.stalled) return;
    this.stalled = false;
    this.scheduler.unstall(this, this.readyBytes);
    if (this.plan !== FlushPlan.Lazy) this.flush();
  }

  /**
   * The last bytes of a closing connection (its ERROR line), handed to the transport at once
   * with whatever is ready, stalled or not: the transport's `end` writes them if the client
   * reads again.
   */
  writeFinal(bytes: Buffer): void {
    const out = this.out ?? [];
    out.push(bytes);
    const total = this.readyBytes + bytes.length;
    this.clear();
    this.plan = FlushPlan.None;
    const transport = this.transport;
    if (transport.writeMany === undefined) {
      transport.write(out.length === 1 ? out[0]! : Buffer.concat(out, total));
    } else {
      transport.writeMany(out, total); // backed up or not: nothing follows
    }
  }

  /** The server's output budget chose this queue: the client is dropped. */
  dropForBudget(): void {
    this.clear();
    this.dropped = true;
    this.owner.sendqExceeded(SENDQ_BUDGET_EXCEEDED);
  }

  /** Forgets everything queued. */
  clear(): void {
    if (this.stalled) {
      this.stalled = false;
      this.scheduler.unstall(this, this.readyBytes);
    }
    this.out = null;
    this.outBytes = 0;
    this.readyBytes = 0;
    this.held = null;
  }
}

/**
 * The server-wide half: which queues flush this turn, the lazy flush timer, the gates of
 * messages not yet durable, and the budget of stalled output.
 */
export class OutputScheduler {
  private dirty: SendQueue[] = [];
  private flushScheduled = false;
  private lazyDirty: SendQueue[] = [];
  private lazyTimer: NodeJS.Timeout | null = null;
  /** Queues whose transport is backed up. */
  private readonly stalledQueues = new Set<SendQueue>();
  /** Bytes waiting in those queues (each queue counted in full). */
  private stalledTotal = 0;
  private enforcing = false;
  /** The last batch `joined` and its result (forgotten after each flush). */
  private lastChunks: readonly Buffer[] | null = null;
  private lastJoined: Buffer | null = null;
  /** Gates opened and not yet released, oldest first (their numbers are consecutive). */
  private readonly gates: Gate[] = [];
  private opened = 0;
  /** Every gate numbered up to this one has been released. */
  released = 0;
  /** The gate whose deliveries are running now, or 0. */
  releasing = 0;

  constructor(
    /** Per-connection bound on queued plus unwritten output (`sendq-bytes`). */
    readonly sendqBytes: number,
    /** Server-wide bound on stalled output (`sendq-total-bytes`). */
    readonly budgetBytes: number,
    /** Counts a client dropped by the budget (metrics). */
    private readonly onBudgetDrop: () => void = () => {},
  ) {}

  /** The newest gate not yet released, or `released` when none is open. */
  get newestGate(): number {
    return this.gates.length === 0 ? this.released : this.opened;
  }

  /** Opens a gate for a message accepted now; `settle` releases it. */
  openGate(): Gate {
    const gate = new Gate(++this.opened);
    this.gates.push(gate);
    return gate;
  }

  /** The gate's message is settled (durable or failed): `run` delivers it, in gate order. */
  settle(gate: Gate, run: () => void): void {
    gate.run = run;
    gate.done = true;
    if (this.releasing !== 0) return; // the loop below, further up the stack, takes it
    const gates = this.gates;
    while (gates.length > 0 && gates[0]!.done) {
      const head = gates.shift()!;
      this.releasing = head.n;
      try {
        head.run!();
      } finally {
        this.releasing = 0;
        this.released = head.n;
      }
      for (const queue of head.queues) queue.promote();
    }
  }

  /** A queue holds output waiting for gate `n`. */
  waitFor(n: number, queue: SendQueue): void {
    if (n <= this.released) return;
    const gate = this.gates[n - this.released - 1];
    if (gate !== undefined) gate.queues.push(queue);
  }

  /**
   * The buffers joined into one. The members of a room hand over the same messages in the
   * same order, one queue after another, so the last join is kept and given again to the
   * next queue whose batch is the same buffers: a message's bytes are copied once per batch,
   * not once per recipient (which was 660 MB/s of short-lived copies with 1,000 members in a
   * flooded room, memory the allocator then never gave back).
   */
  joined(chunks: readonly Buffer[], bytes: number): Buffer {
    const last = this.lastChunks;
    if (last !== null && last.length === chunks.length && this.lastJoined!.length === bytes) {
      let same = true;
      for (let i = 0; i < chunks.length; i++) {
        if (last[i] !== chunks[i]) {
          same = false;
          break;
        }
      }
      if (same) return this.lastJoined!;
    }
    const joined = Buffer.concat(chunks as Buffer[], bytes);
    this.lastChunks = chunks;
    this.lastJoined = joined;
    return joined;
  }

  /** Bytes queued for connections whose transport is backed up. */
  get stalledBytes(): number {
    return this.stalledTotal;
  }

  /** Connections whose transport is backed up. */
  get stalledCount(): number {
    return this.stalledQueues.size;
  }

  stall(queue: SendQueue): void {
    this.stalledQueues.add(queue);
  }

  unstall(queue: SendQueue, queuedBytes: number): void {
    if (this.stalledQueues.delete(queue)) this.stalledTotal -= queuedBytes;
  }

  addStalled(bytes: number): void {
    this.stalledTotal += bytes;
    if (this.stalledTotal > this.budgetBytes && !this.enforcing) {
      // Once per burst, after the fan-out loop that went over: no member list changes under it.
      this.enforcing = true;
      queueMicrotask(this.enforceBudget);
    }
  }

  /** Drops the slowest readers (largest unread output) until the total is under 3/4 of the budget. */
  private readonly enforceBudget = (): void => {
    this.enforcing = false;
    if (this.stalledTotal <= this.budgetBytes) return;
    const target = (this.budgetBytes * 3) / 4;
    const byUnread = [...this.stalledQueues].map((q) => ({ q, unread: q.unreadBytes }));
    byUnread.sort((a, b) => b.unread - a.unread);
    for (const { q } of byUnread) {
      if (this.stalledTotal <= target) break;
      this.onBudgetDrop();
      q.dropForBudget();
    }
  };

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
    this.forgetJoined();
  };

  private forgetJoined(): void {
    this.lastChunks = null;
    this.lastJoined = null;
  }

  /** Writes every queue's coalesced output once per event-loop turn. */
  private readonly flushAll = (): void => {
    this.flushScheduled = false;
    const dirty = this.dirty;
    this.dirty = [];
    for (const queue of dirty) queue.flush();
    this.forgetJoined();
  };
}
