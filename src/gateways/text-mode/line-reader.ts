/**
 * Bytes typed into `nc` or `telnet` → the lines a person means: CR, LF or CR LF, telnet IAC
 * negotiation stripped, NUL dropped, a bound on line length, and a partial last line
 * delivered when the stream ends.
 */
import { isUtf8 } from 'node:buffer';

export type TextInput =
  | { kind: 'line'; text: string }
  | { kind: 'invalid-utf8' }
  | { kind: 'overlong' }
  /** telnet's Ctrl+C (IAC IP) or Ctrl+D-like abort: the person wants to leave. */
  | { kind: 'interrupt' };

const IAC = 0xff;
const SB = 250;
const SE = 240;
const IP = 244;
const WILL = 251;
const DONT = 254;

/**
 * Splits a byte stream into text lines the way a person at a terminal means them. Telnet
 * commands (IAC …) never reach the line; IAC IAC is a literal 0xFF (which then fails UTF-8).
 */
export class TextLineReader {
  private buf: number[] = [];
  private discarding = false;
  /** Telnet parser state: 0 data, 1 after IAC, 2 option byte, 3 in SB, 4 IAC inside SB. */
  private telnet = 0;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer, emit: (input: TextInput) => void): void {
    for (const b of chunk) {
      switch (this.telnet) {
        case 1:
          if (b === IAC) this.add(b, emit);
          else if (b >= WILL && b <= DONT) {
            this.telnet = 2;
            continue;
          } else if (b === SB) {
            this.telnet = 3;
            continue;
          } else if (b === IP) emit({ kind: 'interrupt' });
          this.telnet = 0;
          continue;
        case 2:
          this.telnet = 0;
          continue;
        case 3:
          if (b === IAC) this.telnet = 4;
          continue;
        case 4:
          this.telnet = b === SE ? 0 : 3;
          continue;
      }
      if (b === IAC) this.telnet = 1;
      else if (b === 10 || b === 13) this.finish(emit);
      else if (b !== 0) this.add(b, emit);
    }
  }

  /** The stream ended: a last line without a line end is still delivered. */
  end(emit: (input: TextInput) => void): void {
    this.finish(emit);
  }

  private add(b: number, emit: (input: TextInput) => void): void {
    if (this.discarding) return;
    if (this.buf.length >= this.maxBytes) {
      this.buf = [];
      this.discarding = true;
      emit({ kind: 'overlong' });
      return;
    }
    this.buf.push(b);
  }

  private finish(emit: (input: TextInput) => void): void {
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    if (this.buf.length === 0) return;
    const bytes = Buffer.from(this.buf);
    this.buf = [];
    if (!isUtf8(bytes)) emit({ kind: 'invalid-utf8' });
    else emit({ kind: 'line', text: bytes.toString('utf8') });
  }
}
