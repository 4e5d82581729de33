/**
 * One load-generator connection: a raw `net` socket with TCP_NODELAY, the registration
 * handshake (CAP REQ, NICK, USER, CAP END), PING answers, JOIN, and a receive path split in
 * two: bench messages (`:!b <phase> <sender> <send time>`) are found with a native
 * `Buffer.indexOf` and parsed from the bytes, without building strings; every other line is
 * looked at only if its command is one the generator cares about, and only then parsed with
 * the project's own protocol layer.
 */
import { connect, type Socket } from 'node:net';
import { parseLine } from '../src/protocol/message.js';
import { now } from './clock.js';
import type { ClientSpec } from './messages.js';

/** Marks a bench message's text; what follows is `<phase> <sender> <send time ms>`. */
export const MARK = Buffer.from(' :!b ');

/** Receives bench messages and history batches (the worker's traffic and read engines). */
export interface ClientSink {
  /** A bench message arrived at `client`, stamped `sent`, read at `received` (shared clock, ms). */
  bench(client: Client, phase: number, sid: number, sent: number, received: number): void;
  /** Called once after a chunk's bench messages were all handed over. */
  chunkDone(): void;
  batchStart(client: Client, id: string): void;
  batchLine(client: Client): void;
  batchEnd(client: Client, id: string): void;
  fail(client: Client, command: string, text: string): void;
  closed(client: Client): void;
}

type Done = (error: string | null) => void;

/** One read buffer per thread, reused by every socket's reads. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

/** Commands whose lines the slow path parses; all other non-bench lines are skipped unparsed. */
const INTERESTING = new Set(['PING', 'CAP', 'BATCH', 'ERROR', 'FAIL', '001', '366', '376', '422']);
/** First bytes of the interesting commands that are words: B, C, E, F, P. */
const INITIALS = new Set([66, 67, 69, 70, 80]);

export class Client {
  readonly id: number;
  nick: string;
  readonly spec: ClientSpec;
  socket: Socket | null = null;
  state: 'new' | 'registering' | 'registered' | 'closed' = 'new';
  /** Shared-clock ms of connect() and of registration (or of the JOIN's 366) done. */
  startedAt = 0;
  readyAt = 0;
  lastError: string | null = null;
  refusedCaps: string[] = [];
  /** Set by the read engine while this client waits for a history batch. */
  reading = false;

  private partial: Buffer | null = null;
  private welcomed = false;
  private capsPending = false;
  private nickTries = 0;
  private onReady: Done | null = null;
  private readonly joinWaiters = new Map<string, Done>();
  private closeWaiters: Array<() => void> = [];

  constructor(
    spec: ClientSpec,
    private readonly sink: ClientSink,
  ) {
    this.id = spec.id;
    this.nick = spec.nick;
    this.spec = spec;
  }

  /** Connects and registers (and joins `spec.join`); resolves null when done, or an error. */
  open(host: string, port: number): Promise<string | null> {
    return new Promise((resolve) => {
      this.onReady = resolve;
      this.startedAt = now();
      this.state = 'registering';
      const socket = connect({
        host,
        port,
        ...(this.spec.localAddress === undefined ? {} : { localAddress: this.spec.localAddress }),
        // Reads land in one buffer shared by every socket of this thread (handled at once,
        // never kept), bypassing the stream machinery and its per-read allocation.
        onread: { buffer: READ_BUFFER, callback: (n: number, buf: Uint8Array) => this.onRead(n, buf) },
      });
      this.socket = socket;
      socket.setNoDelay(true);
      socket.on('connect', () => {
        let hello = '';
        if (this.spec.caps.length > 0) {
          hello += `CAP REQ :${this.spec.caps.join(' ')}\r\n`;
          this.capsPending = true;
        }
        hello += `NICK ${this.nick}\r\nUSER ${this.nick} 0 * :tertulia bench\r\n`;
        socket.write(hello);
      });
      socket.on('error', (err) => {
        this.lastError = err.message;
      });
      socket.on('close', () => this.onClose());
    });
  }

  write(text: string): void {
    if (this.socket !== null && this.state !== 'closed') this.socket.write(text);
  }

  /** JOINs a room and resolves once the server has sent its NAMES end (366), or with an error. */
  join(room: string): Promise<string | null> {
    return new Promise((resolve) => {
      if (this.state !== 'registered') {
        resolve(`not registered (${this.lastError ?? this.state})`);
        return;
      }
      this.joinWaiters.set(room.toLowerCase(), resolve);
      this.write(`JOIN ${room}\r\n`);
    });
  }

  /** QUITs (waiting up to `timeoutMs` for the server to close) or drops the connection at once. */
  close(how: 'quit' | 'destroy', timeoutMs: number): Promise<void> {
    const socket = this.socket;
    if (socket === null || this.state === 'closed') return Promise.resolve();
    if (how === 'destroy') {
      socket.destroy();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        socket.destroy();
        resolve();
      }, timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
      socket.end('QUIT :bench done\r\n');
    });
  }

  private onClose(): void {
    const wasOpen = this.state !== 'closed';
    this.state = 'closed';
    const why = `connection closed${this.lastError === null ? '' : ` (${this.lastError})`}`;
    this.settle(why);
    for (const [, done] of this.joinWaiters) done(why);
    this.joinWaiters.clear();
    for (const w of this.closeWaiters.splice(0)) w();
    if (wasOpen) this.sink.closed(this);
  }

  private settle(error: string | null): void {
    const done = this.onReady;
    if (done === null) return;
    this.onReady = null;
    this.readyAt = now();
    done(error);
  }

  // ------------------------------------------------------------------ receive path

  private onRead(n: number, buf: Uint8Array): boolean {
    this.receive((buf as Buffer).subarray(0, n));
    return true;
  }

  /** Handles one read; `chunk` may be the shared read buffer, so nothing may keep it. */
  private receive(chunk: Buffer): void {
    const received = now();
    let buf = chunk;
    if (this.partial !== null) {
      buf = Buffer.concat([this.partial, chunk]);
      this.partial = null;
    }
    const len = buf.length;
    let pos = 0;
    let benched = false;
    if (this.reading) {
      // History replies replay stored bench messages: count them as batch lines instead.
      pos = this.slowLines(buf, 0, len);
      if (pos < len) this.partial = Buffer.from(buf.subarray(pos));
      return;
    }
    // One newline search per line; the marker search runs ahead and is reused until passed.
    let mark = -2;
    while (pos < len) {
      const eol = buf.indexOf(10, pos);
      if (eol === -1) break; // incomplete: kept below
      if (mark !== -1 && mark < pos) mark = buf.indexOf(MARK, pos);
      if (mark !== -1 && mark < eol) {
        this.fast(buf, mark + MARK.length, eol, received);
        benched = true;
      } else {
        let stop = eol;
        if (stop > pos && buf[stop - 1] === 13) stop--;
        if (stop > pos) this.slowLine(buf, pos, stop);
      }
      pos = eol + 1;
    }
    if (pos < len) this.partial = Buffer.from(buf.subarray(pos));
    if (benched) this.sink.chunkDone();
  }

  /** Parses `<phase> <sid> <ms.µs>` from the bytes of a bench message. */
  private fast(buf: Buffer, start: number, end: number, received: number): void {
    let p = start;
    let phase = 0;
    let c = buf[p] ?? 0;
    while (c >= 48 && c <= 57) {
      phase = phase * 10 + (c - 48);
      c = buf[++p] ?? 0;
    }
    if (c !== 32) return;
    c = buf[++p] ?? 0;
    let sid = 0;
    while (c >= 48 && c <= 57) {
      sid = sid * 10 + (c - 48);
      c = buf[++p] ?? 0;
    }
    if (c !== 32) return;
    c = buf[++p] ?? 0;
    let whole = 0;
    while (c >= 48 && c <= 57) {
      whole = whole * 10 + (c - 48);
      c = buf[++p] ?? 0;
    }
    let frac = 0;
    let scale = 1;
    if (c === 46) {
      c = buf[++p] ?? 0;
      while (c >= 48 && c <= 57 && p < end) {
        frac = frac * 10 + (c - 48);
        scale *= 10;
        c = buf[++p] ?? 0;
      }
    }
    this.sink.bench(this, phase, sid, whole + frac / scale, received);
  }

  /** Handles the complete lines in [start, end); returns where the unfinished tail starts. */
  private slowLines(buf: Buffer, start: number, end: number): number {
    let pos = start;
    while (pos < end) {
      const eol = buf.indexOf(10, pos);
      if (eol === -1 || eol >= end) return pos;
      let stop = eol;
      if (stop > pos && buf[stop - 1] === 13) stop--;
      if (stop > pos) this.slowLine(buf, pos, stop);
      pos = eol + 1;
    }
    return pos;
  }

  private slowLine(buf: Buffer, start: number, end: number): void {
    let p = start;
    if (buf[p] === 64 /* @ */) {
      const sp = buf.indexOf(32, p);
      if (sp === -1 || sp >= end) return;
      if (this.reading) {
        const tags = buf.toString('latin1', p + 1, sp);
        if (tags.startsWith('batch=') || tags.includes(';batch=')) {
          // A line inside a history batch; the batch's own BATCH lines carry no batch tag.
          this.sink.batchLine(this);
          return;
        }
      }
      p = sp + 1;
    }
    if (buf[p] === 58 /* : */) {
      const sp = buf.indexOf(32, p);
      if (sp === -1 || sp >= end) return;
      p = sp + 1;
    }
    // Most lines during a storm are JOIN, QUIT or 353 NAMES: skip them without making strings.
    const first = buf[p] ?? 0;
    if (first === 51 /* 3xx */) {
      const a = buf[p + 1];
      const b = buf[p + 2];
      if (!((a === 54 && b === 54) || (a === 55 && b === 54))) return; // only 366 and 376
    } else if (first !== 48 && first !== 52 && first !== 53 && !INITIALS.has(first)) {
      return;
    }
    let cmdEnd = buf.indexOf(32, p);
    if (cmdEnd === -1 || cmdEnd > end) cmdEnd = end;
    const command = buf.toString('latin1', p, cmdEnd);
    const isError = command.length === 3 && (first === 52 || first === 53); // 4xx, 5xx
    if (!INTERESTING.has(command) && !isError) return;
    const parsed = parseLine(buf.toString('utf8', start, end));
    if (!parsed.ok) return;
    this.handle(parsed.message.command, parsed.message.params);
  }

  private handle(command: string, params: string[]): void {
    switch (command) {
      case 'PING':
        this.write(`PONG :${params[params.length - 1] ?? ''}\r\n`);
        return;
      case 'CAP': {
        const sub = params[1];
        if (sub === 'NAK') this.refusedCaps.push(...(params[2] ?? '').split(' ').filter((c) => c !== ''));
        if ((sub === 'ACK' || sub === 'NAK') && this.capsPending) {
          this.capsPending = false;
          this.write('CAP END\r\n');
        }
        return;
      }
      case '001':
        this.welcomed = true;
        if (params[0] !== undefined) this.nick = params[0];
        return;
      case '376':
      case '422':
        if (this.state === 'registering' && this.welcomed) {
          this.state = 'registered';
          const room = this.spec.join;
          if (room === undefined) this.settle(null);
          else void this.join(room).then((err) => this.settle(err));
        }
        return;
      case '366': {
        const room = (params[1] ?? '').toLowerCase();
        const done = this.joinWaiters.get(room);
        if (done !== undefined) {
          this.joinWaiters.delete(room);
          done(null);
        }
        return;
      }
      case 'BATCH': {
        const ref = params[0] ?? '';
        if (ref.startsWith('+')) this.sink.batchStart(this, ref.slice(1));
        else if (ref.startsWith('-')) this.sink.batchEnd(this, ref.slice(1));
        return;
      }
      case 'FAIL':
        this.sink.fail(this, params[0] ?? '', params[params.length - 1] ?? '');
        return;
      case 'ERROR':
        this.lastError = params[0] ?? 'ERROR';
        return;
      case '432':
      case '433':
      case '436':
        if (this.state === 'registering' && !this.welcomed && this.nickTries < 5) {
          this.nickTries++;
          this.nick = `${this.spec.nick.slice(0, 20)}_${this.nickTries}`;
          this.write(`NICK ${this.nick}\r\n`);
        } else if (this.state === 'registering' && !this.welcomed) {
          this.settle(`nick refused: ${command} ${params[params.length - 1] ?? ''}`);
        }
        return;
      default: {
        // A join refused (403 no such channel, 405 too many channels, 471/473/474/475/477…)
        // names the room in its second parameter.
        const text = `${command} ${params.slice(1).join(' ')}`;
        this.lastError = text;
        const room = (params[1] ?? '').toLowerCase();
        const done = this.joinWaiters.get(room);
        if (done !== undefined) {
          this.joinWaiters.delete(room);
          done(text);
        } else if (this.state === 'registering' && (command === '465' || command === '464')) {
          this.settle(text);
        }
      }
    }
  }
}
