/**
 * A message the server sends. It is serialized lazily, at most once per tag variant, and
 * the same bytes go to every recipient of that variant (DESIGN.md: "a message is
 * serialized once per fan-out").
 *
 * Which tags a recipient gets depends on three capabilities (message-tags, server-time,
 * account-tag), so there are at most 8 variants. Tags that exist for one recipient only
 * (label, batch) go through `bytesWith`, which never touches the cache.
 */
import { MAX_SERVER_TAGS_BYTES, serializeBodyWithin } from '../protocol/line-limits.js';
import { escapeTagValue, type Tags } from '../protocol/tags.js';
import { utf8Length } from '../protocol/utf8.js';
import { Cap, TAG_CAP_MASK } from './caps.js';

export class Outgoing {
  private body: string | null = null;
  private readonly variants: Array<Buffer | undefined> = [];

  constructor(
    readonly source: string | null,
    readonly command: string,
    readonly params: readonly string[],
    /** server-time value (ISO 8601), or null. */
    readonly time: string | null = null,
    readonly msgid: string | null = null,
    readonly account: string | null = null,
    /** Client-only (+) tags relayed from the sender, already validated. */
    readonly clientTags: Tags | null = null,
  ) {}

  /** Whether a client without message-tags may receive this at all (TAGMSG may not). */
  get needsMessageTags(): boolean {
    return this.command === 'TAGMSG';
  }

  bytesFor(caps: number): Buffer {
    const key = caps & TAG_CAP_MASK;
    let bytes = this.variants[key];
    if (bytes === undefined) {
      bytes = Buffer.from(this.render(key, null), 'utf8');
      this.variants[key] = bytes;
    }
    return bytes;
  }

  /** A one-off serialization with extra tags (label, batch) in front of the usual ones. */
  bytesWith(caps: number, extra: Tags): Buffer {
    return Buffer.from(this.render(caps & TAG_CAP_MASK, extra), 'utf8');
  }

  private render(caps: number, extra: Tags | null): string {
    let tags = '';
    if (extra !== null) {
      for (const k in extra) tags += (tags === '' ? '' : ';') + tagPair(k, extra[k]!);
    }
    if (this.time !== null && caps & (Cap.serverTime | Cap.messageTags)) {
      tags += (tags === '' ? '' : ';') + 'time=' + this.time;
    }
    if (this.msgid !== null && caps & Cap.messageTags)
      tags += (tags === '' ? '' : ';') + 'msgid=' + this.msgid;
    if (this.account !== null && caps & (Cap.accountTag | Cap.messageTags)) {
      tags += (tags === '' ? '' : ';') + 'account=' + escapeTagValue(this.account);
    }
    // Server tags come before client-only tags (message-tags §"Client-only tags").
    if (this.clientTags !== null && caps & Cap.messageTags) {
      const serverTags = tags;
      for (const k in this.clientTags) tags += (tags === '' ? '' : ';') + tagPair(k, this.clientTags[k]!);
      // message-tags §Size limit: a tag section over 8191 bytes loses the client's tags.
      if (tags.length * 3 + 2 > MAX_SERVER_TAGS_BYTES && utf8Length(tags) + 2 > MAX_SERVER_TAGS_BYTES)
        tags = serverTags;
    }
    // Every line fits 512 bytes without its tags (RFC 2812 §2.3), whatever it quotes.
    this.body ??= serializeBodyWithin(this.source, this.command, this.params);
    return (tags === '' ? '' : '@' + tags + ' ') + this.body + '\r\n';
  }
}

function tagPair(key: string, value: string): string {
  return value === '' ? key : key + '=' + escapeTagValue(value);
}

let formattedAt = -1;
let formatted = '';

/**
 * server-time value (IRCv3 server-time: ISO 8601 UTC with milliseconds) for a time in ms.
 * Formatting a date costs about a microsecond and many messages share a millisecond, so
 * the last result is kept.
 */
export function serverTime(ms: number): string {
  if (ms !== formattedAt) {
    formattedAt = ms;
    formatted = new Date(ms).toISOString();
  }
  return formatted;
}

/** server-time value for "now". */
export function serverTimeNow(): string {
  return serverTime(Date.now());
}
