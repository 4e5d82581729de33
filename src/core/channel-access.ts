/**
 * Who a channel's lists let in and let speak: bans (+b), ban exceptions (+e), invite
 * exceptions (+I), and the extended bans (ISUPPORT `EXTBAN=,am`) that may appear in any of
 * them: `a:<account mask>` matches a logged-in account, `m:<mask>` (in +b only) mutes
 * rather than bans. Masks without a type are `nick!user@host` wildcards (RFC 2812 §2.5).
 *
 * Pure functions over the lists, so the channel keeps only data and each command asks one
 * question (modern.ircdocs.horse §Ban Exception, §Invite Exception; §EXTBAN).
 */
import { normalizeMask, wildcardMatch } from '../protocol/mask.js';

export interface MaskEntry {
  mask: string;
}

interface Matchable {
  mask: string;
  account: string | null;
}

/** The extban types, as advertised: EXTBAN=<no prefix>,<types>. */
export const EXTBAN_TYPES = 'am';

/**
 * The mask as stored: a known extban kept with its type (its mask completed for m:), a plain
 * mask completed to nick!user@host; null for an unknown type (`x:…`) or an empty value.
 */
export function listMask(arg: string): string | null {
  const typed = /^([a-zA-Z]):(.*)$/.exec(arg);
  if (typed === null) return normalizeMask(arg);
  const [, type, value] = typed as unknown as [string, string, string];
  if (value === '') return null;
  if (type === 'a') return `a:${value}`;
  if (type === 'm') return `m:${listMask(value) ?? normalizeMask(value)}`;
  return null;
}

/** Whether one list entry names this user (a mute matches here as its inner mask). */
export function entryMatches(mask: string, user: Matchable): boolean {
  if (mask.startsWith('a:')) return user.account !== null && wildcardMatch(mask.slice(2), user.account);
  if (mask.startsWith('m:')) return entryMatches(mask.slice(2), user);
  return wildcardMatch(mask, user.mask);
}

function anyMatches(list: readonly MaskEntry[], user: Matchable, which: (mask: string) => boolean): boolean {
  for (const e of list) if (which(e.mask) && entryMatches(e.mask, user)) return true;
  return false;
}

const always = (): boolean => true;
const notMute = (mask: string): boolean => !mask.startsWith('m:');

/** Banned from joining: a ban (not a mute) names them and no exception does. */
export function bannedFromJoining(
  bans: readonly MaskEntry[],
  exceptions: readonly MaskEntry[],
  user: Matchable,
): boolean {
  return bans.length > 0 && anyMatches(bans, user, notMute) && !anyMatches(exceptions, user, always);
}

/** May not speak: a ban or a mute names them and no exception does. */
export function silenced(
  bans: readonly MaskEntry[],
  exceptions: readonly MaskEntry[],
  user: Matchable,
): boolean {
  return bans.length > 0 && anyMatches(bans, user, always) && !anyMatches(exceptions, user, always);
}

/** May join a +i channel without an INVITE. */
export function inviteExcepted(invex: readonly MaskEntry[], user: Matchable): boolean {
  return invex.length > 0 && anyMatches(invex, user, always);
}

/** A CTCP other than ACTION (the +C rule: `\x01ACTION …\x01` is how /me is sent). */
export function isBlockedCtcp(text: string): boolean {
  return text.charCodeAt(0) === 1 && !/^\x01ACTION[ \x01]/.test(text);
}
