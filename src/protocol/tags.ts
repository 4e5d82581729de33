/**
 * IRCv3 message-tags: escaping of tag values and the tag section's wire form.
 * https://ircv3.net/specs/extensions/message-tags ("Escaping values").
 */

/** Tag values keyed by tag name; a tag sent without a value maps to ''. */
export type Tags = Record<string, string>;

const ESCAPES: Record<string, string> = { ':': ';', s: ' ', '\\': '\\', r: '\r', n: '\n' };

export function unescapeTagValue(raw: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    i++;
    if (i >= raw.length) break; // a trailing lone backslash is dropped
    const next = raw[i]!;
    // An unknown escape drops the backslash and keeps the character.
    out += ESCAPES[next] ?? next;
  }
  return out;
}

export function escapeTagValue(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    switch (c) {
      case ';':
        out += '\\:';
        break;
      case ' ':
        out += '\\s';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\n':
        out += '\\n';
        break;
      default:
        out += c;
    }
  }
  return out;
}

/** Parses the tag section (without the leading '@'). Later duplicates win, as the spec says. */
export function parseTags(section: string): Tags {
  const tags: Tags = Object.create(null);
  for (const item of section.split(';')) {
    // An empty item, or one with an empty key (`=x`), names no tag: skip it.
    if (item === '' || item.charCodeAt(0) === 61 /* = */) continue;
    const eq = item.indexOf('=');
    if (eq === -1) tags[item] = '';
    else tags[item.slice(0, eq)] = unescapeTagValue(item.slice(eq + 1));
  }
  return tags;
}

/** Serializes tags without the leading '@' or trailing space; '' when there are none. */
export function serializeTags(tags: Tags): string {
  let out = '';
  for (const key in tags) {
    const value = tags[key]!;
    if (out !== '') out += ';';
    out += value === '' ? key : key + '=' + escapeTagValue(value);
  }
  return out;
}

/** Client-only tags start with '+' (message-tags spec, "Client-only tags"). */
export function isClientTag(key: string): boolean {
  return key.charCodeAt(0) === 43; /* + */
}

/** Tag names: optional '+', optional vendor with '/', then letters, digits and hyphens. */
const TAG_KEY = /^\+?([A-Za-z0-9.-]+\/)?[A-Za-z0-9-]+$/;
export function isValidTagKey(key: string): boolean {
  return TAG_KEY.test(key);
}
