/**
 * Message text as the web client shows it: links made clickable, and links to files shared
 * through this server (`/files/<id>/<name>`, see src/http/uploads.ts) shown as an image
 * preview or a download card. Pure functions on strings.
 */

export type Segment = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

/** http(s) URLs; trailing punctuation that usually ends a sentence is left out. */
const URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;
const TRAILING = /[.,;:!?)\]}'"]+$/;

export function linkify(text: string): Segment[] {
  const out: Segment[] = [];
  let pos = 0;
  for (const m of text.matchAll(URL_RE)) {
    let url = m[0];
    const trail = TRAILING.exec(url);
    // Keep a closing parenthesis that closes one inside the URL (wiki-style links).
    if (trail !== null) {
      let cut = trail[0];
      if (cut.startsWith(')') && url.slice(0, -cut.length).includes('(')) cut = cut.slice(1);
      url = url.slice(0, url.length - cut.length);
    }
    const start = m.index;
    if (start > pos) out.push({ kind: 'text', text: text.slice(pos, start) });
    out.push({ kind: 'link', text: url, href: url });
    pos = start + url.length;
  }
  if (pos < text.length) out.push({ kind: 'text', text: text.slice(pos) });
  return out;
}

export interface SharedFile {
  /** Where the page fetches it (same origin as the page when it is this server's file). */
  href: string;
  name: string;
  image: boolean;
}

const IMAGE_EXT = /\.(png|jpe?g|gif|webp|avif|bmp)$/i;

/**
 * The file a message shares, if its whole text is a link to this server's `/files/` (how
 * the web and terminal clients share uploads). `fileHost` is the advertised upload URL and
 * `origin` the page's; a link to the upload host is rewritten to the page's origin, which
 * the page's Content-Security-Policy allows.
 */
export function sharedFile(text: string, fileHost: string | null, origin: string): SharedFile | null {
  const trimmed = text.trim();
  if (/\s/.test(trimmed) || fileHost === null) return null;
  let url: URL;
  let host: URL;
  try {
    url = new URL(trimmed);
    host = new URL(fileHost);
  } catch {
    return null;
  }
  const m = /^\/files\/([^/]+)\/([^/]+)$/.exec(url.pathname);
  if (m === null || url.host !== host.host) return null;
  let name: string;
  try {
    name = decodeURIComponent(m[2]!);
  } catch {
    name = m[2]!;
  }
  return { href: new URL(url.pathname, origin).href, name, image: IMAGE_EXT.test(name) };
}

/** A byte count for people: 512 B, 1.5 KB, 25 MB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}
