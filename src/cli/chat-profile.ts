/**
 * `/profile` in the terminal client: shows and sets display name, status and avatar
 * (IRCv3 draft/metadata-2 through the client library, src/client/profiles.ts).
 *
 *   /profile                 your profile
 *   /profile NICK            someone's
 *   /profile name TEXT       set your display name (no TEXT: clear it)
 *   /profile status TEXT     set your status
 *   /profile avatar URL|FILE set your avatar: a link, or a file uploaded for you
 */
import { existsSync } from 'node:fs';
import type { ChatClient, Profile, ProfileField } from '../client/index.js';

const FIELDS: Record<string, ProfileField> = { name: 'displayName', status: 'status', avatar: 'avatar' };
const LABELS: Record<ProfileField, string> = { displayName: 'name', status: 'status', avatar: 'avatar' };

export const PROFILE_HELP = [
  '  /profile [NICK]    your profile, or someone else’s (name, status, avatar)',
  '  /profile name|status|avatar [TEXT]  set yours (no TEXT clears it; avatar: a URL or a FILE to upload)',
];

/** `nick`'s profile as lines to print. */
export function describeProfile(nick: string, profile: Profile): string[] {
  const set = (Object.keys(LABELS) as ProfileField[]).filter((f) => profile[f] !== undefined);
  if (set.length === 0) return [`${nick} has no profile set`];
  return [`Profile of ${nick}:`, ...set.map((f) => `  ${LABELS[f]}: ${profile[f]}`)];
}

/** A profile change someone else made, as one line. */
export function profileChangeLine(nick: string, before: Profile | undefined, after: Profile): string | null {
  const parts: string[] = [];
  for (const field of Object.keys(LABELS) as ProfileField[]) {
    if (before?.[field] === after[field]) continue;
    parts.push(
      after[field] === undefined
        ? `cleared their ${LABELS[field]}`
        : `set their ${LABELS[field]} to ${after[field]}`,
    );
  }
  return parts.length === 0 ? null : `${nick} ${parts.join(', ')}`;
}

/** The person's name as messages show it: `Display Name (nick)`, or the nick alone. */
export function shownName(nick: string, profile: Profile | undefined): string {
  const display = profile?.displayName;
  return display === undefined || display === nick ? nick : `${display} (${nick})`;
}

/**
 * Runs `/profile <args>`; resolves with the lines to print. `upload` turns a file into a URL
 * (the client's upload endpoint), for an avatar given as a file.
 */
export async function profileCommand(
  client: ChatClient,
  args: string,
  upload: (file: string) => Promise<string>,
): Promise<string[]> {
  if (!client.profilesAvailable) return ['! This server keeps no profiles (no draft/metadata-2)'];
  const space = args.indexOf(' ');
  const first = (space === -1 ? args : args.slice(0, space)).trim();
  const rest = space === -1 ? '' : args.slice(space + 1).trim();
  const field = FIELDS[first.toLowerCase()];
  if (first === '') {
    return describeProfile(`${client.currentNick} (you)`, client.profileOf(client.currentNick) ?? {});
  }
  if (field === undefined) {
    if (rest !== '') return ['! Usage: /profile [NICK] or /profile name|status|avatar [TEXT]'];
    return describeProfile(first, await client.fetchProfile(first));
  }
  let value = rest;
  if (field === 'avatar' && value !== '' && !/^https?:\/\//i.test(value)) {
    if (!existsSync(value)) return [`! ${value} is neither a link nor a file`];
    value = await upload(value);
  }
  await client.setProfile(field, value === '' ? null : value);
  return [value === '' ? `Your ${LABELS[field]} is cleared` : `Your ${LABELS[field]} is now ${value}`];
}
