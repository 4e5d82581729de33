/**
 * File sharing over the HTTP listener: `POST /upload` (HTTP Basic with the IRC account's name
 * and password) and `GET /files/<id>[/<name>]`. Advertised in ISUPPORT as `soju.im/FILEHOST`
 * and `draft/FILEHOST` (see welcome.ts).
 *
 * Bytes are stored once per content under `data-dir/uploads/<sha256[0:2]>/<sha256>`: a body
 * streams into `uploads/tmp/<random>` while it is hashed and counted against the per-file
 * and per-account limits, then is renamed into place. A body over a limit, a failure or a
 * client that goes away leaves nothing behind. Metadata (original name, type, size, uploader,
 * an unguessable id) lives in the store; names are never used as paths.
 */

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import type http from 'node:http';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { accountsOf } from '../core/accounts/index.js';
import type { ChatServer } from '../core/server.js';
import type { UploadRecord } from '../store/store.js';
import { BASIC_CHALLENGE, basicCredentials } from './basic-auth.js';
import { humanSize } from './sizes.js';

const ID = /^[A-Za-z0-9_-]{22,64}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;
/** Shown in the browser: images it decodes itself and plain text. */
const INLINE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'text/plain']);
/** Kept as their own type, but always downloaded (nothing a browser would run in our origin). */
const ATTACHMENT_TYPES =
  /^(audio|video)\/[a-z0-9.+-]+$|^application\/(pdf|zip|gzip|x-tar|x-7z-compressed|json)$/;
const MAX_NAME_CHARS = 200;

/** The refusal of a file over the per-file limit: the limit as people read it, and what to do. */
function tooLargeMessage(limit: number): string {
  return `File too large: the limit is ${humanSize(limit)} per file. Send a smaller file (or share a link to it).`;
}

/** Thrown while streaming when a limit is passed. */
class LimitError extends Error {}

/** `http(s)://host:port` for the listener, from --public-url or the bound address. */
export function publicBaseUrl(
  configured: string | null,
  host: string,
  port: number,
  secure: boolean,
): string {
  if (configured !== null) return configured.replace(/\/+$/, '');
  let h = host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host;
  if (h.includes(':')) h = `[${h}]`;
  return `${secure ? 'https' : 'http'}://${h}:${port}`;
}

/** The original name, made harmless for display: no directories, no controls, bounded. */
export function cleanName(raw: string): string {
  const base = raw.split(/[/\\]/).pop() ?? '';
  const name = [...base.replace(/[\x00-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, '')]
    .slice(0, MAX_NAME_CHARS)
    .join('')
    .trim();
  return name === '' || name === '.' || name === '..' ? 'file' : name;
}

/** The file name from `Content-Disposition` (filename* preferred) or `?filename=`. */
function nameFromRequest(req: http.IncomingMessage, query: URLSearchParams): string {
  const cd = req.headers['content-disposition'];
  if (typeof cd === 'string') {
    const star = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(cd);
    if (star !== null) {
      try {
        return cleanName(decodeURIComponent(star[2]!.trim()));
      } catch {
        // Malformed percent-encoding: fall back to the plain parameter.
      }
    }
    const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/i.exec(cd);
    if (plain !== null) return cleanName((plain[1] ?? plain[2] ?? '').replace(/\\(.)/g, '$1'));
  }
  const q = query.get('filename');
  return q !== null ? cleanName(q) : 'file';
}

function contentTypeOf(req: http.IncomingMessage): string {
  const essence = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
  return MIME.test(essence) && essence.length <= 100 ? essence : 'application/octet-stream';
}

/** RFC 6266 / RFC 8187: an ASCII fallback and the exact name as UTF-8. */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** Parses a single `bytes=` range; 'ignore' for anything else, 'unsatisfiable' when out of range. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'ignore' | 'unsatisfiable' {
  if (header === undefined) return 'ignore';
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (m === null) return /^\s*bytes\s*=/i.test(header) && !header.includes(',') ? 'unsatisfiable' : 'ignore';
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return 'unsatisfiable';
  if (a === '') {
    const n = Number(b);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (start >= size || (b !== '' && Number(b) < start)) return 'unsatisfiable';
  return { start, end };
}

export interface UploadsOptions {
  /** Absolute base URL of this listener, without a trailing slash. */
  baseUrl: string;
  /** Source address of a request (trusted proxies applied). */
  clientAddress(req: http.IncomingMessage): string;
}

/** How the HTTP server writes a whole response (server.ts `send`). */
export type Send = (
  res: http.ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string | Buffer,
  head: boolean,
) => void;

export class Uploads {
  readonly dir: string;
  private readonly tmp: string;
  /** Bytes being received right now per account, so parallel uploads share the quota. */
  private readonly inflight = new Map<string, number>();

  constructor(
    private readonly server: ChatServer,
    private readonly options: UploadsOptions,
    private readonly send: Send,
  ) {
    this.dir = join(server.config.dataDir, 'uploads');
    this.tmp = join(this.dir, 'tmp');
  }

  get uploadUrl(): string {
    return `${this.options.baseUrl}/upload`;
  }

  /** Ends a request whose body is refused: answer, then close rather than read it all. */
  private refuse(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    status: number,
    message: string,
    extra: Record<string, string> = {},
  ): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.shouldKeepAlive = false;
    this.send(
      res,
      status,
      { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close', ...extra },
      `${message}\n`,
      false,
    );
    // Let the answer reach the client before the connection goes (discarding what it sends).
    req.resume();
    // Keep a reference: once the response ends the request may have let go of its socket.
    const socket = req.socket;
    setTimeout(() => socket?.destroy(), 2000).unref();
  }

  async handleUpload(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    query: URLSearchParams,
  ): Promise<void> {
    const store = this.server.store;
    const accounts = accountsOf(this.server);
    if (store === null || accounts === undefined) {
      this.refuse(req, res, 404, 'Not found');
      return;
    }
    const challenge = BASIC_CHALLENGE;
    const credentials = basicCredentials(req);
    if (credentials === null) {
      this.refuse(req, res, 401, 'Log in with your account name and password (HTTP Basic)', challenge);
      return;
    }
    const { name, password } = credentials;
    const ip = this.options.clientAddress(req);
    req.pause();
    const outcome = await accounts.tryPassword({ ip, nick: '*' }, name, password, 'HTTP upload');
    if (outcome.kind === 'refused') {
      const retry = { 'Retry-After': String(Math.ceil(outcome.retryAfterMs / 1000)) };
      this.refuse(req, res, 429, 'Too many login attempts; try again later', retry);
      return;
    }
    if (outcome.kind === 'failed') {
      this.refuse(req, res, 401, 'Wrong account name or password', challenge);
      return;
    }
    const record = outcome.record;
    const account = record.folded;
    const c = this.server.config;
    const declared = req.headers['content-length'];
    const declaredBytes = declared === undefined ? null : Number(declared);
    if (declaredBytes !== null && declaredBytes > c.uploadMaxBytes) {
      this.refuse(req, res, 413, tooLargeMessage(c.uploadMaxBytes));
      return;
    }
    const used = await store.uploadBytesByAccount(account);
    const quotaLeft = (): number => c.uploadQuotaBytes - used - (this.inflight.get(account) ?? 0);
    const quotaMessage = `Upload quota exceeded: ${account} may store ${humanSize(c.uploadQuotaBytes)} in all and has ${humanSize(used)} stored. Ask the server's operator for more room.`;
    if (declaredBytes !== null && declaredBytes > quotaLeft()) {
      this.refuse(req, res, 413, quotaMessage);
      return;
    }

    await mkdir(this.tmp, { recursive: true });
    const tmpPath = join(this.tmp, randomBytes(16).toString('hex'));
    const hash = createHash('sha256');
    let size = 0;
    let counted = 0;
    const release = (): void => {
      const left = (this.inflight.get(account) ?? 0) - counted;
      if (left > 0) this.inflight.set(account, left);
      else this.inflight.delete(account);
      counted = 0;
    };
    const meter = new Transform({
      transform: (chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) => {
        size += chunk.length;
        if (size > c.uploadMaxBytes) {
          done(new LimitError(tooLargeMessage(c.uploadMaxBytes)));
          return;
        }
        if (chunk.length > quotaLeft()) {
          done(new LimitError(quotaMessage));
          return;
        }
        this.inflight.set(account, (this.inflight.get(account) ?? 0) + chunk.length);
        counted += chunk.length;
        hash.update(chunk);
        done(null, chunk);
      },
    });
    let sha256: string;
    try {
      req.resume();
      await pipeline(req, meter, createWriteStream(tmpPath, { flags: 'wx', mode: 0o600 }));
      sha256 = hash.digest('hex');
      // The 201 promises the file is kept: sync its bytes before it is renamed into place.
      await syncFile(tmpPath);
      const dir = join(this.dir, sha256.slice(0, 2));
      await mkdir(dir, { recursive: true });
      // Same content already stored: keep that copy. Otherwise rename into place (atomic;
      // two concurrent uploads of the same bytes rename identical files over each other).
      if (await exists(join(dir, sha256))) await unlink(tmpPath);
      else await rename(tmpPath, join(dir, sha256));
    } catch (err) {
      release();
      await unlink(tmpPath).catch(() => {});
      if (err instanceof LimitError) {
        this.server.log.info(
          { event: 'upload.refused', account, ip, reason: err.message },
          `Upload by ${account} refused: ${err.message}`,
        );
        this.refuse(req, res, 413, err.message);
        return;
      }
      // The client went away (or the disk failed): nothing is kept.
      this.server.log.info(
        { event: 'upload.aborted', account, ip, err: String(err) },
        `Upload by ${account} not completed`,
      );
      if (!res.headersSent && !req.destroyed) this.refuse(req, res, 400, 'Upload not completed');
      else res.destroy();
      return;
    }
    const upload: UploadRecord = {
      id: randomBytes(18).toString('base64url'),
      sha256,
      size,
      name: nameFromRequest(req, query),
      contentType: contentTypeOf(req),
      account,
      createdAt: Date.now(),
    };
    try {
      await store.addUpload(upload);
    } finally {
      release();
    }
    const url = `${this.options.baseUrl}/files/${upload.id}/${encodeURIComponent(upload.name)}`;
    this.server.log.info(
      { event: 'upload.stored', account, id: upload.id, size, sha256 },
      `Upload by ${account}: ${size} bytes as ${upload.id}`,
    );
    this.send(
      res,
      201,
      { 'Content-Type': 'application/json; charset=utf-8', Location: url, 'Cache-Control': 'no-store' },
      `${JSON.stringify({ id: upload.id, url, name: upload.name, size, type: upload.contentType, sha256 })}\n`,
      false,
    );
  }

  /** `GET /files/<id>[/<name>]`; `segments` are the raw path parts after `files`. */
  async handleDownload(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    segments: string[],
    head: boolean,
  ): Promise<void> {
    const notFound = (): void =>
      this.send(res, 404, { 'Content-Type': 'text/plain; charset=utf-8' }, 'Not found\n', head);
    const store = this.server.store;
    const id = segments[0] ?? '';
    if (store === null || segments.length > 2 || !ID.test(id)) return notFound();
    const upload = await store.getUpload(id);
    if (upload === null || !SHA256_HEX.test(upload.sha256)) return notFound();
    const path = join(this.dir, upload.sha256.slice(0, 2), upload.sha256);
    const onDisk = await stat(path).catch(() => null);
    if (onDisk === null || !onDisk.isFile()) {
      this.server.log.error({ event: 'upload.missing', id, sha256: upload.sha256 }, 'Uploaded file missing');
      return notFound();
    }
    const size = onDisk.size;
    const inline = INLINE_TYPES.has(upload.contentType);
    const type = inline
      ? upload.contentType === 'text/plain'
        ? 'text/plain; charset=utf-8'
        : upload.contentType
      : ATTACHMENT_TYPES.test(upload.contentType)
        ? upload.contentType
        : 'application/octet-stream';
    const etag = `"${upload.sha256}"`;
    const headers: Record<string, string> = {
      'Content-Type': type,
      'Content-Disposition': contentDisposition(inline ? 'inline' : 'attachment', upload.name),
      'Content-Security-Policy': "default-src 'none'; sandbox",
      'Cache-Control': 'private, max-age=31536000, immutable',
      'Accept-Ranges': 'bytes',
      'Cross-Origin-Resource-Policy': 'same-site',
      ETag: etag,
      'Last-Modified': new Date(upload.createdAt).toUTCString(),
    };
    const inm = req.headers['if-none-match'];
    if (inm?.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
      res.writeHead(304, {
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        ...headers,
      });
      res.end();
      return;
    }
    const ifRange = req.headers['if-range'];
    const range =
      ifRange === undefined || ifRange === etag ? parseRange(req.headers.range, size) : ('ignore' as const);
    if (range === 'unsatisfiable') {
      this.send(
        res,
        416,
        { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Range': `bytes */${size}` },
        'Range not satisfiable\n',
        head,
      );
      return;
    }
    const start = range === 'ignore' ? 0 : range.start;
    const end = range === 'ignore' ? size - 1 : range.end;
    const status = range === 'ignore' ? 200 : 206;
    if (status === 206) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    res.writeHead(status, {
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      ...headers,
      'Content-Length': String(Math.max(0, end - start + 1)),
    });
    if (head || size === 0) {
      res.end();
      return;
    }
    await pipeline(createReadStream(path, { start, end }), res).catch(() => res.destroy());
  }
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null)) !== null;
}

/** fsync a file's contents (a rename is only as durable as the bytes behind it). */
async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
