/**
 * The HTTP surface: one listener (HTTP, or HTTPS when given TLS options) serving the IRCv3
 * WebSocket transport (an upgrade on any path), `/health`, `/metrics`, file sharing
 * (uploads.ts), the search API (`/api/search`, search-api.ts), the server rooms for the web client
 * (`/api/server-rooms`, server-rooms.ts), and the web client (static.ts;
 * a placeholder page when it has not been built). Everything else is 404.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { ChatServer } from '../core/server.js';
import type { BoundListener } from '../gateways/tcp.js';
import { normalizeAddress } from '../gateways/tcp.js';
import { attachWebSocket, chooseProtocol, originAllowed, WS_MAX_PAYLOAD } from '../gateways/websocket.js';
import { BEARER_CHALLENGE, bearerMatches } from './bearer.js';
import { TrustedProxies } from './forwarded.js';
import { createMetricsRegistry } from './metrics.js';
import { PLACEHOLDER_HTML } from './placeholder.js';
import { handleSearchApi, SEARCH_API_PATH } from './search-api.js';
import { SERVER_ROOMS_PATH, serverRoomsBody } from './server-rooms.js';
import { defaultWebRoot, type StaticFile, StaticFiles } from './static.js';
import { publicBaseUrl, Uploads } from './uploads.js';

/** No route takes a body: anything larger than this is refused and the connection closed. */
export const MAX_REQUEST_BODY_BYTES = 16 * 1024;
/** A store that has not answered `/health` in this long counts as down. */
const STORE_CHECK_TIMEOUT_MS = 2000;

/** Headers on every response. */
const COMMON_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
} as const;

/**
 * For the page: only our own scripts, styles and images (plus blob: and data: images for
 * previews), our own WebSocket; no inline code, no framing, no plugins. The WebSocket is
 * named with the host the page was asked for, since `'self'` does not cover ws:/wss: in
 * every browser; a Host header that is not a plain host[:port] is left out.
 */
export function contentSecurityPolicy(host?: string): string {
  const ws =
    host !== undefined && /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host)
      ? ` ws://${host} wss://${host}`
      : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    `connect-src 'self'${ws}`,
    // The service worker (/sw.js) and the web app manifest, both from this origin.
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The policy without a host (for callers that have no request at hand). */
export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

export interface HttpOptions {
  host: string;
  port: number;
  /** Certificate and key: the listener speaks HTTPS and announces itself as `https`. */
  tls?: https.ServerOptions;
  /** --public-url: the URL clients reach this listener at (null: derived from the bound address). */
  publicUrl?: string | null;
  /** The built web client (default: web/dist of this installation). */
  webRoot?: string;
}

/** The HTTP(S) listener; `setCertificate` swaps an HTTPS certificate for new connections. */
export interface HttpListener extends BoundListener {
  setCertificate(cert: string, key: string): void;
}

export function listenHttp(server: ChatServer, options: HttpOptions): Promise<HttpListener> {
  const secure = options.tls !== undefined;
  const kind = secure ? 'https' : 'http';
  const proxies = new TrustedProxies(server.config.trustedProxies);
  const metrics = createMetricsRegistry(server);
  const startedAt = Date.now();
  const web = new StaticFiles(options.webRoot ?? defaultWebRoot());
  const placeholderBody = Buffer.from(PLACEHOLDER_HTML, 'utf8');
  const placeholder: StaticFile = {
    body: placeholderBody,
    gzip: null,
    type: 'text/html; charset=utf-8',
    etag: `"${createHash('sha256').update(placeholderBody).digest('base64url').slice(0, 22)}"`,
    cacheControl: 'no-cache',
  };

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: WS_MAX_PAYLOAD,
    perMessageDeflate: false,
    handleProtocols: (offered) => chooseProtocol(offered),
  });

  const send = (
    res: http.ServerResponse,
    status: number,
    headers: Record<string, string>,
    body: string | Buffer,
    head: boolean,
  ): void => {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    res.writeHead(status, { ...COMMON_HEADERS, 'Content-Length': String(bytes.length), ...headers });
    res.end(head ? undefined : bytes);
  };
  const methodNotAllowed = (res: http.ServerResponse): void =>
    send(
      res,
      405,
      { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' },
      'Method not allowed\n',
      false,
    );

  const storageOk = async (): Promise<boolean> => {
    const store = server.store;
    if (store === null) return true;
    let timer: NodeJS.Timeout | undefined;
    try {
      // The cheapest query every back end has: one row, by a key that does not exist.
      return await Promise.race([
        store.findMessage('health-check').then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), STORE_CHECK_TIMEOUT_MS);
        }),
      ]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  };

  // File sharing (uploads.ts): set once the port is known; only with a store.
  let uploads: Uploads | null = null;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const method = req.method ?? 'GET';
    const head = method === 'HEAD';
    if (uploads !== null && (path === '/upload' || path.startsWith('/files/'))) {
      const allow = path === '/upload' ? 'POST' : 'GET, HEAD';
      if (!allow.split(', ').includes(method)) {
        send(
          res,
          405,
          { Allow: allow, 'Content-Type': 'text/plain; charset=utf-8' },
          'Method not allowed\n',
          false,
        );
        return;
      }
      if (path === '/upload') {
        const query = new URLSearchParams((req.url ?? '').slice(path.length + 1));
        await uploads.handleUpload(req, res, query);
      } else {
        await uploads.handleDownload(req, res, path.slice('/files/'.length).split('/'), head);
      }
      return;
    }
    // Everything below is read-only: GET and HEAD.
    const readOnly = method === 'GET' || head;
    if (path === SEARCH_API_PATH && server.store !== null) {
      if (!readOnly) {
        methodNotAllowed(res);
        return;
      }
      await handleSearchApi(server, req, res, send, normalizeAddress(proxies.clientAddress(req)), head);
      return;
    }
    if (path === SERVER_ROOMS_PATH) {
      if (!readOnly) {
        methodNotAllowed(res);
        return;
      }
      send(
        res,
        200,
        { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-cache' },
        serverRoomsBody(server.config.serverRooms),
        head,
      );
      return;
    }
    const api = path === '/health' || path === '/metrics';
    // The web client's files; the placeholder page at / when the client has not been built.
    const file = api
      ? undefined
      : (web.lookup(path) ?? (path === '/' || path === '/index.html' ? placeholder : undefined));
    if (!api && file === undefined) {
      send(res, 404, { 'Content-Type': 'text/plain; charset=utf-8' }, 'Not found\n', head);
      return;
    }
    if (!readOnly) {
      methodNotAllowed(res);
      return;
    }
    if (path === '/health') {
      const storage = (await storageOk()) ? 'ok' : 'error';
      const ready = storage === 'ok';
      const body = JSON.stringify({
        status: ready ? 'ok' : 'unavailable',
        live: true,
        ready,
        uptime: Math.floor((Date.now() - startedAt) / 1000),
        connections: server.sessions.size,
        storage,
      });
      send(
        res,
        ready ? 200 : 503,
        { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
        `${body}\n`,
        head,
      );
      return;
    }
    if (path === '/metrics') {
      // Operator data: off unless a token is configured, and then only for that token.
      const token = server.config.metricsToken;
      if (token === null) {
        send(
          res,
          404,
          { 'Content-Type': 'text/plain; charset=utf-8' },
          'Not found (set metrics-token to serve /metrics)\n',
          head,
        );
        return;
      }
      if (!bearerMatches(req, token)) {
        send(
          res,
          401,
          { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...BEARER_CHALLENGE },
          'Send Authorization: Bearer <metrics-token>\n',
          head,
        );
        return;
      }
      const text = await metrics.registry.metrics();
      send(
        res,
        200,
        { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' },
        text,
        head,
      );
      return;
    }
    // The web client. index.html changes with releases, so caches revalidate it every time
    // (ETag → 304); hashed assets are immutable.
    serveFile(req, res, file!, head);
  };

  const serveFile = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    file: StaticFile,
    head: boolean,
  ): void => {
    const headers: Record<string, string> = {
      'Content-Type': file.type,
      'Cache-Control': file.cacheControl,
      ETag: file.etag,
    };
    if (file.type.startsWith('text/html')) {
      headers['Content-Security-Policy'] = contentSecurityPolicy(req.headers.host);
      headers['X-Frame-Options'] = 'DENY';
    }
    if (file.gzip !== null) headers['Vary'] = 'Accept-Encoding';
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, { ...COMMON_HEADERS, ...headers });
      res.end();
      return;
    }
    const gzip = file.gzip !== null && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    if (gzip) headers['Content-Encoding'] = 'gzip';
    send(res, 200, headers, gzip ? file.gzip! : file.body, head);
  };

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    // Uploads stream their bodies under their own limits (uploads.ts).
    if (uploads !== null && req.method === 'POST' && (req.url ?? '').split('?', 1)[0] === '/upload') {
      handle(req, res).catch((err: unknown) => {
        server.log.error({ event: 'http.error', err: String(err) }, 'HTTP request failed');
        if (!res.headersSent)
          send(res, 500, { 'Content-Type': 'text/plain; charset=utf-8' }, 'Internal error\n', false);
        else res.destroy();
      });
      return;
    }
    // Bounded bodies: nothing here takes one, so a declared or streamed body past the bound
    // is refused and the connection closed rather than read.
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_REQUEST_BODY_BYTES) {
      res.shouldKeepAlive = false;
      send(
        res,
        413,
        { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' },
        'Request body too large\n',
        false,
      );
      req.destroy();
      return;
    }
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > MAX_REQUEST_BODY_BYTES) req.destroy();
    });
    handle(req, res).catch((err: unknown) => {
      server.log.error({ event: 'http.error', err: String(err) }, 'HTTP request failed');
      if (!res.headersSent)
        send(res, 500, { 'Content-Type': 'text/plain; charset=utf-8' }, 'Internal error\n', false);
      else res.destroy();
    });
  };

  const upgraded = new Set<Duplex>();
  const onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => {});
    const refuse = (status: number, reason: string): void => {
      socket.end(
        `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${reason.length + 1}\r\n\r\n${reason}\n`,
      );
      setTimeout(() => socket.destroy(), 1000).unref();
    };
    if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      refuse(400, 'Bad Request');
      return;
    }
    const origin = req.headers.origin;
    if (!originAllowed(origin, req.headers.host, server.config.wsOrigins)) {
      server.log.debug({ event: 'ws.origin_refused', origin }, 'WebSocket from a disallowed Origin refused');
      refuse(403, 'Forbidden');
      return;
    }
    const address = normalizeAddress(proxies.clientAddress(req));
    wss.handleUpgrade(req, socket, head, (ws) => {
      upgraded.add(socket);
      socket.on('close', () => upgraded.delete(socket));
      (socket as net.Socket).setNoDelay?.(true);
      // Only to show a person which browser a session is (SESSIONS); bounded.
      attachWebSocket(server, ws, socket, address, secure, req.headers['user-agent']?.slice(0, 256));
    });
  };

  const srv = secure ? https.createServer(options.tls!, onRequest) : http.createServer(onRequest);
  srv.headersTimeout = 20_000;
  // A whole request may take long only where its body may be large (POST /upload, bounded
  // by --upload-max-bytes); headers must still arrive within headersTimeout, and every
  // other route caps its body at MAX_REQUEST_BODY_BYTES.
  srv.requestTimeout = 15 * 60_000;
  srv.maxHeadersCount = 100;
  srv.on('upgrade', onUpgrade);

  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen({ host: options.host, port: options.port, backlog: 4096 }, () => {
      srv.off('error', reject);
      srv.on('error', (err) =>
        server.log.error({ event: 'listener.error', err: err.message }, 'HTTP listener error'),
      );
      const addr = srv.address() as net.AddressInfo;
      if (server.store !== null) {
        uploads = new Uploads(
          server,
          {
            baseUrl: publicBaseUrl(options.publicUrl ?? null, options.host, addr.port, secure),
            clientAddress: (req) => normalizeAddress(proxies.clientAddress(req)),
          },
          send,
        );
        server.fileHostUrl = uploads.uploadUrl;
      }
      resolve({
        kind,
        host: addr.address,
        port: addr.port,
        setCertificate: (cert, key) => {
          if (srv instanceof https.Server) srv.setSecureContext({ ...options.tls, cert, key });
        },
        close: () =>
          new Promise<void>((done) => {
            metrics.dispose();
            srv.close(() => done());
            srv.closeIdleConnections();
            // WebSockets still open after the core's goodbye get a short grace to flush.
            setTimeout(() => {
              for (const s of upgraded) s.destroy();
              srv.closeAllConnections();
            }, 1500).unref();
          }),
      });
    });
  });
}
