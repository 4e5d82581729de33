/**
 * One IRC message: parse from a line, serialize to a line.
 * Grammar: RFC 1459 §2.3.1 / RFC 2812 §2.3.1 as clarified by the modern client protocol
 * documentation, with the IRCv3 message-tags prefix.
 */
import { parseTags, serializeTags, type Tags } from './tags.js';
import { utf8Length } from './utf8.js';

export interface IrcMessage {
  tags: Tags;
  /** The source (prefix) without ':', or null. */
  source: string | null;
  /** Command, upper-cased (numerics stay as three digits). */
  command: string;
  params: string[];
}

/** Length limits (message-tags spec "Size limit"; RFC 2812 §2.3). */
export const MAX_TAGS_BYTES = 8191;
export const MAX_CLIENT_TAGS_BYTES = 4094;
export const MAX_BODY_BYTES = 512; // including the trailing CR LF

export type ParseResult =
  | { ok: true; message: IrcMessage; tagBytes: number }
  | { ok: false; reason: 'empty' | 'no-command' };

/**
 * Parses one line (already stripped of CR/LF). Never throws: callers feed it
 * whatever a client sends.
 */
export function parseLine(line: string): ParseResult {
  let pos = 0;
  const len = line.length;
  while (pos < len && line.charCodeAt(pos) === 32) pos++;
  if (pos >= len) return { ok: false, reason: 'empty' };

  let tags: Tags = EMPTY_TAGS;
  let tagBytes = 0;
  if (line.charCodeAt(pos) === 64 /* @ */) {
    const end = line.indexOf(' ', pos);
    if (end === -1) return { ok: false, reason: 'no-command' };
    const section = line.slice(pos + 1, end);
    tagBytes = utf8Length(section) + 2; // '@' and the space
    tags = parseTags(section);
    pos = end;
    while (pos < len && line.charCodeAt(pos) === 32) pos++;
  }

  let source: string | null = null;
  if (pos < len && line.charCodeAt(pos) === 58 /* : */) {
    const end = line.indexOf(' ', pos);
    if (end === -1) return { ok: false, reason: 'no-command' };
    source = line.slice(pos + 1, end);
    pos = end;
    while (pos < len && line.charCodeAt(pos) === 32) pos++;
  }
  if (pos >= len) return { ok: false, reason: 'no-command' };

  let end = line.indexOf(' ', pos);
  if (end === -1) end = len;
  const command = asciiUpper(line.slice(pos, end));
  pos = end;

  const params: string[] = [];
  while (pos < len) {
    while (pos < len && line.charCodeAt(pos) === 32) pos++;
    if (pos >= len) break;
    if (line.charCodeAt(pos) === 58 /* : trailing */) {
      params.push(line.slice(pos + 1));
      break;
    }
    let next = line.indexOf(' ', pos);
    if (next === -1) next = len;
    params.push(line.slice(pos, next));
    pos = next;
  }
  return { ok: true, message: { tags, source, command, params }, tagBytes };
}

/**
 * Upper-cases ASCII letters only (RFC 2812 §2.3.1: `letter = %x41-5A / %x61-7A`).
 * String#toUpperCase would turn 'prıvmsg' (dotless i) into PRIVMSG and 'ſetname' into SETNAME.
 */
function asciiUpper(s: string): string {
  return s.replace(/[a-z]+/g, (run) => run.toUpperCase());
}

const EMPTY_TAGS: Tags = Object.freeze(Object.create(null)) as Tags;

/** True when a parameter has to be sent as the trailing (':'-prefixed) parameter. */
function needsTrailing(param: string): boolean {
  return param === '' || param.charCodeAt(0) === 58 || param.includes(' ');
}

/**
 * Serializes the part of a message after the tags: `:source COMMAND p1 p2 :last`.
 * Only the last parameter may contain spaces or start with ':'.
 */
export function serializeBody(source: string | null, command: string, params: readonly string[]): string {
  let out = source === null ? command : ':' + source + ' ' + command;
  const last = params.length - 1;
  for (let i = 0; i < last; i++) out += ' ' + middleParam(params[i]!);
  if (last >= 0) {
    const p = params[last]!;
    out += needsTrailing(p) ? ' :' + p : ' ' + p;
  }
  return out;
}

/**
 * A middle parameter can hold no space, cannot be empty and cannot start with ':'.
 * Replies often echo what a client sent (`432 * <nick>`), so a hostile value is cut at
 * its first space rather than allowed to shift every later parameter on the wire.
 */
function middleParam(p: string): string {
  if (p === '') return '*';
  const space = p.indexOf(' ');
  const cut = space === -1 ? p : p.slice(0, space) || '*';
  return cut.charCodeAt(0) === 58 ? '*' + cut.slice(1) : cut;
}

/** Serializes a whole message with CR LF. */
export function serializeMessage(msg: IrcMessage): string {
  const tagText = serializeTags(msg.tags);
  const body = serializeBody(msg.source, msg.command, msg.params);
  return (tagText === '' ? '' : '@' + tagText + ' ') + body + '\r\n';
}
