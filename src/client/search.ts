/**
 * Server-side search for the client library, two ways:
 * - over the IRC connection: `SEARCH` (soju.im/search), which any logged-in user or guest
 *   can use (`ChatClient.search`, built on `SearchQueue` here), and
 * - over HTTP: `searchApi`, `GET /api/search` with the account's name and password, which
 *   adds relevance order, highlight ranges computed by the server, and cursor paging.
 *
 * Both run in Node and in browsers (fetch, no Buffer). Results of `SEARCH` get highlight
 * ranges computed here with the same rules as the server (protocol/search-query.ts).
 */
import { highlightRanges, parseSearchQuery } from '../protocol/search-query.js';
import { escapeTagValue } from '../protocol/tags.js';
import type { ChatMessage } from './events.js';

export interface SearchOptions {
  /** A room, or a nick for the private conversation with them. */
  in?: string;
  /** Only messages sent with this nick. */
  from?: string;
  /** Only messages at or after / at or before this time. */
  after?: Date;
  before?: Date;
  /** At most this many (the server caps it at its CHATHISTORY limit). */
  limit?: number;
}

/** A search hit: the message, and where the query's words are in its text. */
export interface SearchHit extends ChatMessage {
  /** [start, end) ranges in UTF-16 code units of `text`. */
  highlights: Array<[number, number]>;
}

/** The batch type SEARCH replies with. */
export const SEARCH_BATCH = 'soju.im/search';

/** The `SEARCH` attributes (message-tag format, values escaped as tag values). */
export function searchAttributes(text: string, opts: SearchOptions = {}): string {
  const attrs: Array<[string, string]> = [['text', text]];
  if (opts.in !== undefined) attrs.push(['in', opts.in]);
  if (opts.from !== undefined) attrs.push(['from', opts.from]);
  if (opts.after !== undefined) attrs.push(['after', opts.after.toISOString()]);
  if (opts.before !== undefined) attrs.push(['before', opts.before.toISOString()]);
  if (opts.limit !== undefined) attrs.push(['limit', String(opts.limit)]);
  return attrs.map(([k, v]) => `${k}=${escapeTagValue(v)}`).join(';');
}

/** Adds highlight ranges to messages found for `text`. */
export function withHighlights(text: string, messages: readonly ChatMessage[]): SearchHit[] {
  const query = parseSearchQuery(text);
  return messages.map((m) => ({ ...m, highlights: 'error' in query ? [] : highlightRanges(m.text, query) }));
}

interface Pending {
  text: string;
  resolve: (hits: SearchHit[]) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Searches waiting for their reply. The server answers SEARCH commands in order, each with
 * one `soju.im/search` batch or one `FAIL SEARCH`, so replies are matched first in, first out.
 */
export class SearchQueue {
  private readonly pending: Pending[] = [];

  constructor(private readonly timeoutMs = 15_000) {}

  /** Registers a search just sent; the promise settles with its reply. */
  add(text: string): Promise<SearchHit[]> {
    return new Promise((resolve, reject) => {
      const entry: Pending = {
        text,
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.pending.indexOf(entry);
          if (i !== -1) this.pending.splice(i, 1);
          reject(new Error('search timed out'));
        }, this.timeoutMs),
      };
      this.pending.push(entry);
    });
  }

  /** A search batch ended with these messages. */
  finish(messages: readonly ChatMessage[]): void {
    const entry = this.pending.shift();
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    entry.resolve(withHighlights(entry.text, messages));
  }

  /** `FAIL SEARCH …`: the oldest search failed. Returns false when none was waiting. */
  fail(reason: string): boolean {
    const entry = this.pending.shift();
    if (entry === undefined) return false;
    clearTimeout(entry.timer);
    entry.reject(new Error(reason));
    return true;
  }

  /** The connection went away: nothing will answer. */
  abort(reason: string): void {
    while (this.fail(reason)) {
      // every waiting search is rejected
    }
  }
}

// ---------------------------------------------------------------- HTTP: GET /api/search

export interface SearchApiParams extends SearchOptions {
  q: string;
  order?: 'relevance' | 'newest' | 'oldest';
  /** The previous page's `cursor`. */
  cursor?: string;
}

export interface SearchApiHit {
  msgid: string;
  /** ISO 8601. */
  time: string;
  command: 'PRIVMSG' | 'NOTICE';
  /** The room, or the other person of a private conversation. */
  target: string;
  private: boolean;
  from: string;
  account: string | null;
  text: string;
  /** [start, end) ranges in UTF-16 code units of `text`. */
  highlights: Array<[number, number]>;
  score: number;
}

export interface SearchApiPage {
  order: 'relevance' | 'newest' | 'oldest';
  hits: SearchApiHit[];
  /** Pass it back for the next page; null on the last one. */
  cursor: string | null;
}

/**
 * One page of `GET /api/search` on a tertulia HTTP listener (`baseUrl`, e.g.
 * `https://chat.example.org`). Rejects with the server's error message on 4xx/5xx.
 */
export async function searchApi(
  baseUrl: string,
  credentials: { account: string; password: string },
  params: SearchApiParams,
): Promise<SearchApiPage> {
  const query = new URLSearchParams({ q: params.q });
  if (params.in !== undefined) query.set('in', params.in);
  if (params.from !== undefined) query.set('from', params.from);
  if (params.after !== undefined) query.set('after', params.after.toISOString());
  if (params.before !== undefined) query.set('before', params.before.toISOString());
  if (params.limit !== undefined) query.set('limit', String(params.limit));
  if (params.order !== undefined) query.set('order', params.order);
  if (params.cursor !== undefined) query.set('cursor', params.cursor);
  const basic = base64(`${credentials.account}:${credentials.password}`);
  const res = await fetch(`${baseUrl.replace(/\/+$/, '')}/api/search?${query}`, {
    headers: { Authorization: `Basic ${basic}` },
  });
  const body = (await res.json()) as SearchApiPage & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `search failed (HTTP ${res.status})`);
  return body;
}

/** Standard base64 of UTF-8 text, without Node's Buffer (browsers too). */
function base64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
