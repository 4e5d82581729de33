/**
 * Splits a byte stream into IRC lines. CR, LF and CR LF all end a line (the modern client
 * protocol docs ask servers to accept any of them); empty lines are skipped silently.
 * A line longer than `maxBytes` is reported once as overlong and its bytes are discarded up
 * to the next line end, so a client cannot make the server buffer unbounded input.
 *
 * Line ends are found with Buffer#indexOf (memchr in C) rather than a byte loop in JS, and a
 * line that lies wholly inside one chunk is handed out as a view of that chunk, not a copy:
 * this runs for every line every client sends. The view is only valid during the call to
 * the sink; a consumer that keeps the bytes must copy them (the session does when it queues
 * a line).
 */

/**
 * Where the lines go. An object rather than a callback so a gateway can hand over the
 * session itself: no closure per connection (they add up over thousands of idle clients).
 */
export interface LineSink {
  /** One complete line without CR/LF, as a view valid only during this call. */
  receiveLine(bytes: Buffer): void;
  /** A line longer than `maxBytes` was dropped. */
  receiveOverlong(): void;
}

const LF = 10;
const CR = 13;

export class LineSplitter {
  private pending: Buffer | null = null;
  private discarding = false;

  constructor(private readonly maxBytes: number) {}

  /** Feeds a chunk and tells `sink` about each complete line (or overlong one). */
  push(chunk: Buffer, sink: LineSink): void {
    const length = chunk.length;
    let start = 0;
    let cr = chunk.indexOf(CR);
    let lf = chunk.indexOf(LF);
    while (cr >= 0 || lf >= 0) {
      const end = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
      if (end > start || this.pending !== null || this.discarding) {
        this.finishLine(chunk.subarray(start, end), sink);
      }
      start = end + 1;
      if (cr >= 0 && cr < start) cr = start < length ? chunk.indexOf(CR, start) : -1;
      if (lf >= 0 && lf < start) lf = start < length ? chunk.indexOf(LF, start) : -1;
    }
    if (start < length) this.keep(chunk.subarray(start), sink);
  }

  /** Bytes held for an incomplete line (for memory accounting). */
  get bufferedBytes(): number {
    return this.pending?.length ?? 0;
  }

  private finishLine(part: Buffer, sink: LineSink): void {
    if (this.discarding) {
      this.discarding = false;
      this.pending = null;
      return;
    }
    const line = this.pending === null ? part : Buffer.concat([this.pending, part]);
    this.pending = null;
    if (line.length === 0) return;
    if (line.length > this.maxBytes) {
      sink.receiveOverlong();
      return;
    }
    sink.receiveLine(line);
  }

  private keep(part: Buffer, sink: LineSink): void {
    if (this.discarding) return;
    const total = (this.pending?.length ?? 0) + part.length;
    if (total > this.maxBytes) {
      this.pending = null;
      this.discarding = true;
      sink.receiveOverlong();
      return;
    }
    // Copied: the socket's chunk must not stay pinned by a partial line.
    this.pending = this.pending === null ? Buffer.from(part) : Buffer.concat([this.pending, part]);
  }
}
