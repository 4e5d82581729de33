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
import { catchUp } from './catch-up.js';
import type { Channel } from './channel.js';
import { sendNames, sendTopic } from './commands/channels.js';
import { formatMarker } from './commands/chathistory.js';
import { sendOwnMetadata, syncChannel } from './metadata.js';
import { Outgoing, serverTimeNow } from './outgoing.js';
import { deliverWithCap, type Person } from './person.js';
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
  const offlineSince = person.offlineSince;
  const wasAway = person.away;
  s.person = person;
  person.attach(s);
  s.state = State.Registered;
  server.census.connections++;
  sendWelcome(server, s);
  joinPerson(s, person, wasOffline, offlineSince, wasAway);
  return true;
}

/**
 * A connection that logged in after registration (NickServ IDENTIFY, a late SASL) to an
 * account whose always-on person is here with no connection becomes that person's device:
 * the guest it was leaves (its peers see a QUIT, the connection itself a PART of each of its
 * rooms), the connection takes the person's nick (NICK) and its rooms, and catches up.
 * False when there is no such person (the login then makes this person the account's).
 */
export function attachAfterLogin(s: Session): boolean {
  const server = s.server;
  if (s.account === null || !s.registered) return false;
  const person = server.people.get(foldCase(s.account));
  const guest = s.person;
  if (person === undefined || person === guest || person.connections.length > 0) return false;
  if (guest.connections.length !== 1) return false;
  const reason = `Logged in as ${person.account}`;
  const oldMask = s.mask;
  const time = serverTimeNow();
  for (const channel of guest.channels)
    s.deliver(new Outgoing(oldMask, 'PART', [channel.name, reason], time));
  server.removePerson(guest, s, reason);
  guest.detach(s);
  const offlineSince = person.offlineSince;
  const wasAway = person.away;
  s.person = person;
  person.attach(s);
  if (person.nick !== guest.nick) s.deliver(new Outgoing(oldMask, 'NICK', [person.nick], time));
  joinPerson(s, person, true, offlineSince, wasAway);
  return true;
}

/** The rest of an attach: the person's rooms, its presence, and what this device missed. */
function joinPerson(
  s: Session,
  person: Person,
  wasOffline: boolean,
  offlineSince: number | null,
  wasAway: string | null,
): void {
  void sendOwnMetadata(s);
  sendRooms(s, person);
  s.server.log.info(
    { event: 'client.attached', nick: person.nick, ip: s.ip, transport: s.transport.kind },
    `Client: ${person.nick} attached another connection (${person.connections.length} now)`,
  );
  if (wasOffline || wasAway !== person.away) announceAway(s, wasAway);
  person.offlineSince = null;
  catchUp(s, wasOffline, offlineSince);
}

/**
 * Every room of the person to this connection (JOIN, topic, names); with draft/read-marker
 * each room's MARKREAD before its RPL_ENDOFNAMES, as after a JOIN (read-marker §Command flows),
 * once the store has given the markers.
 */
function sendRooms(s: Session, person: Person): void {
  const rooms = [...person.channels];
  const store = s.server.store;
  if (rooms.length === 0 || store === null || s.account === null || !s.hasCap(Cap.readMarker)) {
    for (const channel of rooms) sendRoom(s, channel);
    return;
  }
  const account = foldCase(s.account);
  let markers: Array<number | null> = [];
  s.deferUntil(
    Promise.all(rooms.map((c) => store.getReadMarker(account, c.folded))).then((m) => {
      markers = m;
    }),
    () => {
      for (const [i, c] of rooms.entries()) sendRoom(s, c, markers[i] ?? null);
    },
    (err) => {
      s.server.log.error(
        { event: 'history.read_failed', err: String(err) },
        'read markers for attach failed',
      );
      for (const channel of rooms) sendRoom(s, channel);
    },
    true,
  );
}

/** The person's JOIN of `channel`, its topic and names (and read marker), to one connection. */
export function sendRoom(s: Session, channel: Channel, marker?: number | null): void {
  const time = serverTimeNow();
  const params = s.hasCap(Cap.extendedJoin) ? [channel.name, s.account ?? '*', s.realname] : [channel.name];
  s.deliver(new Outgoing(s.mask, 'JOIN', params, time, null, s.account));
  if (channel.topic !== null) sendTopic(s, channel);
  sendNames(
    s,
    channel,
    marker === undefined ? undefined : () => s.reply('MARKREAD', [channel.name, formatMarker(marker)]),
  );
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
