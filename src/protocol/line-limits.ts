/**
 * The size limits of a line the server sends, and the cuts that keep a line within them.
 *
 * RFC 2812 §2.3 / modern.ircdocs.horse §Messages: a message without its tags is at most 512
 * bytes including the CR LF. IRCv3 message-tags §Size limit: the tag section of a message
 * the server sends is at most 8191 bytes including the '@' and the space after it.
 *
 * Cuts never split a UTF-8 character: text is cut on a code point boundary, so every line
 * stays valid UTF-8 however it was shortened.
 */
import { serializeBody } from './message.js';
import { utf8Length } from './utf8.js';

/** Bytes a body may hold before the CR LF (512 − 2). */
export const MAX_BODY_BEFORE_CRLF = 510;

/** Bytes of a server's tag section, '@' and the trailing space included. */
export const MAX_SERVER_TAGS_BYTES = 8191;

/** The longest prefix of `text` of at most `maxBytes` UTF-8 bytes, never inside a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (maxBytes <= 0) return '';
  // A UTF-16 unit is at most 3 UTF-8 bytes: short strings need no counting.
  if (text.length * 3 <= maxBytes) return text;
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    let size: number;
    let units = 1;
    if (c < 0x80) size = 1;
    else if (c < 0x800) size = 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        size = 4;
        units = 2;
      } else size = 3;
    } else size = 3;
    if (bytes + size > maxBytes) break;
    bytes += size;
    i += units;
  }
  return text.slice(0, i);
}

/**
 * How many bytes of text fit in `:source COMMAND target :text` (RFC 2812 §2.3): what a
 * relayed PRIVMSG or NOTICE may carry once the server has added the sender's prefix.
 */
export function textBudget(source: string | null, command: string, target: string): number {
  const overhead =
    (source === null ? 0 : utf8Length(source) + 2) + command.length + 1 + utf8Length(target) + 2;
  return MAX_BODY_BEFORE_CRLF - overhead;
}

/** `text` cut (on a character boundary) so that `:source COMMAND target :text` fits in a line. */
export function fitText(source: string | null, command: string, target: string, text: string): string {
  return truncateUtf8(text, textBudget(source, command, target));
}

/**
 * The body of a line (`:source COMMAND params…`, no CR LF), cut to fit the 512-byte limit.
 * Replies sometimes quote what a client sent (a CAP REQ, an account name); when the line
 * would be too long the last parameter is shortened first, then the longest of the others,
 * so the command and its leading parameters survive.
 */
export function serializeBodyWithin(
  source: string | null,
  command: string,
  params: readonly string[],
): string {
  let body = serializeBody(source, command, params);
  if (body.length * 3 <= MAX_BODY_BEFORE_CRLF) return body;
  let excess = utf8Length(body) - MAX_BODY_BEFORE_CRLF;
  if (excess <= 0) return body;
  const cut = params.slice();
  const last = cut.length - 1;
  // Each round shortens one parameter by the excess (a cut can change the quoting by a
  // byte, so the excess is measured again after each).
  for (let round = 0; excess > 0 && round <= cut.length + 1; round++) {
    let index = last;
    if (last < 0 || cut[last] === '') {
      index = -1;
      let longestSize = 1;
      for (let i = 0; i < last; i++) {
        const size = utf8Length(cut[i]!);
        if (size > longestSize) {
          index = i;
          longestSize = size;
        }
      }
      if (index === -1) break;
    }
    const size = utf8Length(cut[index]!);
    cut[index] = truncateUtf8(cut[index]!, Math.max(index === last ? 0 : 1, size - excess));
    body = serializeBody(source, command, cut);
    excess = utf8Length(body) - MAX_BODY_BEFORE_CRLF;
  }
  // A source or command alone over the limit (never produced by this server): hard cut.
  return excess > 0 ? truncateUtf8(body, MAX_BODY_BEFORE_CRLF) : body;
}
