/**
 * Attach: a connection that logged in during registration (SASL, PASS account:password) to
 * an account already on the network becomes that person's next device (docs/PEOPLE.md). It
 * takes the person's nick, gets the welcome, then every room the person is in (JOIN, topic,
 * NAMES) and what it missed there (catch-up.ts). Nobody else sees anything: the person was
 * already there. One connection more than the account's limit is refused with a clear error,
 * never by dropping an older device.
 */
import { foldCase } from '../protocol/casemapping.js';
import { Cap } from './caps.js';
import type { Channel } from './channel.js';
import { sendNames, sendTopic } from './commands/channels.js';
import { sendOwnMetadata, syncChannel } from './metadata.js';
import { Outgoing, serverTimeNow } from './outgoing.js';
import { deliverWithCap } from './person.js';
import { type Session, State } from './session.js';
import type { User } from './user.js';
import { sendWelcome } from './welcome.js';

/** Attaches `s` to its account's person if that person is here; false when there is none. */
export function attachIfPresent(s: Session): boolean {
  const server = s.server;
  if (s.account === null) return false;
  const person = server.people.get(foldCase(s.account));
  if (person === undefined || person === s.person) return false;
  const limit = server.config.maxConnectionsPerAccount;
  if (person.connections.length >= limit) {
    const why = `Too many connections for account ${person.account} (the limit is ${limit}); close one of your other sessions first`;
    s.sendFail('*', 'TOO_MANY_CONNECTIONS', why);
    server.disconnect(s, why);
    return true;
  }
  // The provisional person this connection registered with holds nothing any more.
  if (s.folded !== '' && !s.nickHeld) server.directory.releaseNick(s.folded, s);
  s.nickHeld = false;
  const wasOffline = person.connections.length === 0;
  const wasAway = person.away;
  s.person = person;
  person.attach(s);
  s.state = State.Registered;
  server.census.connections++;
  sendWelcome(server, s);
  void sendOwnMetadata(s);
  for (const channel of person.channels) sendRoom(s, channel);
  server.log.info(
    { event: 'client.attached', nick: person.nick, ip: s.ip, transport: s.transport.kind },
    `Client: ${person.nick} attached another connection (${person.connections.length} now)`,
  );
  if (wasOffline || wasAway !== person.away) announceAway(s, wasAway);
  server.catchUp?.(s);
  return true;
}

/** The person's JOIN of `channel`, its topic and names, to one connection of theirs. */
export function sendRoom(s: Session, channel: Channel): void {
  const time = serverTimeNow();
  const params = s.hasCap(Cap.extendedJoin) ? [channel.name, s.account ?? '*', s.realname] : [channel.name];
  s.deliver(new Outgoing(s.mask, 'JOIN', params, time, null, s.account));
  if (channel.topic !== null) sendTopic(s, channel);
  sendNames(s, channel);
  syncChannel(s, channel, true);
}

/** The person's away changed because a device came back: peers with away-notify hear it. */
function announceAway(s: Session, was: string | null): void {
  const now = s.person.away;
  if (now === was) return;
  const out = new Outgoing(s.mask, 'AWAY', now === null ? [] : [now], serverTimeNow(), null, s.account);
  const seen = new Set<User>([s.person]);
  for (const channel of s.channels) {
    for (const member of channel.members.keys()) {
      if (seen.has(member) || !member.local) continue;
      seen.add(member);
      deliverWithCap(member, out, Cap.awayNotify);
    }
  }
}
