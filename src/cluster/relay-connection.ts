/**
 * Relay connections: one person, one nick, when an account's connections land on different
 * nodes (docs/CLUSTER.md, "People across nodes").
 *
 * The node where the person registered first **holds** it: its rooms, modes, nick claim and
 * connections, replicated to the others as one user (node.ts). A connection that logs in
 * during registration on another node, to an account whose person that node sees held
 * elsewhere, does not register a second user there. It becomes a **relay**:
 *
 *  - the relaying node sends `ratt` to the holder (the account, the capabilities it
 *    negotiated, its address and client), then forwards every line the client sends (`rin`),
 *    in order, unprocessed;
 *  - the holder answers `rack`, creates a Session for it whose transport publishes what is
 *    written to it back (`rout`), and runs the ordinary attach (core/attach.ts): welcome,
 *    the person's rooms, catch-up. From then on it is one more device of the person, and every
 *    command it sends runs on the holder, so ordering and authority stay in one place;
 *  - when either side ends the connection it says `rend`, and the other drops its half (the
 *    holder sees that device go away, never the person: no QUIT while another remains);
 *  - a node lost (netsplit, resync) drops every relay through it: the client is disconnected
 *    with a reason and reconnects to a network that no longer shows the person elsewhere.
 *
 * Why a byte relay rather than replicating the person to both nodes: the person's state
 * (rooms, nick, echo, read markers, catch-up) then has one writer, so nothing here has to
 * be merged, and every command behaves exactly as it does for a local device.
 *
 * If the holder does not answer within the wait (it crashed and is not timed out yet, or its
 * person just left), the connection registers where it is, as it would without this module,
 * with a log line saying why; lines it sent meanwhile are then processed there, in order.
 */
import type { Logger } from 'pino';
import { attachIfPresent } from '../core/attach.js';
import type { ChatServer } from '../core/server.js';
import type { Session } from '../core/session.js';
import type { Transport } from '../core/transport.js';
import { foldCase } from '../protocol/casemapping.js';
import type { ClusterEvent, RelayAttach } from './codec.js';

/** Longest a relaying node waits for the holder to take a connection. */
export const RELAY_WAIT_MS = 2000;
/** Lines a client may send while the holder has not answered yet (then it is dropped). */
const WAITING_MAX_LINES = 200;

type RelayEvent = Extract<ClusterEvent, { k: 'ratt' | 'rack' | 'rin' | 'rout' | 'rend' }>;

/** A connection of ours whose person another node holds. */
interface Outbound {
  readonly key: string;
  readonly session: Session;
  readonly holder: string;
  accepted: boolean;
  /** Lines sent before the holder answered (kept in case it does not). */
  waiting: Buffer[];
  timer: NodeJS.Timeout | null;
  readonly resume: () => void;
}

/** A connection of another node, run here as a device of a person we hold. */
interface Inbound {
  readonly session: Session;
  readonly origin: string;
  readonly transport: RelayTransport;
}

/**
 * The holder's side of a relayed connection: what the core writes is published to the
 * relaying node, which writes it to the client's socket (and applies its own send queue
 * bounds there, where the bytes wait).
 */
class RelayTransport implements Transport {
  readonly pendingBytes = 0;
  ended = false;
  readonly userAgent?: string;

  constructor(
    readonly kind: string,
    readonly remoteAddress: string,
    readonly secure: boolean,
    readonly certFingerprint: string | null,
    userAgent: string | null,
    private readonly out: (data: Buffer) => void,
    private readonly close: (reason: string) => void,
  ) {
    if (userAgent !== null) this.userAgent = userAgent;
  }

  write(data: Buffer): void {
    if (!this.ended && data.length > 0) this.out(data);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.close('closed by the server');
  }

  destroy(): void {
    this.end();
  }
}

export class Relays {
  /** Ours, by `<this node>/<session id>`. */
  private readonly outbound = new Map<string, Outbound>();
  /** Other nodes', by `<their node>/<their session id>`. */
  private readonly inbound = new Map<string, Inbound>();
  private readonly asked = new WeakSet<Session>();
  private readonly log: Logger;

  constructor(
    private readonly server: ChatServer,
    private readonly nodeName: string,
    private readonly publish: (ev: RelayEvent) => void,
    /** The node holding the account's person (folded account), or null when none does. */
    private readonly holderOf: (account: string) => string | null,
    private readonly waitMs: number,
  ) {
    this.log = server.log;
  }

  /** How many connections this node relays to others, and runs for others. */
  get counts(): { outbound: number; inbound: number } {
    return { outbound: this.outbound.size, inbound: this.inbound.size };
  }

  // ---------------------------------------------------------------- the relaying node

  /** Network.relayToHolder: hands `s` to the node holding its account's person, if any. */
  relayToHolder(s: Session, resume: () => void): boolean {
    if (s.account === null || this.asked.has(s)) return false;
    this.asked.add(s);
    const holder = this.holderOf(foldCase(s.account));
    if (holder === null) return false;
    const key = `${this.nodeName}/${s.id}`;
    const entry: Outbound = {
      key,
      session: s,
      holder,
      accepted: false,
      waiting: [],
      timer: null,
      resume,
    };
    this.outbound.set(key, entry);
    s.relayTo((line) => this.fromClient(entry, line));
    const att: RelayAttach = {
      acct: s.account,
      caps: s.caps,
      cv: s.capVersion,
      ip: s.ip,
      kind: s.transport.kind,
      sec: s.secure,
      fp: s.certFingerprint,
      ua: s.transport.userAgent ?? null,
      user: s.username,
      real: s.realname,
    };
    this.publish({ k: 'ratt', to: holder, c: key, att });
    entry.timer = setTimeout(() => this.fallBack(entry, `no answer in ${this.waitMs} ms`), this.waitMs);
    entry.timer.unref();
    return true;
  }

  private fromClient(entry: Outbound, line: Buffer): void {
    if (entry.accepted) {
      this.publish({ k: 'rin', to: entry.holder, c: entry.key, l: line.toString('base64') });
      return;
    }
    if (entry.waiting.length >= WAITING_MAX_LINES) {
      this.server.disconnect(entry.session, 'Excess Flood');
      return;
    }
    entry.waiting.push(Buffer.from(line)); // the gateway's buffer is reused after this call
  }

  /** The holder did not take it: the connection registers here, as without a holder. */
  private fallBack(entry: Outbound, why: string): void {
    if (this.outbound.get(entry.key) !== entry) return;
    this.forget(entry);
    const s = entry.session;
    s.relay = null;
    this.log.warn(
      { event: 'cluster.relay_fallback', account: s.account, holder: entry.holder, why },
      `cluster: node ${entry.holder} holds ${s.account} but did not take a connection (${why}); it registers here as a separate user`,
    );
    entry.resume();
    for (const line of entry.waiting) s.receiveLine(line);
  }

  private accepted(entry: Outbound): void {
    entry.accepted = true;
    if (entry.timer !== null) clearTimeout(entry.timer);
    entry.timer = null;
    const s = entry.session;
    // The nick this connection asked for is the person's business now, on the holder.
    if (s.folded !== '' && !s.nickHeld) this.server.directory.releaseNick(s.folded, s);
    s.nickHeld = false;
    s.nick = '*';
    s.folded = '';
    this.log.info(
      { event: 'cluster.relay_started', account: s.account, holder: entry.holder, ip: s.ip },
      `cluster: a connection of ${s.account} is relayed to node ${entry.holder}, which holds that person`,
    );
    // Not this node's device of the account any more: loops over local connections of an
    // account (MARKREAD to the others, push presence) must not write to it from here.
    s.account = null;
    for (const line of entry.waiting) this.fromClient(entry, line);
    entry.waiting = [];
  }

  private forget(entry: Outbound): void {
    this.outbound.delete(entry.key);
    if (entry.timer !== null) clearTimeout(entry.timer);
    entry.timer = null;
  }

  /** Network.relayClosed: our client left (or we are shutting down): the holder is told. */
  relayClosed(s: Session, reason: string): void {
    const entry = this.outbound.get(`${this.nodeName}/${s.id}`);
    if (entry === undefined) return;
    this.forget(entry);
    // Told even before its answer: it may have taken the connection already.
    this.publish({ k: 'rend', to: entry.holder, c: entry.key, why: reason });
  }

  // ---------------------------------------------------------------- the holding node

  private take(origin: string, key: string, att: RelayAttach): void {
    const server = this.server;
    const person = server.people.get(foldCase(att.acct));
    if (person === undefined || this.inbound.has(key)) {
      this.publish({ k: 'rack', to: origin, c: key, ok: false });
      return;
    }
    this.publish({ k: 'rack', to: origin, c: key, ok: true });
    const transport = new RelayTransport(
      att.kind,
      att.ip,
      att.sec,
      att.fp,
      att.ua,
      (data) => this.publish({ k: 'rout', to: origin, c: key, d: data.toString('base64') }),
      (reason) => {
        this.inbound.delete(key);
        this.publish({ k: 'rend', to: origin, c: key, why: reason });
      },
    );
    // A refusal (address limits) writes its ERROR and ends the transport: the client is told.
    const s = server.attach(transport);
    if (s === null) return;
    this.inbound.set(key, { session: s, origin, transport });
    // What registration on the relaying node settled; the login was checked there.
    s.caps = att.caps;
    s.capVersion = att.cv;
    s.username = att.user;
    s.realname = att.real;
    s.userGiven = true;
    s.account = att.acct;
    if (!attachIfPresent(s)) server.disconnect(s, 'Could not attach to your other session');
  }

  // ---------------------------------------------------------------- events and splits

  /** One relay event addressed to this node. */
  handle(from: string, ev: RelayEvent): void {
    switch (ev.k) {
      case 'ratt':
        // A node speaks only for its own connections.
        if (ev.c.startsWith(`${from}/`)) this.take(from, ev.c, ev.att);
        return;
      case 'rin': {
        const entry = this.inbound.get(ev.c);
        if (entry?.origin === from) entry.session.receiveLine(Buffer.from(ev.l, 'base64'));
        return;
      }
      case 'rend': {
        const entry = this.inbound.get(ev.c);
        if (entry?.origin !== from) {
          const out = this.outbound.get(ev.c);
          if (out?.holder !== from) return;
          this.forget(out);
          this.server.endRelayed(out.session, ev.why);
          return;
        }
        this.inbound.delete(ev.c);
        entry.transport.ended = true;
        this.server.transportClosed(entry.session, ev.why);
        return;
      }
      case 'rack': {
        const entry = this.outbound.get(ev.c);
        if (entry === undefined) {
          // Too late: it registered here meanwhile (or closed). The holder drops its side.
          if (ev.ok) this.publish({ k: 'rend', to: from, c: ev.c, why: 'no longer relayed' });
          return;
        }
        if (entry.holder !== from || entry.accepted) return;
        if (ev.ok) this.accepted(entry);
        else this.fallBack(entry, 'it no longer has that person');
        return;
      }
      case 'rout': {
        const entry = this.outbound.get(ev.c);
        // Written through our send queue: its SendQ bound applies to a client not reading.
        if (entry?.holder === from) entry.session.sendQueue.write(Buffer.from(ev.d, 'base64'));
        return;
      }
    }
  }

  /** A node is gone (netsplit, bye, resync): every relay through it ends here. */
  nodeLost(node: string, reason: string): void {
    for (const entry of [...this.outbound.values()]) {
      if (entry.holder !== node) continue;
      if (!entry.accepted) {
        this.fallBack(entry, 'that node is gone');
        continue;
      }
      this.forget(entry);
      this.server.disconnect(entry.session, `Lost the node holding your session (${reason})`);
    }
    for (const [key, entry] of [...this.inbound]) {
      if (entry.origin !== node) continue;
      this.inbound.delete(key);
      entry.transport.ended = true;
      this.server.transportClosed(entry.session, reason);
    }
  }
}
