/**
 * People's profiles for the client library, over IRCv3 draft/metadata-2
 * (https://ircv3.net/specs/extensions/metadata): the display name, avatar (a URL, e.g. an
 * uploaded image) and status text of each nick, from the keys of the IRCv3 metadata
 * registry (`display-name`, `avatar`, `status`).
 *
 * After the welcome the client subscribes to those keys (`METADATA * SUB`); the server then
 * sends the client's own profile, those of the people in each room it joins, and every
 * change (METADATA messages), which land here. `ChatClientBase` routes the lines and emits
 * `profile` for each change. Nothing here sends on its own.
 */
import type { IrcMessage } from '../protocol/message.js';

export const PROFILE_KEYS = { displayName: 'display-name', avatar: 'avatar', status: 'status' } as const;

export type ProfileField = keyof typeof PROFILE_KEYS;

/** What is known of one person's profile; a field is absent when they have not set it. */
export interface Profile {
  displayName?: string;
  avatar?: string;
  status?: string;
}

const FIELD_OF = new Map<string, ProfileField>(
  Object.entries(PROFILE_KEYS).map(([field, key]) => [key, field as ProfileField]),
);

/** The change one line made: whose profile, and the whole profile now. */
export interface ProfileChange {
  nick: string;
  profile: Profile;
  /**
   * A change the person made just now (a METADATA notification from them), not a profile
   * learnt by joining a room, connecting or asking.
   */
  live: boolean;
}

function fold(nick: string): string {
  return nick.toLowerCase();
}

export class Profiles {
  private readonly byNick = new Map<string, Profile>();

  get(nick: string): Profile | undefined {
    return this.byNick.get(fold(nick));
  }

  /**
   * Takes a METADATA message, RPL_KEYVALUE (761) or RPL_KEYNOTSET (766); returns the change,
   * or null when the line is about another key or a room.
   */
  handle(msg: IrcMessage): ProfileChange | null {
    const p = msg.params;
    let target: string | undefined;
    let key: string | undefined;
    let value: string | undefined;
    if (msg.command === 'METADATA') {
      // METADATA <Target> <Key> <Visibility> [:<Value>] (metadata §METADATA server message)
      [target, key] = p;
      value = p[3];
    } else if (msg.command === '761') {
      // 761 <client> <Target> <Key> <Visibility> [:<Value>]
      [, target, key] = p;
      value = p[4];
    } else if (msg.command === '766') {
      // 766 <client> <Target> <Key> :key not set
      [, target, key] = p;
    } else return null;
    if (target === undefined || key === undefined || /^[#&+!]/.test(target)) return null;
    const field = FIELD_OF.get(key);
    if (field === undefined) return null;
    const profile = { ...this.byNick.get(fold(target)) };
    if (value === undefined || value === '') delete profile[field];
    else profile[field] = value;
    this.byNick.set(fold(target), profile);
    const live =
      msg.command === 'METADATA' && msg.tags['batch'] === undefined && (msg.source ?? '').includes('!');
    return { nick: target, profile, live };
  }

  /** A nick change: the profile goes with the person. */
  rename(oldNick: string, newNick: string): void {
    const profile = this.byNick.get(fold(oldNick));
    if (profile === undefined) return;
    this.byNick.delete(fold(oldNick));
    this.byNick.set(fold(newNick), profile);
  }

  forget(nick: string): void {
    this.byNick.delete(fold(nick));
  }
}
