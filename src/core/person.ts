/**
 * A person: the user the network sees (one nick, one entry in NAMES, WHO, WHOIS, LUSERS),
 * with the connections (Sessions) it is using now. A guest is a person of one connection,
 * gone when it leaves; an account may have several connections at once, and with always-on
 * it stays in its rooms while it has none (docs/PEOPLE.md).
 *
 * The directory and the rooms hold people, never connections: `personOf` turns whichever a
 * command handler has in hand into the person, so `channel.members.has(session)` and
 * `directory.claimNick(folded, session)` mean the person. Delivery to a person is delivery
 * to each of its connections, with each connection's own capabilities deciding the tags.
 */
import { foldCase } from '../protocol/casemapping.js';
import { Cap } from './caps.js';
import type { Channel } from './channel.js';
import type { Outgoing } from './outgoing.js';
import type { User } from './user.js';

/** What a person needs of a connection (Session implements it; kept narrow to avoid a cycle). */
export interface Connection {
  readonly caps: number;
  /** The connection's own away message (AWAY on that device). */
  readonly ownAway: string | null;
  readonly guestToken: string;
  readonly secure: boolean;
  readonly certFingerprint: string | null;
  deliver(out: Outgoing, lazy?: boolean): void;
}

/** Shown as the away message of an always-on person with no connection. */
export const OFFLINE_AWAY = 'Offline (messages are kept and delivered when they are back)';

/** Census the server keeps as people change (LUSERS); the person updates it itself. */
export interface Census {
  users: number;
  invisible: number;
  opers: number;
}

const NO_CHANNELS: ReadonlySet<Channel> = new Set();

let nextPersonId = 1;

export class Person implements User {
  /** Unique in this process (a cluster node names its users by it, src/cluster/node.ts). */
  readonly id = nextPersonId++;
  nick = '*';
  folded = '';
  username = '';
  realname = '';
  host: string;
  ip: string;
  account: string | null = null;
  wallops = false;
  operName: string | null = null;
  /** Stays in its rooms with no connection (accounts only; server and account switches). */
  alwaysOn = false;
  /**
   * When its last connection closed (ms; always-on), so a returning device catches up on what
   * came after (catch-up.ts); null while connected or when not known (restored at start-up).
   */
  offlineSince: number | null = null;
  /** Counted in the census and visible to the network (set when the welcome is sent). */
  registered = false;
  signonAt = Date.now();
  idleSince = Date.now();
  /** The connections in use now, oldest first. */
  readonly connections: Connection[] = [];
  private joined: Set<Channel> | null = null;
  private oper = false;
  private hidden = false;

  constructor(
    private readonly census: Census,
    readonly serverName: string,
    ip: string,
  ) {
    this.ip = ip;
    this.host = ip;
  }

  /** A person is never anyone else's connection. */
  get person(): undefined {
    return undefined;
  }

  get local(): true {
    return true;
  }

  get identity(): string {
    if (this.account !== null) return 'a:' + foldCase(this.account);
    const first = this.connections[0];
    return 'g:' + (first?.guestToken ?? 'gone');
  }

  get mask(): string {
    return this.nick + '!' + this.username + '@' + this.host;
  }

  /**
   * Away only when every connection is away (the first one's message), or "offline" when
   * none is connected; a device in use means the person is there.
   */
  get away(): string | null {
    const conns = this.connections;
    if (conns.length === 0) return this.registered ? OFFLINE_AWAY : null;
    let first: string | null = null;
    for (const c of conns) {
      if (c.ownAway === null) return null;
      first ??= c.ownAway;
    }
    return first;
  }

  /** Any connection's capabilities (a DM's TAGMSG goes to those that have message-tags). */
  get caps(): number {
    let caps = 0;
    for (const c of this.connections) caps |= c.caps;
    return caps;
  }

  get secure(): boolean {
    const conns = this.connections;
    return conns.length > 0 && conns.every((c) => c.secure);
  }

  get certFingerprint(): string | null {
    return this.connections[0]?.certFingerprint ?? null;
  }

  get channels(): ReadonlySet<Channel> {
    return this.joined ?? NO_CHANNELS;
  }

  joinedChannel(channel: Channel): void {
    this.joined ??= new Set();
    this.joined.add(channel);
  }

  leftChannel(channel: Channel): void {
    if (this.joined === null || !this.joined.delete(channel)) return;
    if (this.joined.size === 0) this.joined = null;
  }

  get isOper(): boolean {
    return this.oper;
  }

  set isOper(value: boolean) {
    if (value !== this.oper && this.registered) this.census.opers += value ? 1 : -1;
    this.oper = value;
  }

  get invisible(): boolean {
    return this.hidden;
  }

  set invisible(value: boolean) {
    if (value !== this.hidden && this.registered) this.census.invisible += value ? 1 : -1;
    this.hidden = value;
  }

  /** Becomes a user of the network: counted in LUSERS. */
  enterCensus(): void {
    if (this.registered) return;
    this.registered = true;
    this.census.users++;
    if (this.hidden) this.census.invisible++;
    if (this.oper) this.census.opers++;
  }

  /** Leaves the network (QUIT, or an always-on account turned off while offline). */
  leaveCensus(): void {
    if (!this.registered) return;
    this.census.users--;
    if (this.hidden) this.census.invisible--;
    if (this.oper) this.census.opers--;
    this.registered = false;
  }

  attach(connection: Connection): void {
    if (!this.connections.includes(connection)) this.connections.push(connection);
  }

  /** Forgets a connection; returns how many remain. */
  detach(connection: Connection): number {
    const i = this.connections.indexOf(connection);
    if (i !== -1) this.connections.splice(i, 1);
    return this.connections.length;
  }

  deliver(out: Outgoing, lazy = false): void {
    const tagOnly = out.needsMessageTags;
    for (const c of this.connections) {
      if (tagOnly && (c.caps & Cap.messageTags) === 0) continue;
      c.deliver(out, lazy);
    }
  }

  /**
   * A room's fan-out to this person: each connection but `except` (the one that sent it, which
   * gets its echo or reply itself), filtered by that connection's capabilities.
   */
  deliverFiltered(
    out: Outgoing,
    except: unknown,
    needCap: number,
    withoutCap: number,
    lazy: boolean,
  ): number {
    const tagOnly = out.needsMessageTags;
    let delivered = 0;
    for (const c of this.connections) {
      if (c === except) continue;
      const caps = c.caps;
      if (needCap !== 0 && (caps & needCap) === 0) continue;
      if (withoutCap !== 0 && (caps & withoutCap) !== 0) continue;
      if (tagOnly && (caps & Cap.messageTags) === 0) continue;
      c.deliver(out, lazy);
      delivered++;
    }
    return delivered;
  }
}

/** Delivers to those of `user`'s connections that have `cap` (a person's devices differ). */
export function deliverWithCap(user: User, out: Outgoing, cap: number, lazy = false): void {
  if (user instanceof Person) user.deliverFiltered(out, null, cap, 0, lazy);
  else if (user.caps & cap) user.deliver(out, lazy);
}

/** The person behind a user: a connection's person, or the user itself. */
export function personOf(user: User): User {
  return user.person ?? user;
}
