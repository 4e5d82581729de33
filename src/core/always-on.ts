/**
 * Always-on across restarts (docs/PEOPLE.md): an always-on account's rooms and nick are
 * stored (store.ts AlwaysOnStore), written when the person joins, parts or is kicked, changes
 * its nick and goes offline, never per message; at start-up, before the first connection is accepted,
 * every stored account is put back in its rooms as an offline person (away, no QUIT).
 */
import { foldCase } from '../protocol/casemapping.js';
import { Channel } from './channel.js';
import { Person, personOf } from './person.js';
import type { ChatServer } from './server.js';
import type { User } from './user.js';

function alwaysOnPerson(user: User): Person | null {
  const person = personOf(user);
  if (!(person instanceof Person) || !person.alwaysOn || person.account === null) return null;
  return person;
}

/**
 * Membership writes run one after another, in the order things happened: on PostgreSQL two
 * pooled queries may otherwise overtake each other (a PART's delete before its JOIN's insert
 * would leave the room stored).
 */
const queues = new WeakMap<ChatServer, Promise<void>>();

function write(server: ChatServer, what: string, op: () => Promise<void>): Promise<void> {
  const next = (queues.get(server) ?? Promise.resolve()).then(op).catch((err: unknown) => {
    server.log.error(
      { event: 'always_on.write_failed', what, err: String(err) },
      `always-on: ${what} failed`,
    );
  });
  queues.set(server, next);
  return next;
}

/** Waits for every membership write queued so far (before the store closes). */
export function flushAlwaysOn(server: ChatServer): Promise<void> {
  return queues.get(server) ?? Promise.resolve();
}

/** An always-on person joined a room: store the membership. */
export function membershipJoined(server: ChatServer, user: User, channel: Channel): void {
  const person = alwaysOnPerson(user);
  if (person === null || server.store === null) return;
  const store = server.store;
  const [account, nick] = [foldCase(person.account!), person.nick];
  void write(server, 'join', () => store.addMembership(account, nick, channel.folded, channel.name));
}

/** Stores every room the person is in now (it just became always-on: a login, the switch). */
export function storeRooms(server: ChatServer, person: Person): void {
  for (const channel of person.channels) membershipJoined(server, person, channel);
}

/**
 * The person leaves all its rooms without the switch (logout, KILL): the stored rooms go too,
 * so a restart does not bring back what the network no longer shows. Call while it is still
 * always-on (`account`: the one it is, or was until this logout).
 */
export function forgetRooms(server: ChatServer, person: Person, account: string | null): void {
  const store = server.store;
  if (!person.alwaysOn || account === null || store === null) return;
  const key = foldCase(account);
  for (const channel of person.channels) {
    void write(server, 'leave', () => store.removeMembership(key, channel.folded));
  }
}

/** An always-on person left a room (PART, KICK): forget the membership. */
export function membershipLeft(server: ChatServer, user: User, channel: Channel): void {
  const person = alwaysOnPerson(user);
  if (person === null || server.store === null) return;
  const store = server.store;
  const account = foldCase(person.account!);
  void write(server, 'part', () => store.removeMembership(account, channel.folded));
}

/** A room was renamed (RENAME): its stored members follow it to the new name. */
export function roomRenamed(server: ChatServer, oldFolded: string, channel: Channel): void {
  const store = server.store;
  if (store === null) return;
  const [folded, name] = [channel.folded, channel.name];
  void write(server, 'rename', () => store.renameMemberships(oldFolded, folded, name));
}

/** An always-on person changed its nick: keep it now, not only at its next join or disconnect. */
export function nickChanged(server: ChatServer, person: Person): void {
  if (!person.alwaysOn || person.account === null || server.store === null) return;
  const store = server.store;
  const [account, nick] = [foldCase(person.account), person.nick];
  void write(server, 'nick', () => store.nickChanged(account, nick));
}

/**
 * An always-on person's last connection closed: keep the nick it has now, and when (a device
 * that comes back after a restart catches up from there, catch-up.ts).
 */
export function personWentOffline(server: ChatServer, person: Person): void {
  if (!person.alwaysOn || person.account === null || server.store === null) return;
  const store = server.store;
  const [account, nick, time] = [foldCase(person.account), person.nick, person.offlineSince ?? Date.now()];
  void write(server, 'offline', () => store.wentOffline(account, nick, time));
}

/**
 * The account's own switch (NickServ SET ALWAYS-ON). Off: the rooms are forgotten now and the
 * person leaves the network when its last connection closes. On: its current rooms are stored.
 */
export async function setAccountAlwaysOn(server: ChatServer, person: Person, on: boolean): Promise<void> {
  const account = person.account;
  if (account === null || server.store === null) return;
  const store = server.store;
  const [key, nick] = [foldCase(account), person.nick];
  // Queued with the membership writes, so it lands after the joins it follows.
  let failed: unknown = null;
  await write(server, 'switch', () =>
    store.setAlwaysOn(key, nick, on).catch((err: unknown) => {
      failed = err;
    }),
  );
  if (failed !== null) throw failed;
  if (on) {
    server.alwaysOnOptOut.delete(key);
    person.alwaysOn = server.config.alwaysOn;
    storeRooms(server, person);
  } else {
    server.alwaysOnOptOut.add(key);
    person.alwaysOn = false;
  }
}

/**
 * Puts every stored always-on account back in its rooms, offline. Returns how many people
 * were restored. Accounts that turned always-on off are remembered (alwaysOnOptOut).
 */
export async function restoreAlwaysOn(server: ChatServer): Promise<number> {
  const store = server.store;
  if (store === null) return 0;
  const records = await store.loadAlwaysOn();
  let restored = 0;
  const accounts = new Set<string>();
  for (const record of records) {
    if (!record.enabled) {
      server.alwaysOnOptOut.add(record.account);
      continue;
    }
    if (!server.config.alwaysOn || server.people.has(record.account)) continue;
    const person = new Person(server.census, server.config.serverName, '0.0.0.0');
    person.account = record.name;
    person.username = record.account.slice(0, server.config.userLen);
    person.host = server.config.serverName;
    person.realname = person.account;
    // The stored nick, or the account name when someone (a service) holds it now.
    let nick = record.nick;
    if (!server.directory.claimNick(foldCase(nick), person)) {
      nick = person.account;
      if (!server.directory.claimNick(foldCase(nick), person)) continue;
    }
    person.nick = nick;
    person.folded = foldCase(nick);
    person.alwaysOn = true;
    person.offlineSince = record.offlineAt;
    person.enterCensus();
    server.people.set(record.account, person);
    for (const name of record.rooms) {
      const folded = foldCase(name);
      let channel = server.directory.findChannel(folded);
      if (channel === undefined) {
        channel = new Channel(name);
        server.directory.addChannel(channel);
        // A registered room gets its topic, modes and founders back first.
        await server.channelHooks?.created(channel);
      }
      if (channel.members.has(person)) continue;
      channel.addMember(person, 0);
      person.joinedChannel(channel);
      server.channelHooks?.joining(person, channel);
    }
    restored++;
    accounts.add(record.account);
  }
  // Their profiles (draft/metadata-2), for the members of their rooms to see while they are
  // offline: one query for all of them.
  await server.metadata.preload(accounts);
  server.maxUsers = Math.max(server.maxUsers, server.census.users);
  return restored;
}
