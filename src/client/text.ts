/** Pure helpers for names and text: case folding, channel names, sources, base64, splitting. */
import { utf8Length } from '../protocol/utf8.js';

const encoder = new TextEncoder();

/** Base64 of a string's UTF-8 bytes (SASL PLAIN, HTTP Basic), without Buffer. */
export function base64Utf8(text: string): string {
  let binary = '';
  for (const byte of encoder.encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** ASCII case folding (tertulia's CASEMAPPING=ascii; close enough elsewhere for lookups). */
export function fold(name: string): string {
  return name.toLowerCase();
}

export function isChannel(name: string): boolean {
  return /^[#&+!]/.test(name);
}

/** The nick of a message source (`nick!user@host`), '' for none (the server). */
export function nickOf(source: string | null): string {
  if (source === null) return '';
  const bang = source.indexOf('!');
  return bang === -1 ? source : source.slice(0, bang);
}

/**
 * Splits text into pieces of at most `maxBytes` UTF-8 bytes, preferring to cut at a space and
 * never inside a character. Newlines always start a new piece; empty lines are dropped.
 */
export function splitText(text: string, maxBytes: number): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    let rest = line;
    while (utf8Length(rest) > maxBytes) {
      let bytes = 0;
      let cut = 0;
      for (const ch of rest) {
        const b = utf8Length(ch);
        if (bytes + b > maxBytes) break;
        bytes += b;
        cut += ch.length;
      }
      const space = rest.lastIndexOf(' ', cut);
      const at = space > cut / 2 ? space : cut;
      out.push(rest.slice(0, at));
      rest = rest.slice(at).replace(/^ /, '');
    }
    if (rest !== '') out.push(rest);
  }
  return out;
}
