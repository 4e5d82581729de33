/**
 * One tertulia process as a node of a cluster: the core's `Network` (core/network.ts) over
 * the Redis bus. It turns what local users do into events, applies the other nodes' events
 * to the replica, and keeps track of which nodes are alive.
 *
 * Life of a node (docs/CLUSTER.md):
 *  1. subscribe, say `hello` and publish its own burst; read the live nodes from Redis and
 *     wait (registrations wait too) until each has answered with its burst, or SYNC_WAIT_MS;
 *  2. publish its users' actions as events, one envelope per event-loop turn;
 *  3. heartbeat every second; a node silent for the timeout, or saying `bye`, is lost: its
 *     users quit with a netsplit reason;
 *  4. after losing the bus, netsplit everyone locally (their events were missed) and start
 *     over at 1 when it is back, without blocking registrations.
 */

import type { Logger } from 'pino';
import type { Channel } from '../core/channel.js';
import type { Network } from '../core/network.js';
import type { Outgoing } from '../core/outgoing.js';
import { type Person, personOf } from '../core/person.js';
import type { ChatServer } from '../core/server.js';
import type { Session } from '../core/session.js';
import type { User } from '../core/user.js';
import { foldCase } from '../protocol/casemapping.js';
import { applyBurst, buildBurst } from './burst.js';
import { RedisBus } from './bus.js';
import type { ClusterDirectory } from './cluster-directory.js';
import { type ClusterEvent, DecodeError, decodeEnvelope } from './codec.js';
import { Collisions } from './collisions.js';
import { HEARTBEAT_MS, Liveness } from './liveness.js';
import { RELAY_WAIT_MS, Relays } from './relay-connection.js';
import type { RemoteUser } from './remote-user.js';
import { Replica } from './replica.js';
import { chanSnapshot, outgoingOf, outRecord, userRecord } from './snapshots.js';

export interface ClusterOptions {
  /** redis://host:port[/db] */
  redisUrl: string;
  /** This node's name, unique in the network. */
  node: string;
  /** Namespace of the bus channel and keys: nodes with the same prefix form one network. */
  prefix: string;
  /** A node silent this long is lost. */
  timeoutMs: number;
  /** Longest a starting node waits for the others' state before accepting registrations. */
  syncWaitMs: number;
}

/** At most one "malformed envelope" log line per this many ms. */
const BAD_LOG_EVERY_MS = 10_000;

function nickOf(source: string | null): string {
  if (source === null) return '';
  const bang = source.indexOf('!');
  return bang === -1 ? source : source.slice(0, bang);
}

export class ClusterNode implements Network {
  readonly nodeName: string;
  readonly replica: Replica;
  readonly bus: RedisBus;
  private readonly liveness: Liveness;
  /** Connections of people held elsewhere, and other nodes' connections of ours (relay-connection.ts). */
  readonly relays: Relays;
  private readonly log: Logger;
  private readonly sessionsById = new Map<string, Session>();
  private readonly nickTs = new WeakMap<Session, number>();
  private syncedFlag = false;
  private readonly waiting: Array<() => void> = [];
  /** Nodes whose burst a (re)starting node waits for. */
  private readonly awaiting = new Set<string>();
  private helloAt = 0;
  private readonly resyncAskedAt = new Map<string, number>();
  private heartbeat: NodeJS.Timeout | null = null;
  private syncTimer: NodeJS.Timeout | null = null;
  private lastBadLog = 0;
  private badEnvelopes = 0;
  private closed = false;

  constructor(
    private readonly server: ChatServer,
    private readonly dir: ClusterDirectory,
    private readonly options: ClusterOptions,
  ) {
    this.nodeName = options.node;
    this.log = server.log;
    this.liveness = new Liveness(options.timeoutMs);
    const collisions = new Collisions(server, dir, options.node, (s) => this.nickTsOf(s));
    this.replica = new Replica(
      server,
      dir,
      collisions,
      (user, out) => this.deliverRemote(user, out),
      (id) => this.sessionsById.get(id) ?? this.replica.users.get(id),
    );
    this.bus = new RedisBus({
      url: options.redisUrl,
      channel: `${options.prefix}:bus`,
      node: options.node,
      log: server.log,
    });
    this.relays = new Relays(
      server,
      options.node,
      (ev) => this.bus.publish(ev),
      (account) => this.holderOf(account),
      Math.min(RELAY_WAIT_MS, options.timeoutMs),
    );
    dir.relay = this;
    server.network = this;
  }

  /** The node holding the person logged in to `account` (folded), if another node does. */
  private holderOf(account: string): string | null {
    for (const user of this.replica.users.values()) {
      if (user.account !== null && foldCase(user.account) === account) return user.node;
    }
    return null;
  }

  relayToHolder(s: Session, resume: () => void): boolean {
    return this.relays.relayToHolder(s, resume);
  }

  relayClosed(s: Session, reason: string): void {
    this.relays.relayClosed(s, reason);
  }

  private get nodesKey(): string {
    return `${this.options.prefix}:nodes`;
  }

  /** Connects, announces itself and starts the heartbeat; registrations wait for the sync. */
  async start(): Promise<void> {
    await this.bus.start({
      message: (raw) => this.receive(raw),
      restored: () => this.resync(),
    });
    await this.announce(true);
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
    this.log.info(
      { event: 'cluster.started', node: this.nodeName },
      `cluster: node ${this.nodeName} on the bus ${this.options.prefix}`,
    );
  }

  /** Says hello with our state, and waits for the state of every live node. */
  private async announce(blocking: boolean): Promise<void> {
    this.helloAt = Date.now();
    let live: string[] = [];
    try {
      live = await this.bus.pub.zrangebyscore(this.nodesKey, Date.now() - this.options.timeoutMs, '+inf');
      await this.bus.pub.zadd(this.nodesKey, Date.now(), this.nodeName);
    } catch (err) {
      this.log.warn(
        { event: 'cluster.nodes_unreadable', err: String(err) },
        'cluster: cannot read live nodes',
      );
    }
    this.awaiting.clear();
    for (const node of live) if (node !== this.nodeName) this.awaiting.add(node);
    this.bus.publish({ k: 'hello' });
    this.bus.publish(this.burst(null));
    if (!blocking) return;
    if (this.awaiting.size === 0) {
      this.markSynced();
      return;
    }
    this.syncTimer = setTimeout(() => {
      this.syncTimer = null;
      if (this.syncedFlag) return;
      this.log.warn(
        { event: 'cluster.sync_timeout', missing: [...this.awaiting] },
        `cluster: no state from ${[...this.awaiting].join(', ')} after ${this.options.syncWaitMs} ms; accepting users anyway`,
      );
      this.markSynced();
    }, this.options.syncWaitMs);
    this.syncTimer.unref();
  }

  private markSynced(): void {
    if (this.syncedFlag) return;
    this.syncedFlag = true;
    if (this.syncTimer !== null) clearTimeout(this.syncTimer);
    this.syncTimer = null;
    this.log.info(
      { event: 'cluster.synced', nodes: this.liveness.nodes(), users: this.replica.users.size },
      `cluster: synced with ${this.liveness.nodes().length} other node(s), ${this.replica.users.size} remote user(s)`,
    );
    for (const fn of this.waiting.splice(0)) fn();
  }

  /** The bus came back: what we missed is unknowable, so drop everyone else's state and start over. */
  private resync(): void {
    if (this.closed) return;
    for (const node of this.liveness.nodes()) this.lose(node, 'resync');
    for (const node of this.replica.nodes()) this.replica.netsplit(node, this.splitReason(node));
    void this.announce(false);
  }

  private beat(): void {
    this.bus.publish({ k: 'hb' });
    if (this.bus.connected) {
      this.bus.pub.zadd(this.nodesKey, Date.now(), this.nodeName).catch(() => {});
      this.bus.pub
        .zremrangebyscore(this.nodesKey, '-inf', Date.now() - 10 * this.options.timeoutMs)
        .catch(() => {});
    }
    for (const node of this.liveness.expired()) this.lose(node, 'timeout');
  }

  private splitReason(node: string): string {
    return `${this.nodeName} ${node}`;
  }

  /** A node is gone (timeout, bye, or we resync): its users quit as in a netsplit. */
  private lose(node: string, why: 'timeout' | 'bye' | 'resync' | 'hello'): void {
    this.liveness.remove(node);
    this.relays.nodeLost(node, this.splitReason(node));
    const count = this.replica.netsplit(node, this.splitReason(node));
    if (why !== 'resync') {
      this.log.warn(
        { event: 'cluster.node_lost', node, why, users: count },
        `cluster: lost node ${node} (${why}); ${count} user(s) removed`,
      );
    }
  }

  // ---------------------------------------------------------------- receiving

  private receive(raw: string): void {
    let envelope: ReturnType<typeof decodeEnvelope>;
    try {
      envelope = decodeEnvelope(raw);
    } catch (err) {
      this.badEnvelopes++;
      const now = Date.now();
      if (now - this.lastBadLog > BAD_LOG_EVERY_MS) {
        this.lastBadLog = now;
        // JSON.parse's message quotes the input, which may be someone's message: not logged.
        const why =
          err instanceof SyntaxError ? 'not JSON' : err instanceof DecodeError ? err.message : String(err);
        this.log.warn(
          { event: 'cluster.bad_envelope', why, count: this.badEnvelopes },
          `cluster: ignored a malformed or foreign message on the bus (${why})`,
        );
      }
      return;
    }
    const from = envelope.n;
    if (from === this.nodeName || this.closed) return;
    this.liveness.heard(from);
    for (const ev of envelope.e) {
      try {
        this.apply(from, ev);
      } catch (err) {
        // One bad event must not take the node down; its state may lag until the next resync.
        this.log.error(
          { event: 'cluster.apply_failed', kind: ev.k, from, err: String(err) },
          `cluster: could not apply a ${ev.k} event from ${from}`,
        );
      }
    }
  }

  private apply(from: string, ev: ClusterEvent): void {
    switch (ev.k) {
      case 'hello':
        // It (re)started or lost the bus: what we hold of it is stale.
        if (this.liveness.has(from)) this.lose(from, 'hello');
        this.liveness.add(from);
        this.bus.publish(this.burst(from));
        return;
      case 'resync':
        if (ev.to === this.nodeName) this.bus.publish(this.burst(from));
        return;
      case 'burst':
        if (ev.to !== null && ev.to !== this.nodeName) return;
        this.liveness.add(from);
        applyBurst(this.replica, from, ev, this.splitReason(from));
        this.awaiting.delete(from);
        if (this.awaiting.size === 0) this.markSynced();
        return;
      default:
        break;
    }
    if (!this.liveness.has(from)) {
      this.askResync(from);
      return;
    }
    switch (ev.k) {
      case 'hb':
        return;
      case 'bye':
        this.lose(from, 'bye');
        return;
      case 'user':
        this.replica.introduce(from, ev.u);
        return;
      case 'uset':
        if (ev.u.id.startsWith(`${from}/`)) this.replica.update(ev.u, ev.o, ev.cap);
        return;
      case 'nick':
        if (ev.id.startsWith(`${from}/`)) this.replica.rename(ev.id, ev.nick, ev.nts, ev.o);
        return;
      case 'quit':
        if (ev.id.startsWith(`${from}/`)) this.replica.remove(ev.id, ev.reason);
        return;
      case 'kill':
        if (ev.to === this.nodeName) {
          // The person, with every device (relayed ones included), as a local KILL does.
          const victim = this.sessionsById.get(ev.id);
          if (victim !== undefined)
            this.server.removeEverywhere(victim.person, `Killed (${ev.by} (${ev.reason}))`);
        }
        return;
      case 'chan':
        this.replica.channelEvent(ev);
        return;
      case 'to':
        if (ev.to === this.nodeName) this.deliverHere(ev.id, outgoingOf(ev.o));
        return;
      case 'ratt':
      case 'rack':
      case 'rin':
      case 'rout':
      case 'rend':
        if (ev.to === this.nodeName) this.relays.handle(from, ev);
        return;
    }
  }

  /** Events from a node we hold no state of: ask it for its state (not while starting). */
  private askResync(node: string): void {
    const now = Date.now();
    if (this.awaiting.has(node) || now - this.helloAt < this.options.syncWaitMs) return;
    if (now - (this.resyncAskedAt.get(node) ?? 0) < 3000) return;
    this.resyncAskedAt.set(node, now);
    this.bus.publish({ k: 'resync', to: node });
  }

  /** A delivery another node made to one of our users. */
  private deliverHere(id: string, out: Outgoing): void {
    // The session that registered the person; delivery is to the person, every device of it
    // (that first connection may have closed while others, relayed ones too, remain).
    const person = this.sessionsById.get(id)?.person;
    if (person === undefined || !person.registered) return;
    if (out.command === 'INVITE') {
      // The invitation lets them through +i here, where they will JOIN.
      const channel = this.dir.findChannel(foldCase(out.params[1] ?? ''));
      channel?.invited.add(person.folded);
    }
    person.deliver(out); // a TAGMSG only to the devices with message-tags
  }

  // ---------------------------------------------------------------- Network (what the core reports)

  get synced(): boolean {
    return this.syncedFlag;
  }

  whenSynced(fn: () => void): void {
    if (this.syncedFlag) fn();
    else this.waiting.push(fn);
  }

  /** Events only matter to other nodes; with none known, the next one's burst says it all. */
  private emit(ev: ClusterEvent): void {
    if (this.liveness.nodes().length > 0) this.bus.publish(ev);
  }

  private idOf(user: User): string {
    // A local user is a person (core/person.ts), whichever of its connections is in hand.
    return user.local ? `${this.nodeName}/${(personOf(user) as Person).id}` : (user as RemoteUser).id;
  }

  private nickTsOf(s: Session): number {
    return this.nickTs.get(s) ?? s.signonAt;
  }

  private burst(to: string | null): ClusterEvent {
    return buildBurst(
      this.server,
      to,
      (s) => this.idOf(s),
      (s) => this.nickTsOf(s),
    );
  }

  userRegistered(s: Session): void {
    const id = this.idOf(s);
    this.sessionsById.set(id, s);
    this.nickTs.set(s, Date.now());
    this.emit({ k: 'user', u: userRecord(s, id, this.nickTsOf(s)) });
  }

  userChanged(s: Session, out?: Outgoing, peerCap = 0): void {
    if (!s.registered) return;
    this.emit({
      k: 'uset',
      u: userRecord(s, this.idOf(s), this.nickTsOf(s)),
      o: out === undefined ? null : outRecord(out),
      cap: peerCap,
    });
  }

  userNick(s: Session, _oldNick: string, out: Outgoing): void {
    const ts = Date.now();
    this.nickTs.set(s, ts);
    this.emit({ k: 'nick', id: this.idOf(s), nick: s.nick, nts: ts, o: outRecord(out) });
  }

  userQuit(s: Session, reason: string): void {
    const id = this.idOf(s);
    this.sessionsById.delete(id);
    this.emit({ k: 'quit', id, reason });
  }

  kill(victim: User, killer: string, reason: string): void {
    const remote = victim as RemoteUser;
    this.emit({ k: 'kill', to: remote.node, id: remote.id, by: killer, reason });
  }

  channelBroadcast(
    channel: Channel,
    out: Outgoing,
    except: User | null,
    needCap: number,
    withoutCap: number,
    lazy: boolean,
  ): void {
    if (this.liveness.count === 0) return;
    const command = out.command;
    // A message goes to the other nodes even when this node's replica of the room has no
    // member elsewhere: someone may have just joined on another node, their JOIN already
    // acknowledged there while the join event is still on its way here. Each node delivers
    // to the members it has when the event arrives, after that JOIN (issue 14).
    let source: User | undefined;
    if (except?.local) source = except;
    else source = this.dir.findUser(foldCase(nickOf(out.source)));
    let u: string | null = source === undefined ? null : this.idOf(source);
    let j = null;
    if (command === 'JOIN') {
      if (source === undefined) return;
      j = {
        id: this.idOf(source),
        bits: channel.members.get(source) ?? 0,
        ts: channel.createdAt,
        snap: channel.members.size === 1 ? chanSnapshot(channel) : null,
      };
    } else if (command === 'KICK') {
      const victim = this.dir.findUser(foldCase(out.params[1] ?? ''));
      u = victim === undefined ? null : this.idOf(victim);
    }
    this.bus.publish({
      k: 'chan',
      ch: channel.name,
      o: outRecord(out),
      x: except === null ? null : this.idOf(except),
      u,
      nc: needCap,
      wc: withoutCap,
      lz: lazy,
      j,
    });
  }

  /** RemoteUser.deliver: one delivery to a user of another node. */
  private deliverRemote(user: RemoteUser, out: Outgoing): void {
    this.bus.publish({ k: 'to', to: user.node, id: user.id, o: outRecord(out) });
  }

  // ---------------------------------------------------------------- shutdown

  /** Says goodbye (the others remove our users at once) and disconnects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.bus.publish({ k: 'bye' });
    await this.bus.flush();
    this.closed = true;
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    if (this.syncTimer !== null) clearTimeout(this.syncTimer);
    if (this.bus.connected) await this.bus.pub.zrem(this.nodesKey, this.nodeName).catch(() => {});
    await this.bus.close();
  }

  remoteCensus(): { users: number; invisible: number; opers: number; nodes: number } {
    const { invisible, opers } = this.replica.census;
    return { users: this.replica.users.size, invisible, opers, nodes: this.liveness.count };
  }
}
