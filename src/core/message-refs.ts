/**
 * The client-only tags by which one message refers to another (docs/MESSAGE-FEATURES.md):
 *
 * - replies: `+draft/reply=<msgid>` (IRCv3 client-tags "reply" draft) and the unprefixed
 *   `+reply` some clients send; both are relayed as sent and both mean "reply to".
 * - reactions: a TAGMSG with `+draft/react=<emoji>` (or `+draft/unreact=<emoji>`) and a reply
 *   tag naming the message (IRCv3 client-tags "react" draft).
 * - edits: `+draft/edit=<msgid>` on a PRIVMSG whose text replaces that message's text.
 */
import type { Tags } from '../protocol/tags.js';

export const REPLY_TAGS = ['+draft/reply', '+reply'] as const;
export const EDIT_TAG = '+draft/edit';

/** Longest reaction accepted, in UTF-16 units: an emoji or a short word, not a message. */
export const MAX_REACTION_LENGTH = 64;

/** The msgid a message replies to, or null. */
export function replyTo(tags: Tags | null): string | null {
  if (tags === null) return null;
  for (const key of REPLY_TAGS) {
    const value = tags[key];
    if (value !== undefined && value !== '') return value;
  }
  return null;
}

export interface ReactionRef {
  kind: 'react' | 'unreact';
  emoji: string;
  to: string;
}

/** The reaction a TAGMSG carries (a react or unreact tag plus a reply tag), or null. */
export function reactionOf(tags: Tags | null): ReactionRef | null {
  if (tags === null) return null;
  const to = replyTo(tags);
  if (to === null) return null;
  const react = tags['+draft/react'];
  if (react !== undefined && react !== '') return { kind: 'react', emoji: react, to };
  const unreact = tags['+draft/unreact'];
  if (unreact !== undefined && unreact !== '') return { kind: 'unreact', emoji: unreact, to };
  return null;
}

/** The msgid an edit replaces, or null. */
export function editOf(tags: Tags | null): string | null {
  const value = tags?.[EDIT_TAG];
  return value === undefined || value === '' ? null : value;
}
