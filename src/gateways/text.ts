/**
 * The plain-text gateway (seeds 002 and 004): people with only `nc` or `telnet` connect,
 * type a name and chat. It is an adapter, not a second chat engine: each socket gets a
 * normal core Session (Transport kind 'text') and a `TextTranslator` that turns typed lines
 * into IRC commands and the core's IRC lines into sentences. Text users and IRC users share
 * one namespace and every core rule (flood, limits, history).
 */
import net from 'node:net';
import type { ChatServer } from '../core/server.js';
import type { Session } from '../core/session.js';
import type { Transport } from '../core/transport.js';
import { type BoundListener, bindListener } from './listener.js';
import { normalizeAddress } from './tcp.js';
import { TextLineReader } from './text-mode/line-reader.js';
import { LOBBY, TextTranslator } from './text-mode/translator.js';

/** Longest line a person may type (bytes); a message must also fit the core's IRC limits. */
export const MAX_TEXT_LINE_BYTES = 4096;
/** After the person leaves, how long the core has to say goodbye before the socket is dropped. */
const LEAVE_GRACE_MS = 5000;
/** After the goodbye and the FIN are sent, how long the person's program has to read them. */
const RESET_AFTER_MS = 250;

/** The core writes IRC; the person reads sentences. */
class TextTransport implements Transport {
  readonly kind = 'text';
  readonly secure = false;
  translator: TextTranslator | null = null;
  private partial = '';

  constructor(
    private readonly socket: net.Socket,
    readonly remoteAddress: string,
  ) {}

  write(data: Buffer): void {
    const text = this.partial + data.toString('utf8');
    const lines = text.split('\r\n');
    this.partial = lines.pop()!;
    for (const line of lines) {
      if (this.translator !== null) this.translator.coreLine(line);
      else if (line.startsWith('ERROR '))
        this.toUser(line.replace(/^ERROR :?Closing link: \S+ /, 'Disconnected: '));
    }
  }

  toUser(text: string): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(text + '\r\n');
  }

  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  /**
   * The goodbye is written, then the connection is closed for good: a FIN alone leaves
   * Debian's `nc` (netcat-openbsd, without -N/-q) waiting for its stdin until Ctrl+C, so once
   * the last line has had time to be read the socket is reset, which `nc` takes as the end.
   */
  end(): void {
    if (this.socket.destroyed) return;
    this.socket.end(() => {
      setTimeout(() => {
        if (!this.socket.destroyed) this.socket.resetAndDestroy();
      }, RESET_AFTER_MS).unref();
    });
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Wires one connected socket to a new session through a translator. */
export function attachTextSocket(server: ChatServer, socket: net.Socket): void {
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 60_000);
  const address = normalizeAddress(socket.remoteAddress ?? 'unknown');
  const transport = new TextTransport(socket, address);
  socket.on('error', (err) => {
    server.log.debug({ event: 'socket.error', ip: address, err: err.message }, 'socket error');
  });
  const session: Session | null = server.attach(transport);
  if (session === null) return;
  // Everything for the core goes through one queue, after the current call returns, so the
  // translator never re-enters the session while the session is writing to it.
  const toCore = (line: string): void => {
    queueMicrotask(() => session.receiveLine(Buffer.from(line, 'utf8')));
  };
  const translator = new TextTranslator(
    { toCore, toUser: (text) => transport.toUser(text) },
    { nickLen: server.config.nickLen, lobby: server.config.serverRooms[0] ?? LOBBY },
  );
  transport.translator = translator;
  translator.start();

  const reader = new TextLineReader(MAX_TEXT_LINE_BYTES);
  const onInput = translator.input.bind(translator);
  socket.on('data', (chunk: Buffer) => reader.push(chunk, onInput));
  let leaving = false;
  const leave = (): void => {
    if (leaving) return;
    leaving = true;
    // A last line typed without Enter still counts, then the person leaves through the
    // core's QUIT so the room sees it after anything they said.
    reader.end(onInput);
    translator.quit('Connection closed');
    setTimeout(() => server.transportClosed(session, 'Connection closed'), LEAVE_GRACE_MS).unref();
  };
  socket.on('end', leave);
  socket.on('close', leave);
}

export function listenText(server: ChatServer, host: string, port: number): Promise<BoundListener> {
  const srv = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) =>
    attachTextSocket(server, socket),
  );
  return bindListener(srv, { kind: 'text', host, port, backlog: 1024 }, server.log);
}
