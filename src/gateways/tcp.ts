/**
 * The plain TCP gateway: accepts sockets, splits the byte stream into lines and hands
 * them to a Session. TLS will reuse `attachSocket` with a TLS socket.
 */
import net from 'node:net';
import { TLSSocket } from 'node:tls';
import type { ChatServer } from '../core/server.js';
import type { Session } from '../core/session.js';
import type { Transport } from '../core/transport.js';
import { LineSplitter } from '../protocol/line-splitter.js';
import { MAX_BODY_BYTES, MAX_TAGS_BYTES } from '../protocol/message.js';
import { type BoundListener, bindListener } from './listener.js';
import { acceptProxied, proxiedAddresses } from './proxy-protocol.js';

/** Longest line accepted from the wire: full tag section plus a full body (message-tags §Size limit). */
export const MAX_LINE_BYTES = MAX_TAGS_BYTES + MAX_BODY_BYTES;

export type { BoundListener } from './listener.js';

class SocketTransport implements Transport {
  /** Set once the core accepted the connection; input goes to it. */
  session: Session | null = null;
  readonly splitter = new LineSplitter(MAX_LINE_BYTES);

  constructor(
    readonly kind: string,
    private readonly socket: net.Socket,
    readonly remoteAddress: string,
    readonly secure: boolean,
    readonly certFingerprint: string | null = null,
  ) {}

  write(data: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /**
   * The buffers are other connections' too: they go to the socket by reference, never
   * copied here (the send queue joins a small batch once for every member that gets it,
   * core/send-queue.ts). Several are corked into one `writev`, so a slow reader never holds
   * a private copy of what it has not read. Returns false once the socket holds its
   * high-water mark: 'drain' then resumes the queue.
   */
  writeMany(chunks: readonly Buffer[], _bytes: number): boolean {
    const socket = this.socket;
    if (socket.destroyed) return true;
    if (chunks.length === 1) return socket.write(chunks[0]!);
    socket.cork();
    let ok = true;
    for (const chunk of chunks) ok = socket.write(chunk);
    socket.uncork();
    return ok;
  }

  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  end(unread = false): void {
    if (this.socket.destroyed) return;
    this.socket.end();
    // A peer that never reads would keep the socket half-open forever. One dropped for not
    // reading gets a reset: closed, the kernel would keep trying to deliver what it holds for
    // it (megabytes per socket for a flooded room). A TLS socket's handle cannot be reset.
    setTimeout(() => {
      if (unread && !(this.socket instanceof TLSSocket) && !this.socket.destroyed)
        this.socket.resetAndDestroy();
      else this.socket.destroy();
    }, 2000).unref();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/**
 * The socket's transport, for the event handlers below. They are module functions that
 * find their state through the socket (`this` in an EventEmitter listener) rather than
 * closures: five closures per connection (the splitter's callback included) and their
 * context were about 400 bytes of every idle client's memory.
 */
const kTransport = Symbol('tertulia.transport');

type AttachedSocket = net.Socket & { [kTransport]: SocketTransport };

function onData(this: AttachedSocket, chunk: Buffer): void {
  const transport = this[kTransport];
  if (transport.session !== null) transport.splitter.push(chunk, transport.session);
}

function onError(this: AttachedSocket, err: Error): void {
  const transport = this[kTransport];
  if (transport.session !== null) logSocketError(transport.session.server, transport.remoteAddress, err);
}

function logSocketError(server: ChatServer, address: string, err: Error): void {
  server.log.debug({ event: 'socket.error', ip: address, err: err.message }, 'socket error');
}

function onDrain(this: AttachedSocket): void {
  this[kTransport].session?.transportDrained();
}

function onEnd(this: AttachedSocket): void {
  const session = this[kTransport].session;
  session?.server.transportClosed(session, 'Connection closed');
}

function onClose(this: AttachedSocket, hadError: boolean): void {
  const session = this[kTransport].session;
  session?.server.transportClosed(session, hadError ? 'Read error' : 'Connection closed');
}

/**
 * Wires one connected socket (plain or TLS) to a new session. TLS passes the client
 * certificate's fingerprint, if it sent one.
 */
export function attachSocket(
  server: ChatServer,
  socket: net.Socket,
  kind: string,
  secure: boolean,
  certFingerprint: string | null = null,
): void {
  socket.setNoDelay(true);
  // Behind a PROXY-protocol balancer the header's address is the client's (proxy-protocol.ts).
  const address = normalizeAddress(proxiedAddresses.get(socket) ?? socket.remoteAddress ?? 'unknown');
  const transport = new SocketTransport(kind, socket, address, secure, certFingerprint);
  const attached = socket as AttachedSocket;
  attached[kTransport] = transport;
  const session = server.attach(transport);
  if (session === null) {
    // Refused (it is being told why): rare enough for a closure.
    socket.on('error', (err) => logSocketError(server, address, err));
    return;
  }
  transport.session = session;
  socket.on('error', onError);
  socket.on('data', onData);
  socket.on('drain', onDrain);
  socket.on('end', onEnd);
  socket.on('close', onClose);
}

/** `::ffff:127.0.0.1` → `127.0.0.1`, so per-IP limits and WHOIS see one form. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export function listenTcp(server: ChatServer, host: string, port: number): Promise<BoundListener> {
  const srv = net.createServer({ noDelay: true }, (socket) => {
    if (server.config.proxyProtocol)
      acceptProxied(socket, server.log, () => attachSocket(server, socket, 'irc', false));
    else attachSocket(server, socket, 'irc', false);
  });
  return bindListener(srv, { kind: 'irc', host, port, backlog: 4096 }, server.log);
}
