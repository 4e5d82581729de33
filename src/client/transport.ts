/**
 * What the client library needs from a connection, whatever carries it: one IRC line at a
 * time in both directions. The protocol logic (base.ts) only sees this interface, so the
 * same code runs over TCP and TLS in Node (transport-node.ts) and over the browser's own
 * WebSocket (transport-browser.ts).
 */

/** Called by a transport as the connection progresses; `close` is called at most once. */
export interface LineHandlers {
  /** The connection is up: the client may start registering. */
  open(): void;
  /** One complete line from the server, without CR LF. */
  line(text: string): void;
  /** The connection is gone (closed, failed, or never opened). */
  close(reason: string): void;
}

export interface LineTransport {
  /** Sends one line; `line` ends with CR LF (message transports drop it). */
  write(line: string): void;
  /** Closes gracefully, letting queued output leave first. */
  close(): void;
  /** Drops the connection at once. */
  destroy(): void;
}

/** Opens a new connection each time it is called (the client calls it again to reconnect). */
export type Connector = (handlers: LineHandlers) => LineTransport;

/** IRC line limit for the client's input: tags (8191) plus the body (512). */
export const MAX_LINE_BYTES = 8191 + 512;

/** Wraps handlers so `close` runs once, however many ways a transport reports the end. */
export function closeOnce(handlers: LineHandlers): LineHandlers {
  let closed = false;
  return {
    open: () => handlers.open(),
    line: (text) => {
      if (!closed) handlers.line(text);
    },
    close: (reason) => {
      if (closed) return;
      closed = true;
      handlers.close(reason);
    },
  };
}
