/**
 * A channel (room): members with their prefix modes, channel modes, topic, bans and
 * invitations. Pure state plus the fan-out loop; the rules about who may do what live in
 * the command handlers.
 */
import { foldCase } from '../protocol/casemapping.js';
import { Cap } from './caps.js';
import { bannedFromJoining, silenced } from './channel-access.js';
import type { Network } from './network.js';
import type { Outgoing } from './outgoing.js';
import { Person } from './person.js';
import type { User } from './user.js';

/** Prefix modes, highest first: PREFIX=(ov)@+ */
export const OP = 2;
export const VOICE = 1;

export interface ListEntry {
  mask: string;
  setBy: string;
  setAt: number;
}

export interface Topic {
  text: string;
  setBy: string;
  setAt: number;
}

/**
 * A room's member list keyed by person: a connection given as the key stands for its person
 * (person.ts), so handlers may ask `members.has(session)` of whichever connection sent the
 * command. Iteration yields people.
 */
class MemberMap extends Map<User, number> {
  override get(user: User): number | undefined {
    return super.get(user.person ?? user);
  }
  override has(user: User): boolean {
    return super.has(user.person ?? user);
  }
  override set(user: User, bits: number): this {
    return super.set(user.person ?? user, bits);
  }
  override delete(user: User): boolean {
    return super.delete(user.person ?? user);
  }
}

/** Where a channel's broadcasts go besides its local members (the cluster, core/network.ts). */
export type BroadcastRelay = Pick<Network, 'channelBroadcast'>;

export class Channel {
  /** Changes only through RENAME (commands/rename.ts), with the directory entry. */
  folded: string;
  /**
   * Creation time (RPL_CREATIONTIME, LIST C<n). In a cluster it is the room's timestamp:
   * when two nodes created the same room at once, both keep the older one (IRC's TS rule).
   */
  createdAt = Date.now();
  /** Set by a cluster directory when the room is added: the other nodes get its broadcasts. */
  relay: BroadcastRelay | null = null;
  /**
   * Member → prefix bits (OP | VOICE). Insertion order is join order. Members join and leave
   * through addMember/removeMember; changing an existing member's bits with `members.set` is
   * fine. (No count of members on other nodes is kept: the cluster relays every broadcast
   * while another node is alive, cluster/node.ts, so nothing asks for it.)
   */
  readonly members: Map<User, number> = new MemberMap();
  topic: Topic | null = null;

  // Channel modes (CHANMODES=beI,k,l,Cimnst).
  inviteOnly = false;
  moderated = false;
  noExternal = true;
  topicLocked = true;
  secret = false;
  key: string | null = null;
  limit: number | null = null;
  readonly bans: ListEntry[] = [];
  /** Ban exceptions (+e) and invite exceptions (+I): core/channel-access.ts. */
  readonly exceptions: ListEntry[] = [];
  readonly inviteExceptions: ListEntry[] = [];
  /** +C: no CTCP but ACTION. */
  noCtcp = false;
  /** Folded nicks invited while +i (cleared when they join). */
  readonly invited = new Set<string>();

  constructor(public name: string) {
    this.folded = foldCase(name);
  }

  addMember(user: User, bits: number): void {
    this.members.set(user, bits);
  }

  removeMember(user: User): void {
    this.members.delete(user);
  }

  isOp(user: User): boolean {
    return ((this.members.get(user) ?? 0) & OP) !== 0;
  }

  isVoiced(user: User): boolean {
    return ((this.members.get(user) ?? 0) & VOICE) !== 0;
  }

  /** `@`, `+` or '' (or `@+` with multi-prefix). */
  prefixOf(user: User, multiPrefix: boolean): string {
    const bits = this.members.get(user) ?? 0;
    if (multiPrefix) return (bits & OP ? '@' : '') + (bits & VOICE ? '+' : '');
    return bits & OP ? '@' : bits & VOICE ? '+' : '';
  }

  /**
   * Why `user` may not speak here (+n, +m, bans), or null when they may. Operators and voiced
   * members always speak. Every command that puts text in a room (messages, reactions, edits)
   * asks this one question.
   */
  sendRefusal(user: User): string | null {
    const bits = this.members.get(user);
    if (bits === undefined) {
      if (this.noExternal) return 'Cannot send to channel (no external messages)';
    } else if (bits !== 0) {
      return null;
    }
    if (this.moderated) return 'Cannot send to channel (+m)';
    if (silenced(this.bans, this.exceptions, user)) return 'Cannot send to channel (you are banned or muted)';
    return null;
  }

  /** Banned from joining (+b, less +e; extbans: channel-access.ts). */
  isBanned(user: User): boolean {
    return bannedFromJoining(this.bans, this.exceptions, user);
  }

  /** `+nt` style mode string with parameters, for RPL_CHANNELMODEIS. */
  modeString(showKey: boolean): string[] {
    let flags = '+';
    const params: string[] = [];
    if (this.noCtcp) flags += 'C';
    if (this.inviteOnly) flags += 'i';
    if (this.moderated) flags += 'm';
    if (this.noExternal) flags += 'n';
    if (this.secret) flags += 's';
    if (this.topicLocked) flags += 't';
    if (this.key !== null) {
      flags += 'k';
      params.push(showKey ? this.key : '*');
    }
    if (this.limit !== null) {
      flags += 'l';
      params.push(String(this.limit));
    }
    return [flags, ...params];
  }

  /**
   * Delivers to every member except `except`, optionally only to those with (or without)
   * a capability. The Outgoing caches its bytes per tag variant, so this loop does no
   * serialization work after the first recipient of each variant.
   *
   * Only local members are delivered to here; in a cluster the relay hands the broadcast to
   * the other nodes once, and each renders it to its own members (deliverLocal).
   */
  broadcast(out: Outgoing, except: User | null = null, needCap = 0, withoutCap = 0, lazy = false): number {
    const delivered = this.deliverLocal(out, except, needCap, withoutCap, lazy);
    this.relay?.channelBroadcast(this, out, except, needCap, withoutCap, lazy);
    return delivered;
  }

  /**
   * The fan-out loop of `broadcast`, for this node's members only. Returns how many members
   * it delivered to (the deliveries counter is a count of these, so it can never go down).
   */
  deliverLocal(
    out: Outgoing,
    except: User | null,
    needCap: number,
    withoutCap: number,
    lazy: boolean,
  ): number {
    const tagOnly = out.needsMessageTags;
    let delivered = 0;
    // `except` may be the connection that sent it: the person's other connections still get
    // it, as that person's own message (docs/PEOPLE.md).
    const exceptPerson = except === null ? null : (except.person ?? except);
    for (const member of this.members.keys()) {
      if (member instanceof Person) {
        if (member === except) continue;
        delivered += member.deliverFiltered(
          out,
          member === exceptPerson ? except : null,
          needCap,
          withoutCap,
          lazy,
        );
        continue;
      }
      if (member === exceptPerson || !member.local) continue;
      const caps = member.caps;
      if (needCap !== 0 && (caps & needCap) === 0) continue;
      if (withoutCap !== 0 && (caps & withoutCap) !== 0) continue;
      if (tagOnly && (caps & Cap.messageTags) === 0) continue;
      member.deliver(out, lazy);
      delivered++;
    }
    return delivered;
  }
}
