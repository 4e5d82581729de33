/**
 * Binding a listening socket, the same way for every gateway (TCP, TLS, plain text): it
 * resolves once bound with the address actually used (port 0 picks a free one), and its
 * close() stops accepting, then ends connections still open after a short grace so the
 * core's goodbye lines can flush first.
 */
import type net from 'node:net';
import type { Logger } from 'pino';

export interface BoundListener {
  kind: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

/** How long open connections get to flush after close() before they are destroyed. */
const CLOSE_GRACE_MS = 1500;

export function bindListener(
  srv: net.Server,
  opts: { kind: string; host: string; port: number; backlog: number },
  log: Logger,
): Promise<BoundListener> {
  // Raw connections (for TLS, also those still in their handshake).
  const sockets = new Set<net.Socket>();
  // One handler for all of them (`this` is the socket), not a closure per connection.
  const forget = function (this: net.Socket): void {
    sockets.delete(this);
  };
  srv.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', forget);
  });
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen({ host: opts.host, port: opts.port, backlog: opts.backlog }, () => {
      srv.off('error', reject);
      srv.on('error', (err) => log.error({ event: 'listener.error', err: err.message }, 'listener error'));
      const addr = srv.address() as net.AddressInfo;
      resolve({
        kind: opts.kind,
        host: addr.address,
        port: addr.port,
        close: () =>
          new Promise<void>((done) => {
            srv.close(() => done());
            setTimeout(() => {
              for (const s of sockets) s.destroy();
            }, CLOSE_GRACE_MS).unref();
          }),
      });
    });
  });
}
