/**
 * Group commit for history writes.
 *
 * Every message a client sees acknowledged must be durable, and a durable commit costs an
 * fsync (SQLite) or a WAL flush (PostgreSQL). Committing each message alone would cap
 * throughput at one message per flush, so the writer gathers them:
 *
 * - A message written while nothing is in flight is committed at once (on the next
 *   setImmediate, which also gathers everything written in the same turn of the event loop).
 *   No timer ever holds a lone message back.
 * - Messages written while a commit is in flight wait for it and then go together, as the
 *   next batch, in one transaction (at most `maxBatch` per transaction).
 * - Batches run one after another, so order is kept across batches.
 * - A write's promise resolves once its batch has committed, and rejects with the batch's
 *   error if the batch failed (then none of the batch was stored); later batches still run.
 * - The queue is bounded (`maxQueue`): past it a write is rejected at once instead of
 *   letting memory grow while the database is stuck.
 */
import type { HistoryStore, StoredMessage } from './store.js';

export interface HistoryWriterOptions {
  /** Most messages in one transaction (default 500). */
  maxBatch?: number;
  /** Most messages waiting for a commit before new writes are refused (default 100000). */
  maxQueue?: number;
}

interface Pending {
  message: StoredMessage;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Thrown (as a rejection) by write() when the queue is full or the writer is closed. */
export class HistoryWriteRefused extends Error {
  override name = 'HistoryWriteRefused';
}

export class HistoryWriter {
  private readonly store: Pick<HistoryStore, 'append'>;
  private readonly maxBatch: number;
  private readonly maxQueue: number;
  private queue: Pending[] = [];
  private running = false;
  private scheduled = false;
  private closed = false;
  /** Writes accepted so far, and how many of them have settled (committed or failed). */
  private written = 0;
  private settled = 0;
  /** flush() callers, each waiting for `settled` to reach its `written` at call time. */
  private flushWaiters: Array<{ upTo: number; resolve: () => void }> = [];

  /** Transactions committed or failed so far (for metrics and tests). */
  batches = 0;

  constructor(store: Pick<HistoryStore, 'append'>, opts: HistoryWriterOptions = {}) {
    this.store = store;
    this.maxBatch = Math.max(1, Math.floor(opts.maxBatch ?? 500));
    this.maxQueue = Math.max(1, Math.floor(opts.maxQueue ?? 100_000));
  }

  /** Messages waiting for their commit (queued or in the batch in flight). */
  get pending(): number {
    return this.queue.length;
  }

  /** Stores one message; resolves once it is durable. */
  write(message: StoredMessage): Promise<void> {
    if (this.closed) return Promise.reject(new HistoryWriteRefused('history writer is closed'));
    if (this.queue.length >= this.maxQueue) {
      return Promise.reject(
        new HistoryWriteRefused(`history write queue is full (${this.maxQueue} messages)`),
      );
    }
    // One promise per write and nothing more: this runs for every message sent.
    const done = new Promise<void>((resolve, reject) => {
      this.queue.push({ message, resolve, reject });
    });
    this.written++;
    this.schedule();
    return done;
  }

  /** Resolves once every message written before the call has been committed or has failed. */
  flush(): Promise<void> {
    if (this.settled === this.written) return Promise.resolve();
    const upTo = this.written;
    return new Promise((resolve) => this.flushWaiters.push({ upTo, resolve }));
  }

  /** Refuses new writes and waits for the queued ones. Does not close the store. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private schedule(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.slice(0, this.maxBatch);
        let failure: { err: unknown } | null = null;
        try {
          await this.store.append(batch.map((p) => p.message));
        } catch (err) {
          failure = { err };
        }
        this.batches += 1;
        // Only now leave the queue, so `pending` counts the batch in flight too.
        this.queue.splice(0, batch.length);
        for (const p of batch) {
          if (failure === null) p.resolve();
          else p.reject(failure.err);
        }
        this.settled += batch.length;
        while (this.flushWaiters.length > 0 && this.flushWaiters[0]!.upTo <= this.settled) {
          this.flushWaiters.shift()!.resolve();
        }
      }
    } finally {
      this.running = false;
    }
  }
}
