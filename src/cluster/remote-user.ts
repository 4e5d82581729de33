/**
 * A user connected to another node, as this node's replica knows them. It is a `User` like
 * a local Session, so rooms, WHO, WHOIS, NAMES, MONITOR and every command work on it
 * unchanged. It is not `local`: channel fan-out skips it (its node renders room events to
 * it), and a delivery to it alone (a private message, an INVITE) is handed to its node.
 */
import type { Channel } from '../core/channel.js';
import type { Outgoing } from '../core/outgoing.js';
import type { User } from '../core/user.js';
import { foldCase } from '../protocol/casemapping.js';
import type { UserRec } from './codec.js';

/** Sends one delivery to the node that owns the user. */
export type DirectSink = (user: RemoteUser, out: Outgoing) => void;

export class RemoteUser implements User {
  readonly local = false;
  readonly registered = true;
  readonly channels = new Set<Channel>();
  nick = '';
  folded = '';
  /** When the nick was taken: the older claim wins a collision (collisions.ts). */
  nickTs = 0;
  username = '';
  host = '';
  ip = '';
  realname = '';
  account: string | null = null;
  away: string | null = null;
  isOper = false;
  wallops = false;
  invisible = false;
  secure = false;
  certFingerprint: string | null = null;
  serverName = '';
  signonAt = 0;
  /** As last known: updated by their messages and changes, not by every keystroke. */
  idleSince = 0;
  caps = 0;
  identity = '';

  constructor(
    readonly id: string,
    /** The node the user is connected to. */
    readonly node: string,
    rec: UserRec,
    private readonly sink: DirectSink,
  ) {
    this.update(rec);
    this.setNick(rec.nick, rec.nts);
  }

  get mask(): string {
    return this.nick + '!' + this.username + '@' + this.host;
  }

  setNick(nick: string, ts: number): void {
    this.nick = nick;
    this.folded = foldCase(nick);
    this.nickTs = ts;
  }

  /** Takes every replicated field but the nick (which changes only through NICK events). */
  update(rec: UserRec): void {
    this.username = rec.user;
    this.host = rec.host;
    this.ip = rec.ip;
    this.realname = rec.real;
    this.account = rec.acct;
    this.away = rec.away;
    this.isOper = rec.oper;
    this.invisible = rec.inv;
    this.wallops = rec.wal;
    this.secure = rec.sec;
    this.certFingerprint = rec.fp;
    this.serverName = rec.srv;
    this.signonAt = rec.on;
    this.idleSince = rec.idle;
    this.caps = rec.caps;
    this.identity = rec.ident;
  }

  leftChannel(channel: Channel): void {
    this.channels.delete(channel);
  }

  deliver(out: Outgoing): void {
    this.sink(this, out);
  }
}
