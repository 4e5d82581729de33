/**
 * The browser transport: the page's own WebSocket, speaking the IRCv3 WebSocket
 * subprotocol `text.ircv3.net` (one IRC line per text message, no CR LF). No Node imports,
 * and no DOM types either, so the root build (Node types) compiles it too.
 */
import { type Connector, closeOnce } from './transport.js';

/** The part of the DOM WebSocket this transport uses. */
interface BrowserSocket {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
type BrowserSocketCtor = new (url: string, protocols: string[]) => BrowserSocket;

const OPEN = 1;

/** The WebSocket address of the page's own server (ws: or wss: like the page). */
export function sameOriginWebSocketUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
}

export function browserConnector(url: string): Connector {
  return (h) => {
    const handlers = closeOnce(h);
    const Ctor = (globalThis as unknown as { WebSocket?: BrowserSocketCtor }).WebSocket;
    if (Ctor === undefined) throw new Error('this environment has no WebSocket');
    const ws = new Ctor(url, ['text.ircv3.net']);
    ws.onopen = () => handlers.open();
    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') handlers.line(ev.data);
    };
    // A failed connection fires error then close; the close carries the better reason.
    ws.onerror = () => {};
    ws.onclose = (ev) => handlers.close(ev.reason !== '' ? ev.reason : `connection closed (${ev.code})`);
    return {
      write: (line) => {
        if (ws.readyState === OPEN) ws.send(line.replace(/\r\n$/, ''));
      },
      close: () => ws.close(1000),
      // The browser has no abrupt close; report the end now rather than waiting for the
      // closing handshake of a link that may be dead.
      destroy: () => {
        ws.close(4000, 'dropped');
        handlers.close('connection dropped');
      },
    };
  };
}
