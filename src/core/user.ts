/**
 * A user as the rest of the network sees them. A local connection (Session) is one; a
 * user on another node of a cluster (src/cluster/remote-user.ts) is another implementation
 * behind the same interface, which is why channels, WHO/WHOIS and delivery only ever talk
 * to `User`.
 */
import type { Channel } from './channel.js';
import type { Outgoing } from './outgoing.js';

export interface User {
  readonly nick: string;
  /** Case-folded nick (CASEMAPPING), the key for every look-up. */
  readonly folded: string;
  readonly username: string;
  readonly host: string;
  /** The real address, shown only to the user themselves and operators. */
  readonly ip: string;
  readonly realname: string;
  readonly account: string | null;
  readonly away: string | null;
  readonly isOper: boolean;
  readonly invisible: boolean;
  readonly wallops: boolean;
  readonly secure: boolean;
  /** SHA-256 fingerprint of the TLS client certificate (WHOIS 276); absent or null for none. */
  readonly certFingerprint?: string | null;
  /** Name of the server the user is connected to. */
  readonly serverName: string;
  readonly signonAt: number;
  /** Last time the user sent a message (WHOIS idle). */
  readonly idleSince: number;
  /** Enabled capability bits (see caps.ts); decides the tags each delivery carries. */
  readonly caps: number;
  readonly channels: ReadonlySet<Channel>;
  /** Forgets a membership (server.leaveChannel, which updates the room's member list). */
  leftChannel(channel: Channel): void;
  /** `nick!user@host`. */
  readonly mask: string;
  /**
   * Who this user is for private history: `a:<folded account>` when logged in, else
   * `g:<token>` for this connection only (a guest sees only what they took part in).
   */
  readonly identity: string;
  /** False while a local connection is still registering (it may hold a nick already). */
  readonly registered: boolean;
  /**
   * True for a connection to this process. A user on another node of a cluster
   * (src/cluster/remote-user.ts) is not local: channel fan-out skips them, because their own
   * node renders what they see from the one event it receives for the whole room.
   */
  readonly local: boolean;
  /** The cluster node the user is connected to; absent for this node's own users. */
  readonly node?: string;
  /**
   * Sends a message. `lazy` (presence announcements: joins, quits) lets the bytes wait up to
   * LAZY_FLUSH_MS to share one socket write with others; anything sent after them without
   * `lazy` takes them along at once, in order.
   */
  deliver(out: Outgoing, lazy?: boolean): void;
  /**
   * For a connection (Session): the person it belongs to, which is what rooms and the
   * directory hold (person.ts). Absent for a person and for users on other nodes.
   */
  readonly person?: User;
}
