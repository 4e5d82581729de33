/**
 * Serves the built web client (web/dist, made by `vite build`). The files are read once
 * into memory (and gzipped when that helps), so a request can only ever name a file that
 * was found there: no path from a request reaches the file system, and `..` goes nowhere.
 * Vite's hashed files under `assets/` never change, so browsers keep them for a year;
 * everything else (index.html above all) is revalidated on every load with its ETag.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Worth compressing: text formats. */
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.svg', '.webmanifest', '.txt']);

/** A bound on what is held in memory: the client is far smaller (see scripts/web-size.mjs). */
const MAX_TOTAL_BYTES = 32 * 1024 * 1024;

export const IMMUTABLE = 'public, max-age=31536000, immutable';

export interface StaticFile {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  etag: string;
  cacheControl: string;
}

/** Where `npm run build` puts the web client, from this module's place in dist/src/http/. */
export function defaultWebRoot(): string {
  return fileURLToPath(new URL('../../../web/dist', import.meta.url));
}

export class StaticFiles {
  private files = new Map<string, StaticFile>();
  private scannedAt = 0;

  constructor(readonly root: string) {
    this.scan();
  }

  /** Whether a built client was found (else the server shows its placeholder page). */
  get available(): boolean {
    return this.files.has('/index.html');
  }

  /**
   * The file for a request path (`/` is index.html), or undefined. A miss under /assets/
   * re-reads the folder (at most once a second): a rebuild while running then serves the
   * new files that the new index.html names.
   */
  lookup(path: string): StaticFile | undefined {
    const key = path === '/' ? '/index.html' : path;
    const hit = this.files.get(key);
    if (hit !== undefined || !key.startsWith('/assets/') || Date.now() - this.scannedAt < 1000) return hit;
    this.scan();
    return this.files.get(key);
  }

  private scan(): void {
    this.scannedAt = Date.now();
    const files = new Map<string, StaticFile>();
    if (!existsSync(this.root)) {
      this.files = files;
      return;
    }
    let total = 0;
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        if (name.startsWith('.')) continue;
        const path = join(dir, name);
        const st = statSync(path);
        if (st.isDirectory()) {
          walk(path);
          continue;
        }
        if (!st.isFile()) continue;
        const ext = extname(name).toLowerCase();
        const type = MIME[ext];
        if (type === undefined) continue; // only what a browser needs, with a known type
        total += st.size;
        if (total > MAX_TOTAL_BYTES) throw new Error(`the web client in ${this.root} is too large to serve`);
        const body = readFileSync(path);
        const url = `/${relative(this.root, path).split(sep).join('/')}`;
        const gz = COMPRESSIBLE.has(ext) && body.length > 1024 ? gzipSync(body, { level: 9 }) : null;
        files.set(url, {
          body,
          gzip: gz !== null && gz.length < body.length ? gz : null,
          type,
          etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
          cacheControl: url.startsWith('/assets/') ? IMMUTABLE : 'no-cache',
        });
      }
    };
    walk(this.root);
    this.files = files;
  }
}
