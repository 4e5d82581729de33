/**
 * The state a node hands the others when it joins the bus (or they lose track of it):
 * its registered local users, and every room with a local member, with that room's own
 * state and its local members' prefixes. A node speaks only for its own users, so the
 * network's state is the union of every node's burst; rooms merge by their timestamps
 * (replica.ts).
 */
import type { ChatServer } from '../core/server.js';
import type { Session } from '../core/session.js';
import type { ChanBurst, ClusterEvent, UserRec } from './codec.js';
import type { Replica } from './replica.js';
import { chanSnapshot, userRecord } from './snapshots.js';

type Burst = Extract<ClusterEvent, { k: 'burst' }>;

export function buildBurst(
  server: ChatServer,
  to: string | null,
  idOf: (s: Session) => string,
  nickTsOf: (s: Session) => number,
): Burst {
  const users: UserRec[] = [];
  for (const s of server.sessions) if (s.registered) users.push(userRecord(s, idOf(s), nickTsOf(s)));
  const chans: ChanBurst[] = [];
  for (const channel of server.directory.channels()) {
    const members: Array<[string, number]> = [];
    for (const [member, bits] of channel.members) {
      if (member.local) members.push([idOf(member as Session), bits]);
    }
    if (members.length > 0) chans.push({ ...chanSnapshot(channel), members });
  }
  return { k: 'burst', to, users, chans };
}

/**
 * Applies a node's burst. Applying one twice changes nothing; users of that node we hold
 * but the burst lacks have left meanwhile and are removed with `reason`.
 */
export function applyBurst(replica: Replica, node: string, burst: Burst, reason: string): void {
  const present = new Set(burst.users.map((u) => u.id));
  for (const user of [...replica.users.values()]) {
    if (user.node === node && !present.has(user.id)) replica.remove(user.id, reason);
  }
  for (const rec of burst.users) replica.introduce(node, rec);
  for (const chan of burst.chans) replica.netjoin(chan);
}
