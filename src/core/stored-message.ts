/**
 * The history record of a message as relayed: the same msgid, time, target and client tags
 * every recipient saw, with the sender as they were at that moment.
 */
import type { StoredMessage } from '../store/store.js';
import type { Outgoing } from './outgoing.js';
import type { Session } from './session.js';

export function storedMessage(
  s: Session,
  out: Outgoing,
  conversation: string,
  time: number,
  text: string | null,
): StoredMessage {
  return {
    msgid: out.msgid!,
    time,
    command: out.command as StoredMessage['command'],
    conversation,
    target: out.params[0]!,
    sender: s.mask,
    senderAccount: s.account,
    text,
    clientTags: out.clientTags,
  };
}
