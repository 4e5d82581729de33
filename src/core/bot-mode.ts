/**
 * IRCv3 bot-mode: a user marks itself a bot with user mode +B (ISUPPORT `BOT=B`). Others see
 * it in WHOIS (RPL_WHOISBOT, 335), in WHO's flags (a B after H/G), and as the `bot` tag on the
 * messages it sends, for clients with message-tags.
 *
 * Kept beside the user (a WeakSet) rather than as a field, so it needs nothing from the
 * session's or the cluster's records; a bot on another node of a cluster is not marked here.
 */
import type { Tags } from '../protocol/tags.js';

export const BOT_MODE = 'B';

const bots = new WeakSet<object>();

/** A connection stands for its person (person.ts): the mode is the person's. */
const personKey = (user: object): object => (user as { person?: object }).person ?? user;

export function isBot(user: object): boolean {
  return bots.has(personKey(user));
}

/** Sets or clears the mode; whether anything changed. */
export function setBot(user: object, on: boolean): boolean {
  const key = personKey(user);
  if (bots.has(key) === on) return false;
  if (on) bots.add(key);
  else bots.delete(key);
  return true;
}

/**
 * The tags relayed with a message from `user`: the client's own, plus `bot` (no value) when it
 * is a bot. It travels with the client tags (only clients with message-tags receive either)
 * and, being set here, a client can never forge it: client tags are `+` tags only.
 */
export function withBotTag(user: object, tags: Tags | null): Tags | null {
  if (!bots.has(personKey(user))) return tags;
  return tags === null ? { bot: '' } : { bot: '', ...tags };
}
