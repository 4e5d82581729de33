/**
 * Who may change a stored message (edit it, redact it): its author. A message sent from an
 * account belongs to that account on every connection; a guest's message belongs to the
 * connection that sent it, which remembers the msgids of its recent messages (history keeps
 * the guest's mask, not its connection, and a mask can be taken over by the next guest).
 */
import { foldCase } from '../protocol/casemapping.js';
import type { StoredMessage } from '../store/store.js';
import type { Session } from './session.js';

/** How many of a guest's latest msgids are remembered for edits and redactions. */
const GUEST_MEMORY = 500;

const sentByGuest = new WeakMap<Session, Set<string>>();

/** Notes a msgid a guest connection sent (called when its message is recorded). */
export function rememberSent(s: Session, msgid: string): void {
  if (s.account !== null) return;
  let sent = sentByGuest.get(s);
  if (sent === undefined) {
    sent = new Set();
    sentByGuest.set(s, sent);
  }
  sent.add(msgid);
  if (sent.size > GUEST_MEMORY) sent.delete(sent.values().next().value!);
}

/** Whether `s` wrote the stored message. */
export function isAuthor(s: Session, message: StoredMessage): boolean {
  if (message.senderAccount !== null) {
    return s.account !== null && foldCase(s.account) === foldCase(message.senderAccount);
  }
  return sentByGuest.get(s)?.has(message.msgid) ?? false;
}
