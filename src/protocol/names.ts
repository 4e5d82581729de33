/**
 * Validity of nicknames, user names and channel names.
 * Nicknames follow RFC 2812 §2.3.1 (`letter / special` then `letter / digit / special / "-"`),
 * which every client and bot understands. Channel names follow RFC 2812 §1.3 with the
 * modern docs' CHANTYPES: `#` only.
 */
export const CHANTYPES = '#';

const NICK = /^[A-Za-z[\]\\`_^{|}][A-Za-z0-9[\]\\`_^{|}-]*$/;

export function isValidNick(nick: string, maxLen: number): boolean {
  return nick.length > 0 && nick.length <= maxLen && NICK.test(nick);
}

export function isChannelName(name: string): boolean {
  return name.length > 0 && CHANTYPES.includes(name[0]!);
}

/** Forbidden anywhere in a channel name: NUL, BEL, CR, LF, space, comma, colon. */
const CHANNEL_BAD = /[\x00\x07\r\n ,:]/;

export function isValidChannel(name: string, maxLen: number): boolean {
  return (
    name.length > 1 && Buffer.byteLength(name) <= maxLen && isChannelName(name) && !CHANNEL_BAD.test(name)
  );
}

/** The user (ident) field: printable ASCII without space or '@', trimmed to maxLen. */
export function sanitizeUsername(user: string, maxLen: number): string | null {
  const cleaned = user.replace(/[^\x21-\x3f\x41-\x7e]/g, '').slice(0, maxLen);
  return cleaned.length > 0 ? cleaned : null;
}
