/**
 * This node's copy of the rest of the network: the users of other nodes (RemoteUser), their
 * nicks in the directory, their place in rooms, and room state as other nodes change it.
 * It applies the other nodes' events and renders them to this node's own clients: a room
 * event once per local member, a user's change once per local user sharing a room with them.
 *
 * Room broadcasts carry their state change the way IRC servers' lines do (JOIN adds a
 * member, PART and KICK remove one, MODE and TOPIC change the room), so a room's members,
 * prefixes and modes follow the same lines its clients see.
 */
import { Cap } from '../core/caps.js';
import { Channel, OP, VOICE } from '../core/channel.js';
import { Outgoing, serverTimeNow } from '../core/outgoing.js';
import type { ChatServer } from '../core/server.js';
import type { User } from '../core/user.js';
import { foldCase } from '../protocol/casemapping.js';
import type { ClusterDirectory } from './cluster-directory.js';
import type { ChanBurst, ChanSnap, ClusterEvent, JoinMeta, OutRec, UserRec } from './codec.js';
import type { Collisions } from './collisions.js';
import { type DirectSink, RemoteUser } from './remote-user.js';
import { applySnapshot, outgoingOf } from './snapshots.js';

type ChanEvent = Extract<ClusterEvent, { k: 'chan' }>;

export class Replica {
  readonly users = new Map<string, RemoteUser>();
  private readonly byNode = new Map<string, Set<RemoteUser>>();
  /** Remote users who are invisible or operators, kept as they change (LUSERS counts them). */
  readonly census = { invisible: 0, opers: 0 };

  constructor(
    private readonly server: ChatServer,
    private readonly dir: ClusterDirectory,
    private readonly collisions: Collisions,
    private readonly sink: DirectSink,
    /** Finds a user of any node by id (a KICK's victim may be local). */
    private readonly userById: (id: string) => User | undefined,
  ) {}

  usersOf(node: string): number {
    return this.byNode.get(node)?.size ?? 0;
  }

  // ---------------------------------------------------------------- users

  /** A user of `node` registered (or is in its burst). */
  introduce(node: string, rec: UserRec): RemoteUser | undefined {
    const known = this.users.get(rec.id);
    if (known !== undefined) {
      this.count(known, -1);
      known.update(rec);
      this.count(known, 1);
      return known;
    }
    if (!rec.id.startsWith(`${node}/`)) return undefined; // a node speaks only for its own users
    const user = new RemoteUser(rec.id, node, rec, this.sink);
    this.users.set(rec.id, user);
    this.count(user, 1);
    let set = this.byNode.get(node);
    if (set === undefined) {
      set = new Set();
      this.byNode.set(node, set);
    }
    set.add(user);
    this.collisions.claim(user);
    if (this.dir.findUser(user.folded) === user) this.server.monitors.notifyOnline(user.nick, user.mask);
    return user;
  }

  update(rec: UserRec, out: OutRec | null, cap: number): void {
    const user = this.users.get(rec.id);
    if (user === undefined) return;
    this.count(user, -1);
    user.update(rec);
    this.count(user, 1);
    if (out !== null) this.toLocalPeers(user, outgoingOf(out), cap, false);
  }

  rename(id: string, nick: string, nickTs: number, out: OutRec): void {
    const user = this.users.get(id);
    if (user === undefined) return;
    const oldNick = user.nick;
    const held = this.dir.findUser(user.folded) === user;
    this.toLocalPeers(user, outgoingOf(out), 0, false);
    this.server.whowas.record(user, oldNick);
    this.dir.releaseNick(user.folded, user);
    user.setNick(nick, nickTs);
    this.collisions.claim(user);
    if (held && foldCase(oldNick) !== user.folded) this.server.monitors.notifyOffline(oldNick);
    if (this.dir.findUser(user.folded) === user && foldCase(oldNick) !== user.folded) {
      this.server.monitors.notifyOnline(user.nick, user.mask);
    }
  }

  /** A remote user left: QUIT to the local users sharing a room, WHOWAS, MONITOR. */
  remove(id: string, reason: string): void {
    const user = this.users.get(id);
    if (user === undefined) return;
    this.toLocalPeers(
      user,
      new Outgoing(user.mask, 'QUIT', [reason], serverTimeNow(), null, user.account),
      0,
      true,
    );
    for (const channel of [...user.channels]) this.server.leaveChannel(user, channel);
    this.server.whowas.record(user);
    if (this.dir.findUser(user.folded) === user) {
      this.dir.releaseNick(user.folded, user);
      this.server.monitors.notifyOffline(user.nick);
    }
    this.users.delete(id);
    this.count(user, -1);
    this.byNode.get(user.node)?.delete(user);
  }

  private count(user: RemoteUser, sign: 1 | -1): void {
    if (user.invisible) this.census.invisible += sign;
    if (user.isOper) this.census.opers += sign;
  }

  /** Every user of a lost node quits with the netsplit reason (`<this node> <lost node>`). */
  netsplit(node: string, reason: string): number {
    const set = this.byNode.get(node);
    if (set === undefined) return 0;
    const count = set.size;
    for (const user of [...set]) this.remove(user.id, reason);
    this.byNode.delete(node);
    return count;
  }

  nodes(): string[] {
    return [...this.byNode.keys()];
  }

  /** `out` once to every local user sharing a room with `user` (with `cap`, if non-zero). */
  private toLocalPeers(user: RemoteUser, out: Outgoing, cap: number, lazy: boolean): void {
    const seen = new Set<User>();
    for (const channel of user.channels) {
      for (const member of channel.members.keys()) {
        if (!member.local || seen.has(member)) continue;
        seen.add(member);
        if (cap !== 0 && (member.caps & cap) === 0) continue;
        member.deliver(out, lazy);
      }
    }
  }

  // ---------------------------------------------------------------- rooms

  /** A room broadcast from another node: apply what it changes, render it to our members. */
  channelEvent(ev: ChanEvent): void {
    const out = outgoingOf(ev.o);
    const folded = foldCase(ev.ch);
    let channel: Channel | undefined;
    switch (out.command) {
      case 'JOIN': {
        if (ev.j === null) return;
        const user = this.users.get(ev.j.id);
        if (user === undefined) return;
        channel = this.join(user, ev.ch, ev.j);
        break;
      }
      case 'PART':
      case 'KICK': {
        channel = this.dir.findChannel(folded);
        const user = ev.u === null ? undefined : this.userById(ev.u);
        if (channel === undefined) return;
        channel.deliverLocal(out, null, ev.nc, ev.wc, ev.lz);
        if (user !== undefined && channel.members.has(user)) this.server.leaveChannel(user, channel);
        return;
      }
      case 'MODE':
        channel = this.dir.findChannel(folded);
        if (channel !== undefined) this.applyModes(channel, ev.o);
        break;
      case 'TOPIC':
        channel = this.dir.findChannel(folded);
        if (channel !== undefined) {
          const text = ev.o.p[1] ?? '';
          const at = ev.o.t === null ? Date.now() : Date.parse(ev.o.t);
          channel.topic = text === '' ? null : { text, setBy: ev.o.s ?? '*', setAt: at };
        }
        break;
      default: {
        channel = this.dir.findChannel(folded);
        // Their messages are what WHOIS idle counts.
        const user = ev.u === null ? undefined : this.users.get(ev.u);
        if (user !== undefined) user.idleSince = Date.now();
      }
    }
    channel?.deliverLocal(out, null, ev.nc, ev.wc, ev.lz);
  }

  /** Adds a member (creating the room if needed); returns the room. */
  private join(user: RemoteUser, name: string, meta: JoinMeta): Channel {
    let channel = this.dir.findChannel(foldCase(name));
    let bits = meta.bits;
    if (channel === undefined) {
      channel = new Channel(name);
      if (meta.snap !== null) applySnapshot(channel, meta.snap);
      channel.createdAt = meta.ts;
      this.dir.addChannel(channel);
    } else {
      bits = this.mergeTimestamps(channel, meta.ts, meta.snap, bits);
    }
    if (!channel.members.has(user)) {
      channel.addMember(user, bits);
      user.channels.add(channel);
      channel.invited.delete(user.folded);
    }
    return channel;
  }

  /**
   * Two nodes created the same room at once (each saw it empty): the older creation wins, as
   * in IRC's TS rules. The younger side's members lose their operator and voice status and
   * its modes give way to the older's; both sides compute the same, so they agree.
   * Returns the prefix bits the joining member keeps.
   */
  private mergeTimestamps(channel: Channel, ts: number, snap: ChanSnap | null, bits: number): number {
    if (ts === channel.createdAt) return bits;
    if (ts > channel.createdAt) return 0;
    const stripped: User[] = [];
    for (const [member, memberBits] of channel.members) {
      if (memberBits === 0) continue;
      channel.members.set(member, 0);
      stripped.push(member);
      const modes = (memberBits & OP ? 'o' : '') + (memberBits & VOICE ? 'v' : '');
      const out = new Outgoing(this.server.config.serverName, 'MODE', [
        channel.name,
        '-' + modes,
        ...modes.split('').map(() => member.nick),
      ]);
      channel.deliverLocal(out, null, 0, 0, false);
    }
    if (snap !== null) applySnapshot(channel, snap);
    channel.createdAt = ts;
    return bits;
  }

  /** A burst's room: joins its members (shown as a netjoin to our members). */
  netjoin(c: ChanBurst): void {
    let channel = this.dir.findChannel(foldCase(c.name));
    let keepBits = true;
    if (channel === undefined) {
      channel = new Channel(c.name);
      applySnapshot(channel, c);
      this.dir.addChannel(channel);
    } else if (c.ts !== channel.createdAt) {
      keepBits = this.mergeTimestamps(channel, c.ts, c, OP) !== 0;
    }
    const time = serverTimeNow();
    for (const [id, memberBits] of c.members) {
      const user = this.users.get(id);
      if (user === undefined || channel.members.has(user)) continue;
      const bits = keepBits ? memberBits : 0;
      channel.addMember(user, bits);
      user.channels.add(channel);
      const extended = new Outgoing(
        user.mask,
        'JOIN',
        [channel.name, user.account ?? '*', user.realname],
        time,
        null,
        user.account,
      );
      const plain = new Outgoing(user.mask, 'JOIN', [channel.name], time, null, user.account);
      channel.deliverLocal(extended, null, Cap.extendedJoin, 0, true);
      channel.deliverLocal(plain, null, 0, Cap.extendedJoin, true);
      if (user.away !== null) {
        const away = new Outgoing(user.mask, 'AWAY', [user.away], time, null, user.account);
        channel.deliverLocal(away, null, Cap.awayNotify, 0, true);
      }
      if (bits !== 0) {
        const modes = (bits & OP ? 'o' : '') + (bits & VOICE ? 'v' : '');
        const out = new Outgoing(user.serverName, 'MODE', [
          channel.name,
          '+' + modes,
          ...modes.split('').map(() => user.nick),
        ]);
        channel.deliverLocal(out, null, 0, 0, false);
      }
    }
    if (channel.members.size === 0) this.dir.removeChannel(channel);
  }

  /**
   * Applies a MODE line another node applied: its mode string is what changed, in the
   * canonical form modes.ts produces (o/v take a nick, b/e/I a mask, k a key or `*`, +l a number).
   */
  private applyModes(channel: Channel, out: OutRec): void {
    const changes = out.p[1] ?? '';
    let arg = 2;
    let adding = true;
    const at = out.t === null ? Date.now() : Date.parse(out.t);
    for (const c of changes) {
      switch (c) {
        case '+':
        case '-':
          adding = c === '+';
          break;
        case 'o':
        case 'v': {
          const nick = out.p[arg++];
          const user = nick === undefined ? undefined : this.dir.findUser(foldCase(nick));
          const bits = user === undefined ? undefined : channel.members.get(user);
          if (user === undefined || bits === undefined) break;
          const bit = c === 'o' ? OP : VOICE;
          channel.members.set(user, adding ? bits | bit : bits & ~bit);
          break;
        }
        case 'b':
        case 'e':
        case 'I': {
          const mask = out.p[arg++];
          if (mask === undefined) break;
          const list = c === 'e' ? channel.exceptions : c === 'I' ? channel.inviteExceptions : channel.bans;
          const index = list.findIndex((b) => foldCase(b.mask) === foldCase(mask));
          if (adding && index === -1) list.push({ mask, setBy: out.s ?? '*', setAt: at });
          if (!adding && index !== -1) list.splice(index, 1);
          break;
        }
        case 'C':
          channel.noCtcp = adding;
          break;
        case 'k': {
          const key = out.p[arg++];
          channel.key = adding && key !== undefined ? key : null;
          break;
        }
        case 'l': {
          if (!adding) {
            channel.limit = null;
            break;
          }
          const n = Number.parseInt(out.p[arg++] ?? '', 10);
          if (Number.isFinite(n) && n > 0) channel.limit = n;
          break;
        }
        case 'i':
          channel.inviteOnly = adding;
          break;
        case 'm':
          channel.moderated = adding;
          break;
        case 'n':
          channel.noExternal = adding;
          break;
        case 's':
          channel.secret = adding;
          break;
        case 't':
          channel.topicLocked = adding;
          break;
      }
    }
  }
}
