/**
 * The Directory of a cluster node: LocalDirectory's in-memory look-ups, over the
 * replica that holds every user and room of the network, so `claimNick` stays synchronous
 * (NICK needs no round trip) and every read the commands make is local. Rooms added here
 * get the relay that hands their broadcasts to the other nodes.
 *
 * Two nodes can still hand out one nick in the same instant; collisions.ts settles that
 * when they hear of each other, the same way on every node.
 */
import type { BroadcastRelay, Channel } from '../core/channel.js';
import type { User } from '../core/user.js';
import { LocalDirectory } from './local-directory.js';

export class ClusterDirectory extends LocalDirectory {
  /** Set by the node once it is wired (node.ts). */
  relay: BroadcastRelay | null = null;

  /** Gives a nick to `user` whoever holds it (the winner of a collision). */
  assignNick(folded: string, user: User): void {
    this.nicks.set(folded, user);
  }

  override addChannel(channel: Channel): void {
    channel.relay = this.relay;
    super.addChannel(channel);
  }
}
