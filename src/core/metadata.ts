/**
 * IRCv3 draft/metadata-2 (https://ircv3.net/specs/extensions/metadata): the keys and values
 * of users and rooms, who is subscribed to which keys, and the deliveries that follow from
 * them. The METADATA command itself is commands/metadata.ts.
 *
 * Where values live:
 * - a logged-in user's are the account's: in the store (`a:<folded account>`), and in memory
 *   here while a person of the account is on the network (loaded at login, `load`, and for
 *   always-on people at start), so every device and every restart sees the same profile;
 * - a guest's belong to its person and go when it leaves (nothing to keep them for);
 * - a room's belong to the room while it exists (rooms without members vanish, and with them
 *   their metadata).
 * Subscriptions are each connection's own (metadata §Notifications: by default none).
 *
 * Limits (config: metadata-max-keys, -max-subs, -max-value-bytes) are advertised in the
 * capability's value. A value is at most 300 bytes so that every line carrying it fits 512.
 */
import { foldCase } from '../protocol/casemapping.js';
import * as N from '../protocol/numerics.js';
import { Cap } from './caps.js';
import type { Channel } from './channel.js';
import { withBatch } from './commands/chathistory.js';
import { Outgoing } from './outgoing.js';
import { Person, personOf } from './person.js';
import type { ChatServer } from './server.js';
import type { Session } from './session.js';
import type { User } from './user.js';

/**
 * metadata §Keys and Values: lowercase letters, digits and `_ . / -` (no colon anywhere, so a
 * key is never mistaken for a trailing parameter). The length bound is ours: with a value
 * of at most 300 bytes, a notification (`:nick!user@host METADATA <room> <key> * :<value>`,
 * with the default nick and room lengths and an IPv6 host) still fits 512 bytes uncut.
 */
const KEY = /^[a-z0-9_./-]{1,50}$/;

export function isValidKey(key: string): boolean {
  return KEY.test(key);
}

/** The keys WHOIS shows (metadata §RPL_WHOISKEYVALUE: a subset chosen to be read by people). */
export const WHOIS_KEYS = ['display-name', 'status'] as const;

/** The visibility of every key here: everyone may see it (metadata §METADATA server message). */
export const VISIBLE = '*';

type Values = Map<string, string>;
const NONE: ReadonlyMap<string, string> = new Map();

/** The store's name for an account's or a room's metadata (store.ts MetadataStore). */
export function metadataTarget(kind: 'account' | 'channel', folded: string): string {
  return (kind === 'account' ? 'a:' : 'c:') + folded;
}

export class MetadataRegistry {
  /** Folded account → its values, while a person of it is on the network. */
  private readonly accounts = new Map<string, Values>();
  private readonly loading = new Map<string, Promise<void>>();
  /** Accounts read by `preload` that have no keys: known empty, so not read again. */
  private readonly known = new Set<string>();
  private readonly guests = new WeakMap<object, Values>();
  private readonly rooms = new WeakMap<object, Values>();
  /** Connection → the keys it subscribed to. */
  private readonly subscriptions = new WeakMap<Session, Set<string>>();

  constructor(private readonly server: ChatServer) {}

  // ---------------------------------------------------------------- values

  /** Reads an account's values from the store (once; later calls share the read). */
  load(account: string): Promise<void> {
    const folded = foldCase(account);
    const store = this.server.store;
    if (store === null || this.accounts.has(folded) || this.known.has(folded)) return Promise.resolve();
    let pending = this.loading.get(folded);
    if (pending === undefined) {
      pending = store
        .getMetadata(metadataTarget('account', folded))
        .then(
          (rows) => {
            if (!this.accounts.has(folded)) this.accounts.set(folded, new Map(rows));
          },
          (err: unknown) => {
            this.server.log.error(
              { event: 'metadata.load_failed', account: folded, err: String(err) },
              `metadata of ${folded} could not be read`,
            );
          },
        )
        .finally(() => this.loading.delete(folded));
      this.loading.set(folded, pending);
    }
    return pending;
  }

  /**
   * Reads the values of every account in `accounts` (folded) in one query (start-up, for the
   * restored always-on people): asking once per account cost a query and a pending read
   * each, 100,000 of them at a large restart. Accounts without keys keep no map at all.
   */
  async preload(accounts: ReadonlySet<string>): Promise<void> {
    const store = this.server.store;
    if (store === null || accounts.size === 0) return;
    const prefix = metadataTarget('account', '');
    let rows: Array<[string, string, string]>;
    try {
      rows = await store.metadataWithPrefix(prefix);
    } catch (err) {
      this.server.log.error(
        { event: 'metadata.load_failed', err: String(err) },
        'metadata of the restored accounts could not be read',
      );
      return;
    }
    const read = new Map<string, Values>();
    for (const [target, key, value] of rows) {
      const account = target.slice(prefix.length);
      if (!accounts.has(account) || this.accounts.has(account)) continue;
      let values = read.get(account);
      if (values === undefined) {
        values = new Map();
        read.set(account, values);
      }
      values.set(key, value);
    }
    for (const account of accounts) {
      if (this.accounts.has(account)) continue;
      const values = read.get(account);
      if (values === undefined) this.known.add(account);
      else this.accounts.set(account, values);
    }
  }

  /** Resolves once the values of the user's account, if any, are in memory. */
  ready(user: User): Promise<void> {
    const account = personOf(user).account;
    return account === null ? Promise.resolve() : this.load(account);
  }

  /** Drops an account's values from memory when no person of it is left (they stay stored). */
  forget(account: string): void {
    const folded = foldCase(account);
    if (!this.server.people.has(folded)) {
      this.accounts.delete(folded);
      this.known.delete(folded);
    }
  }

  /** A user's keys and values (the account's when logged in). */
  ofUser(user: User): ReadonlyMap<string, string> {
    const person = personOf(user);
    if (person.account !== null) return this.accounts.get(foldCase(person.account)) ?? NONE;
    return this.guests.get(person) ?? NONE;
  }

  ofChannel(channel: Channel): ReadonlyMap<string, string> {
    return this.rooms.get(channel) ?? NONE;
  }

  /**
   * Sets (value) or deletes (null) a key of a user or room. A guest's and a room's change is
   * made at once (null is returned); an account's is durable when the returned promise
   * resolves (memory is updated first, and put back if the write fails).
   */
  set(target: User | Channel, key: string, value: string | null): Promise<void> | null {
    return this.write(target, (values) => {
      if (value === null) values.delete(key);
      else values.set(key, value);
    });
  }

  /** Deletes every key; `cleared` gets those that were set, sorted. Like `set` otherwise. */
  clear(target: User | Channel, cleared: string[]): Promise<void> | null {
    return this.write(target, (values) => {
      cleared.push(...[...values.keys()].sort());
      values.clear();
    });
  }

  /** The read of the user's account values still in flight, or null when there is none. */
  pending(user: User): Promise<void> | null {
    const account = personOf(user).account;
    return account === null ? null : (this.loading.get(foldCase(account)) ?? null);
  }

  private write(target: User | Channel, change: (values: Values) => void): Promise<void> | null {
    const person = isChannel(target) ? null : personOf(target);
    if (person === null || person.account === null || this.server.store === null) {
      const map: WeakMap<object, Values> = person === null ? this.rooms : this.guests;
      const owner: object = person ?? target;
      let values = map.get(owner);
      if (values === undefined) {
        values = new Map();
        map.set(owner, values);
      }
      change(values);
      return null;
    }
    return this.writeAccount(foldCase(person.account), change);
  }

  private async writeAccount(folded: string, change: (values: Values) => void): Promise<void> {
    await this.load(folded);
    let values = this.accounts.get(folded);
    if (values === undefined) {
      values = new Map();
      this.accounts.set(folded, values);
    }
    const before = new Map(values);
    change(values);
    const store = this.server.store!;
    const name = metadataTarget('account', folded);
    try {
      if (values.size === 0) await store.clearMetadata(name);
      else {
        for (const key of before.keys()) if (!values.has(key)) await store.setMetadata(name, key, null);
        for (const [key, v] of values) if (before.get(key) !== v) await store.setMetadata(name, key, v);
      }
    } catch (err) {
      // Nobody was told of the change yet: memory goes back to what the store holds.
      values.clear();
      for (const [k, v] of before) values.set(k, v);
      throw err;
    }
  }

  // ---------------------------------------------------------------- subscriptions

  subscribed(s: Session): ReadonlySet<string> {
    return this.subscriptions.get(s) ?? new Set();
  }

  isSubscribed(s: Session, key: string): boolean {
    return this.subscriptions.get(s)?.has(key) ?? false;
  }

  subscribe(s: Session, key: string): void {
    let keys = this.subscriptions.get(s);
    if (keys === undefined) {
      keys = new Set();
      this.subscriptions.set(s, keys);
    }
    keys.add(key);
  }

  unsubscribe(s: Session, key: string): void {
    this.subscriptions.get(s)?.delete(key);
  }
}

function isChannel(target: User | Channel): target is Channel {
  return 'members' in target;
}

/** The connections of a user on this node (a person's devices, or the connection itself). */
function connectionsOf(user: User): Session[] {
  const person = personOf(user);
  // Only sessions ever attach to a person (person.ts keeps the narrow Connection type).
  return person instanceof Person ? (person.connections as Session[]) : [];
}

// ------------------------------------------------------------------ notifications

/**
 * metadata §Notifications: a change of a user's key reaches the connections subscribed to it
 * of everyone sharing a room with the user, of those who MONITOR them, and the user's own
 * other devices; a room's change reaches its members. Never the connection that made it.
 */
export function notifyChange(
  server: ChatServer,
  origin: Session,
  target: User | Channel,
  key: string,
  value: string | null,
): void {
  const name = isChannel(target) ? target.name : target.nick;
  const params = value === null ? [name, key, VISIBLE] : [name, key, VISIBLE, value];
  const out = new Outgoing(origin.mask, 'METADATA', params);
  const seen = new Set<Session>([origin]);
  const offer = (c: Session): void => {
    if (seen.has(c)) return;
    seen.add(c);
    if (c.registered && c.hasCap(Cap.metadata) && server.metadata.isSubscribed(c, key)) c.deliver(out);
  };
  if (isChannel(target)) {
    for (const member of target.members.keys())
      if (member.local) for (const c of connectionsOf(member)) offer(c);
    return;
  }
  for (const c of connectionsOf(target)) offer(c);
  for (const channel of personOf(target).channels) {
    for (const member of channel.members.keys())
      if (member.local) for (const c of connectionsOf(member)) offer(c);
  }
  for (const watcher of server.monitors.watchersOf(target.nick)) offer(watcher);
}

// ------------------------------------------------------------------ synchronisation

/** Lines of a `metadata` batch (metadata §Batch type), or plain without the batch cap. */
export function sendMetadataBatch(s: Session, target: string, lines: Outgoing[]): void {
  const server = s.server;
  if (!s.hasCap(Cap.batch)) {
    for (const line of lines) s.deliver(line);
    return;
  }
  const id = server.newBatchId();
  const name = server.config.serverName;
  s.deliver(new Outgoing(name, 'BATCH', [`+${id}`, 'metadata', target]));
  for (const line of lines) s.deliver(withBatch(line, id, s));
  s.deliver(new Outgoing(name, 'BATCH', [`-${id}`]));
}

/** `METADATA <target> <key> * :<value>` from the server, for each key of `values` in `keys`. */
function metadataLines(
  s: Session,
  target: string,
  values: ReadonlyMap<string, string>,
  keys: ReadonlySet<string> | null,
): Outgoing[] {
  const name = s.server.config.serverName;
  const lines: Outgoing[] = [];
  for (const key of [...values.keys()].sort()) {
    if (keys === null || keys.has(key)) {
      lines.push(new Outgoing(name, 'METADATA', [target, key, VISIBLE, values.get(key)!]));
    }
  }
  return lines;
}

/**
 * metadata §Notifications: on connecting, a client with the capability gets its own stored
 * metadata in a `metadata` batch with its nick as target (an empty batch when there is none).
 */
export async function sendOwnMetadata(s: Session): Promise<void> {
  if (!s.hasCap(Cap.metadata)) return;
  await s.server.metadata.ready(s);
  sendMetadataBatch(s, s.nick, metadataLines(s, s.nick, s.server.metadata.ofUser(s), null));
}

/**
 * A room's metadata and its members', for the keys `s` is subscribed to (metadata §METADATA
 * SYNC; on JOIN, §Concepts). On JOIN a room larger than metadata-sync-members gets
 * RPL_METADATASYNCLATER instead (§Postponed synchronization), so a join stays cheap.
 */
export function syncChannel(s: Session, channel: Channel, onJoin: boolean): void {
  const server = s.server;
  if (!s.hasCap(Cap.metadata)) return;
  if (onJoin && channel.members.size > server.config.metadataSyncMembers) {
    s.numeric(N.RPL_METADATASYNCLATER, channel.name, '1');
    return;
  }
  const keys = server.metadata.subscribed(s);
  const lines = metadataLines(s, channel.name, server.metadata.ofChannel(channel), keys);
  for (const member of channel.members.keys()) {
    lines.push(...metadataLines(s, member.nick, server.metadata.ofUser(member), keys));
  }
  sendMetadataBatch(s, channel.name, lines);
}

/** A user's metadata for the keys `s` is subscribed to (§METADATA SYNC of a nick). */
export function syncUser(s: Session, user: User): void {
  const keys = s.server.metadata.subscribed(s);
  sendMetadataBatch(s, user.nick, metadataLines(s, user.nick, s.server.metadata.ofUser(user), keys));
}
