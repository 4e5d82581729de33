/**
 * The Directory of a cluster node: the same in-memory look-ups as LocalDirectory, over the
 * replica that holds every user and room of the network, so `claimNick` stays synchronous
 * (NICK needs no round trip) and every read the commands make is local. Rooms added here
 * get the relay that hands their broadcasts to the other nodes.
 *
 * Two nodes can still hand out one nick in the same instant; collisions.ts settles that
 * when they hear of each other, the same way on every node.
 */
import type { BroadcastRelay, Channel } from '../core/channel.js';
import type { Directory } from '../core/directory.js';
import type { User } from '../core/user.js';

export class ClusterDirectory implements Directory {
  private readonly nicks = new Map<string, User>();
  private readonly chans = new Map<string, Channel>();
  /** Set by the node once it is wired (node.ts). */
  relay: BroadcastRelay | null = null;

  claimNick(folded: string, user: User): boolean {
    const holder = this.nicks.get(folded);
    if (holder !== undefined && holder !== user) return false;
    this.nicks.set(folded, user);
    return true;
  }

  /** Gives a nick to `user` whoever holds it (the winner of a collision). */
  assignNick(folded: string, user: User): void {
    this.nicks.set(folded, user);
  }

  releaseNick(folded: string, user: User): void {
    if (this.nicks.get(folded) === user) this.nicks.delete(folded);
  }

  findUser(folded: string): User | undefined {
    return this.nicks.get(folded);
  }

  users(): Iterable<User> {
    return this.nicks.values();
  }

  get userCount(): number {
    return this.nicks.size;
  }

  findChannel(folded: string): Channel | undefined {
    return this.chans.get(folded);
  }

  addChannel(channel: Channel): void {
    channel.relay = this.relay;
    this.chans.set(channel.folded, channel);
  }

  removeChannel(channel: Channel): void {
    if (this.chans.get(channel.folded) === channel) this.chans.delete(channel.folded);
  }

  channels(): Iterable<Channel> {
    return this.chans.values();
  }

  get channelCount(): number {
    return this.chans.size;
  }
}
