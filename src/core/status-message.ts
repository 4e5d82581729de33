/**
 * STATUSMSG (modern.ircdocs.horse §STATUSMSG): `PRIVMSG @#room :text` reaches the room's
 * operators only, `+#room` its voiced members and operators. The target keeps its prefix on
 * the wire, so recipients can tell the message was not for everyone. Such messages are not
 * stored in the room's history: not every member may read them.
 */
import type { Channel } from './channel.js';
import { OP, VOICE } from './channel.js';
import type { Outgoing } from './outgoing.js';
import { Person } from './person.js';
import type { User } from './user.js';

/** The ISUPPORT value: the prefixes a channel target may carry. */
export const STATUSMSG_PREFIXES = '@+';

/** `@#room` → { bits, name: '#room' }; null for a target without a status prefix. */
export function statusTarget(target: string): { bits: number; name: string } | null {
  const c = target.charCodeAt(0);
  if (c === 64 /* @ */) return { bits: OP, name: target.slice(1) };
  if (c === 43 /* + */) return { bits: OP | VOICE, name: target.slice(1) };
  return null;
}

/**
 * Delivers to this node's members holding any of `bits`; how many got it. The sending
 * connection `except` gets only its echo (echo-message), from the caller; its person's other
 * connections get the message as their own, as in a room's fan-out (docs/PEOPLE.md).
 */
export function deliverToStatus(channel: Channel, bits: number, out: Outgoing, except: User): number {
  const sender = except.person ?? except;
  let n = 0;
  for (const [member, memberBits] of channel.members) {
    if (!member.local || (memberBits & bits) === 0) continue;
    if (member === sender) {
      if (member instanceof Person) n += member.deliverFiltered(out, except, 0, 0, false);
      continue;
    }
    member.deliver(out);
    n++;
  }
  return n;
}
