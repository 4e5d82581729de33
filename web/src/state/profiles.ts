/**
 * People's profiles (IRCv3 draft/metadata-2, src/client/profiles.ts) in the state: by folded
 * nick, the display name, avatar and status each person set. Pure functions.
 */
import type { Profile } from '../../../src/client/profiles.js';
import { fold } from './conversations.js';
import type { State } from './model.js';

export type { Profile };

export function setProfile(s: State, nick: string, profile: Profile): State {
  return { ...s, profiles: { ...s.profiles, [fold(nick)]: profile } };
}

/** A nick change: the profile goes with the person. */
export function renameProfile(s: State, oldNick: string, newNick: string): State {
  const profile = s.profiles[fold(oldNick)];
  if (profile === undefined) return s;
  const { [fold(oldNick)]: _gone, ...rest } = s.profiles;
  return { ...s, profiles: { ...rest, [fold(newNick)]: profile } };
}

export function profileOf(s: State, nick: string): Profile | undefined {
  return s.profiles[fold(nick)];
}

/** The name to show for someone: their display name when they set one, else the nick. */
export function shownName(s: State, nick: string): string {
  return profileOf(s, nick)?.displayName ?? nick;
}

/**
 * The avatar to show, only when it is served by this server (an uploaded image): the page
 * loads images from its own origin only (its CSP), and a link elsewhere would tell a third
 * party who is reading.
 */
export function avatarUrl(profile: Profile | undefined, origin: string): string | undefined {
  if (profile?.avatar === undefined) return undefined;
  try {
    const url = new URL(profile.avatar, origin);
    return url.origin === origin ? url.href : undefined;
  } catch {
    return undefined;
  }
}
