/**
 * Node transports for the client library: TCP, TLS (node:net, node:tls) and the IRCv3
 * WebSocket transport through `ws`. Never imported by the browser build.
 */
import net from 'node:net';
import tls from 'node:tls';
import { WebSocket } from 'ws';
import { type LineSink, LineSplitter } from '../protocol/line-splitter.js';
import { type Connector, closeOnce, MAX_LINE_BYTES } from './transport.js';

export interface NodeTransportOptions {
  host?: string;
  port?: number;
  /** true for TLS with default options, or tls.connect options (e.g. `{ rejectUnauthorized: false }`). */
  tls?: boolean | tls.ConnectionOptions;
  /** A ws:// or wss:// URL: the IRCv3 WebSocket transport instead of TCP. */
  url?: string;
}

/** A TCP or TLS connection; lines are cut from the byte stream at CR, LF or CR LF. */
export function socketConnector(opts: NodeTransportOptions): Connector {
  return (h) => {
    const handlers = closeOnce(h);
    const host = opts.host ?? '127.0.0.1';
    const port = opts.port ?? (opts.tls ? 6697 : 6667);
    const onOpen = (): void => handlers.open();
    const socket =
      opts.tls !== undefined && opts.tls !== false
        ? tls.connect(
            {
              host,
              port,
              servername: net.isIP(host) ? undefined : host,
              ...(opts.tls === true ? {} : opts.tls),
            },
            onOpen,
          )
        : net.connect({ host, port }, onOpen);
    socket.setNoDelay(true);
    const splitter = new LineSplitter(MAX_LINE_BYTES);
    const sink: LineSink = {
      receiveLine: (bytes) => handlers.line(bytes.toString('utf8')),
      receiveOverlong: () => {},
    };
    socket.on('data', (chunk: Buffer) => splitter.push(chunk, sink));
    socket.on('error', (err) => handlers.close(err.message));
    socket.on('close', () => handlers.close('connection closed'));
    return {
      write: (line) => {
        socket.write(line);
      },
      close: () => socket.end(),
      destroy: () => socket.destroy(),
    };
  };
}

/** The IRCv3 WebSocket transport (text.ircv3.net): one line per message, no CR LF. */
export function wsConnector(url: string): Connector {
  return (h) => {
    const handlers = closeOnce(h);
    const ws = new WebSocket(url, ['text.ircv3.net']);
    ws.on('open', () => handlers.open());
    ws.on('message', (data: Buffer) => handlers.line(data.toString('utf8')));
    ws.on('error', (err) => handlers.close(err.message));
    ws.on('close', () => handlers.close('connection closed'));
    return {
      write: (line) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(line.replace(/\r\n$/, ''));
      },
      close: () => ws.close(),
      destroy: () => ws.terminate(),
    };
  };
}

/** Chooses the transport the options describe: `url` for WebSocket, else TCP or TLS. */
export function nodeConnector(opts: NodeTransportOptions): Connector {
  return opts.url !== undefined ? wsConnector(opts.url) : socketConnector(opts);
}
