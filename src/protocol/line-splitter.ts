/**
 * Splits a byte stream into IRC lines. CR, LF and CR LF all end a line (the modern client
 * protocol docs ask servers to accept any of them); empty lines are skipped silently.
 * A line longer than `maxBytes` is reported once as overlong and its bytes are discarded up
 * to the next line end, so a client cannot make the server buffer unbounded input.
 */
export type SplitEvent = { kind: 'line'; bytes: Buffer } | { kind: 'overlong' };

export class LineSplitter {
  private pending: Buffer | null = null;
  private discarding = false;

  constructor(private readonly maxBytes: number) {}

  /** Feeds a chunk and calls `emit` for each complete line (or overlong report). */
  push(chunk: Buffer, emit: (event: SplitEvent) => void): void {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b !== 10 && b !== 13) continue;
      this.finishLine(chunk.subarray(start, i), emit);
      start = i + 1;
    }
    if (start < chunk.length) this.keep(chunk.subarray(start), emit);
  }

  /** Bytes held for an incomplete line (for memory accounting). */
  get bufferedBytes(): number {
    return this.pending?.length ?? 0;
  }

  private finishLine(part: Buffer, emit: (event: SplitEvent) => void): void {
    if (this.discarding) {
      this.discarding = false;
      this.pending = null;
      return;
    }
    const line = this.pending === null ? part : Buffer.concat([this.pending, part]);
    this.pending = null;
    if (line.length === 0) return;
    if (line.length > this.maxBytes) {
      emit({ kind: 'overlong' });
      return;
    }
    // Copy so the caller never pins the socket's whole read buffer.
    emit({ kind: 'line', bytes: this.pending === null && part === line ? Buffer.from(line) : line });
  }

  private keep(part: Buffer, emit: (event: SplitEvent) => void): void {
    if (this.discarding) return;
    const total = (this.pending?.length ?? 0) + part.length;
    if (total > this.maxBytes) {
      this.pending = null;
      this.discarding = true;
      emit({ kind: 'overlong' });
      return;
    }
    this.pending = this.pending === null ? Buffer.from(part) : Buffer.concat([this.pending, part]);
  }
}
