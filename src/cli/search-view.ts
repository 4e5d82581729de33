/**
 * How `/search` shows its results in the terminal client: one line per hit with its date
 * (results are often old), where it was said, who said it, and the matching words in bold
 * (or between asterisks when the terminal has no colours).
 */
import type { SearchHit } from '../client/search.js';
import { clean, clock, type Palette } from './chat-ui.js';

/** `/search` arguments: `in:#room` / `in:nick` and `from:nick` pick, the rest is the query. */
export function parseSearchArgs(rest: string): { text: string; in?: string; from?: string } {
  const words: string[] = [];
  const out: { text: string; in?: string; from?: string } = { text: '' };
  for (const word of rest.split(/\s+/)) {
    if (word.startsWith('in:') && word.length > 3) out.in = word.slice(3);
    else if (word.startsWith('from:') && word.length > 5) out.from = word.slice(5);
    else if (word !== '') words.push(word);
  }
  out.text = words.join(' ');
  return out;
}

/** `YYYY-MM-DD HH:MM` in local time. */
export function dateTime(time: Date): string {
  const d = `${time.getFullYear()}-${String(time.getMonth() + 1).padStart(2, '0')}-${String(time.getDate()).padStart(2, '0')}`;
  return `${d} ${clock(time)}`;
}

/** The text with its highlight ranges marked. */
export function marked(hit: SearchHit, c: Palette, colour: boolean): string {
  let out = '';
  let at = 0;
  for (const [start, end] of hit.highlights) {
    out += clean(hit.text.slice(at, start));
    const word = clean(hit.text.slice(start, end));
    out += colour ? c.bold(word) : `*${word}*`;
    at = end;
  }
  return out + clean(hit.text.slice(at));
}

/** One result line: `[2024-05-01 10:02] #lobby ana: the *deploy* broke`. */
export function formatHit(hit: SearchHit, c: Palette, colour: boolean): string {
  const when = c.dim(`[${dateTime(hit.time)}]`);
  const text = marked(hit, c, colour);
  const who = hit.self ? `${c.me(hit.from)} (you)` : c.nick(hit.from);
  if (hit.private)
    return hit.self ? `${when} ${who} → ${c.nick(hit.target)}: ${text}` : `${when} ${who} (private): ${text}`;
  if (hit.action) return `${when} ${hit.conversation} * ${who} ${text}`;
  return `${when} ${hit.conversation} ${who}: ${text}`;
}
