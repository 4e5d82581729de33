/**
 * Full-text search queries as data: what a person types into a search box, parsed into
 * terms both storage back ends understand the same way, and the highlight ranges of a hit.
 * Pure functions, shared by the server (SQLite FTS5, PostgreSQL full-text) and the client
 * library (which highlights results of `SEARCH` itself).
 *
 * The syntax is deliberately small, and nothing a user types can produce a syntax error in
 * either database (terms are rebuilt from letters and digits only):
 *   word      every word must appear (any order, case and accents ignored)
 *   "a b"     the words in this order, next to each other
 *   word*     a word starting with this
 *   -word     no message with this word (needs at least one word to find)
 *
 * Words are runs of letters and digits; anything else separates them, as in both indexes
 * (FTS5 `unicode61`; PostgreSQL 'simple' over `tertulia_search_text`, see migrations.ts).
 */

export interface SearchTerm {
  /** Folded words (lowercase, no diacritics); more than one is a phrase. */
  words: string[];
  /** The last word matches as a prefix (`word*`). */
  prefix: boolean;
  /** Messages with this term are excluded (`-word`). */
  negated: boolean;
}

export interface ParsedQuery {
  terms: SearchTerm[];
}

/** Longest query accepted, in characters. */
export const MAX_QUERY_CHARS = 300;
/** Most terms in one query (each is one index look-up). */
export const MAX_QUERY_TERMS = 12;

const COMBINING_DIACRITICS = /[\u0300-\u036f]+/g;
const NOT_WORD = /[^\p{L}\p{N}]+/u;

/**
 * Folds text the way the indexes do: Unicode canonical decomposition, combining
 * diacritical marks (U+0300–U+036F) removed, recomposed, lowercased. `mañana` → `manana`.
 */
export function foldText(text: string): string {
  return text.normalize('NFD').replace(COMBINING_DIACRITICS, '').normalize('NFC').toLowerCase();
}

/** The folded words of a piece of text. */
export function foldedWords(text: string): string[] {
  return foldText(text)
    .split(NOT_WORD)
    .filter((w) => w !== '');
}

/**
 * Parses a query. Returns an error message (for the user) instead of a query when it is
 * empty, too long, or has nothing to find.
 */
export function parseSearchQuery(input: string): ParsedQuery | { error: string } {
  if (input.length > MAX_QUERY_CHARS)
    return { error: `Search text is longer than ${MAX_QUERY_CHARS} characters` };
  const terms: SearchTerm[] = [];
  // A token is -?"phrase" or -?word (up to whitespace); an unclosed quote runs to the end.
  const token = /(-?)(?:"([^"]*)"?|(\S+))/g;
  for (let m = token.exec(input); m !== null; m = token.exec(input)) {
    const negated = m[1] === '-';
    const raw = m[2] ?? m[3] ?? '';
    const prefix = m[3] !== undefined && raw.endsWith('*');
    const words = foldedWords(raw);
    if (words.length === 0) continue;
    terms.push({ words, prefix, negated });
  }
  if (terms.length > MAX_QUERY_TERMS) return { error: `Search has more than ${MAX_QUERY_TERMS} terms` };
  if (!terms.some((t) => !t.negated)) return { error: 'Search needs at least one word to find' };
  return { terms };
}

/**
 * The FTS5 MATCH expression: every term as a double-quoted string (words are letters and
 * digits only, so they never contain a quote), prefix as `"…"*`, exclusions after NOT.
 */
export function toFts5Query(query: ParsedQuery): string {
  const quoted = (t: SearchTerm): string => `"${t.words.join(' ')}"${t.prefix ? '*' : ''}`;
  const wanted = query.terms.filter((t) => !t.negated).map(quoted);
  const unwanted = query.terms.filter((t) => t.negated).map(quoted);
  let expr = `(${wanted.join(' AND ')})`;
  for (const u of unwanted) expr += ` NOT ${u}`;
  return expr;
}

/**
 * The PostgreSQL `to_tsquery('simple', …)` text: each word single-quoted (letters and
 * digits only, so no quote inside), phrases joined with `<->`, prefix as `:*`.
 */
export function toTsQuery(query: ParsedQuery): string {
  const term = (t: SearchTerm): string => {
    const lexemes = t.words.map((w, i) => `'${w}'${t.prefix && i === t.words.length - 1 ? ':*' : ''}`);
    const expr = lexemes.length === 1 ? lexemes[0]! : `(${lexemes.join(' <-> ')})`;
    return t.negated ? `!${expr}` : expr;
  };
  return query.terms.map(term).join(' & ');
}

/**
 * Where the wanted terms occur in a message's text: sorted, non-overlapping [start, end)
 * ranges in UTF-16 code units (JavaScript string indices) of the original text.
 */
export function highlightRanges(text: string, query: ParsedQuery): Array<[number, number]> {
  // Word spans of the original text, with their folded form (marks stay inside a span).
  const spans: Array<{ start: number; end: number; word: string }> = [];
  const wordRun = /(?:\p{L}|\p{N}|\p{Mn})+/gu;
  for (let m = wordRun.exec(text); m !== null; m = wordRun.exec(text)) {
    const word = foldText(m[0]).replace(/[^\p{L}\p{N}]+/gu, '');
    if (word !== '') spans.push({ start: m.index, end: m.index + m[0].length, word });
  }
  const hits: Array<[number, number]> = [];
  for (const term of query.terms) {
    if (term.negated) continue;
    const n = term.words.length;
    for (let i = 0; i + n <= spans.length; i++) {
      let ok = true;
      for (let j = 0; j < n && ok; j++) {
        const w = term.words[j]!;
        const last = j === n - 1;
        ok = term.prefix && last ? spans[i + j]!.word.startsWith(w) : spans[i + j]!.word === w;
      }
      if (ok) hits.push([spans[i]!.start, spans[i + n - 1]!.end]);
    }
  }
  hits.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: Array<[number, number]> = [];
  for (const h of hits) {
    const last = merged[merged.length - 1];
    if (last !== undefined && h[0] <= last[1]) last[1] = Math.max(last[1], h[1]);
    else merged.push([h[0], h[1]]);
  }
  return merged;
}
