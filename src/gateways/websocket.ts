/**
 * The IRCv3 WebSocket transport (https://ircv3.net/specs/extensions/websocket): one IRC line
 * per WebSocket message, without CR LF, as text frames (`text.ircv3.net`) or binary frames
 * (`binary.ircv3.net`). The HTTP server (`http/server.ts`) does the upgrade with `ws`; this
 * file turns an open WebSocket into a Session exactly as `tcp.ts` does for a socket.
 */
import { isUtf8 } from 'node:buffer';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { ChatServer } from '../core/server.js';
import type { Transport } from '../core/transport.js';
import { MAX_LINE_BYTES } from './tcp.js';

export const TEXT_PROTOCOL = 'text.ircv3.net';
export const BINARY_PROTOCOL = 'binary.ircv3.net';

/**
 * Largest WebSocket message `ws` accepts before closing with 1009. Messages between
 * MAX_LINE_BYTES (+ a CR LF some clients add) and this get 417, as on TCP.
 */
export const WS_MAX_PAYLOAD = 16 * 1024;

/**
 * The subprotocol to answer with: the first of the client's offers (its order of preference)
 * that we support, or false to answer without one (then: text frames out, either type in).
 */
export function chooseProtocol(offered: Iterable<string>): string | false {
  for (const p of offered) if (p === TEXT_PROTOCOL || p === BINARY_PROTOCOL) return p;
  return false;
}

/**
 * Whether a browser page at `origin` may open a WebSocket to this server, reached as
 * `host` (the request's Host header). Allowed: no Origin at all (not a browser), the page's
 * own host, any localhost page, and what `--ws-origins` lists: full origins
 * (`https://chat.example.com[:port]`), host names (any scheme and port), `*.domain`, `*`.
 */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed: readonly string[],
): boolean {
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // "null" (sandboxed or file: pages) and garbage
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  const hostname = url.hostname.toLowerCase();
  if (host !== undefined && url.host.toLowerCase() === host.toLowerCase()) return true;
  if (hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]') return true;
  for (const raw of allowed) {
    const entry = raw.toLowerCase();
    if (entry === '*') return true;
    if (entry.includes('://')) {
      if (entry.replace(/\/+$/, '') === url.origin.toLowerCase()) return true;
    } else if (entry.startsWith('*.')) {
      if (hostname.endsWith(entry.slice(1))) return true;
    } else if (entry === hostname) return true;
  }
  return false;
}

const CRLF = Buffer.from('\r\n');

class WebSocketTransport implements Transport {
  readonly kind = 'ws';
  private closeTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ws: WebSocket,
    /** The upgraded socket, corked around a turn's messages so they leave in one write. */
    private readonly socket: Duplex,
    readonly remoteAddress: string,
    readonly secure: boolean,
    private readonly binary: boolean,
    readonly userAgent?: string,
  ) {}

  /** The core hands over a turn's lines concatenated (each ends in CR LF): one message each. */
  write(data: Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    const text = !this.binary;
    this.socket.cork();
    try {
      let start = 0;
      while (start < data.length) {
        let end = data.indexOf(CRLF, start);
        if (end === -1) end = data.length;
        if (end > start) this.sendLine(data.subarray(start, end), text);
        start = end + 2;
      }
    } finally {
      this.socket.uncork();
    }
  }

  private sendLine(line: Buffer, text: boolean): void {
    // Text frames must be UTF-8 (a browser drops the connection otherwise); the core only
    // emits UTF-8, but never trust that with someone else's connection: U+FFFD instead.
    const payload = text && !isUtf8(line) ? Buffer.from(line.toString('utf8')) : line;
    this.ws.send(payload, { binary: !text, compress: false });
  }

  get pendingBytes(): number {
    return this.ws.bufferedAmount;
  }

  end(): void {
    if (this.ws.readyState === this.ws.CLOSED || this.closeTimer !== null) return;
    this.ws.close(1000);
    // A peer that never answers the close frame would keep the socket open.
    this.closeTimer = setTimeout(() => this.ws.terminate(), 2000);
    this.closeTimer.unref();
  }

  destroy(): void {
    this.ws.terminate();
  }
}

/** Wires one open WebSocket to a new session, as `attachSocket` does for TCP. */
export function attachWebSocket(
  server: ChatServer,
  ws: WebSocket,
  socket: Duplex,
  address: string,
  secure: boolean,
  userAgent?: string,
): void {
  const binary = ws.protocol === BINARY_PROTOCOL;
  const session = server.attach(new WebSocketTransport(ws, socket, address, secure, binary, userAgent));
  ws.on('error', (err) => {
    server.log.debug({ event: 'ws.error', ip: address, err: err.message }, 'websocket error');
  });
  if (session === null) return;
  ws.on('message', (data: Buffer, _isBinary: boolean) => {
    // Either frame type is accepted: the line is the same bytes (text ones are valid UTF-8).
    let line = data;
    // The spec forbids a trailing CR LF; clients that send one anyway are forgiven.
    if (line.length > 0 && line[line.length - 1] === 0x0a) line = line.subarray(0, -1);
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, -1);
    if (line.length > MAX_LINE_BYTES) {
      session.receiveOverlong();
      return;
    }
    if (line.includes(0x0a) || line.includes(0x0d)) {
      // "Each message MUST consist of a single IRC line": never split one into commands.
      session.numeric('400', '*', 'A WebSocket message must hold exactly one IRC line; ignored');
      return;
    }
    session.receiveLine(line);
  });
  ws.on('close', () => server.transportClosed(session, 'Connection closed'));
}
