/**
 * What the core tells the rest of the network when this node is one of several
 * (src/cluster/). A single node has none (`ChatServer.network` is null) and nothing here
 * runs. The core only reports what its own local users did; the other nodes apply it to
 * their replicas and render it to their own clients (docs/CLUSTER.md).
 *
 * Every method is synchronous and must not throw: events are queued and published later,
 * in the order they were reported, so the other nodes see this node's users act in the
 * order they acted.
 */
import type { Channel } from './channel.js';
import type { Outgoing } from './outgoing.js';
import type { Session } from './session.js';
import type { User } from './user.js';

export interface Network {
  /** This node's name (shown in WHOIS). */
  readonly nodeName: string;
  /**
   * False while the node is still receiving the network's state (users, rooms) after it
   * started or lost the bus: a registration completing then could take a nick someone
   * elsewhere holds, so it waits (`whenSynced`).
   */
  readonly synced: boolean;
  /** Users on other nodes, and how many are invisible or operators; other live nodes (LUSERS). */
  remoteCensus(): { users: number; invisible: number; opers: number; nodes: number };
  /** Runs `fn` once the node is synced (at once if it is). */
  whenSynced(fn: () => void): void;
  /**
   * A connection logged in during registration to an account whose person another node
   * holds: true when this node takes it over as a relay to that node
   * (cluster/relay-connection.ts); it calls `resume` (registration goes on here, as if
   * there were no such person) when that node does not take it. Asked once per connection.
   */
  relayToHolder?(s: Session, resume: () => void): boolean;
  /** A relay connection closed here (the client left, or this node is shutting down). */
  relayClosed?(s: Session, reason: string): void;
  /** A local user finished registration. */
  userRegistered(user: Session): void;
  /**
   * A local user's own fields changed (away, real name, host, account, modes, caps).
   * `out`, if given, is what the change looks like to the people sharing a channel with
   * them who have `peerCap` (AWAY with away-notify, SETNAME, CHGHOST, ACCOUNT).
   */
  userChanged(user: Session, out?: Outgoing, peerCap?: number): void;
  /** A registered local user changed nick; `out` is the NICK line their peers see. */
  userNick(user: Session, oldNick: string, out: Outgoing): void;
  /** A registered local user left (QUIT, KILL, ping timeout, disconnect). */
  userQuit(user: Session, reason: string): void;
  /** An operator here KILLs a user on another node. */
  kill(victim: User, killer: string, reason: string): void;
  /**
   * A room's broadcast (Channel.broadcast) reached this node's members; the other nodes
   * render it to theirs, applying the membership and mode changes it carries (JOIN, PART,
   * KICK, MODE, TOPIC), as IRC servers do with the lines they pass each other.
   */
  channelBroadcast(
    channel: Channel,
    out: Outgoing,
    except: User | null,
    needCap: number,
    withoutCap: number,
    lazy: boolean,
  ): void;
}
