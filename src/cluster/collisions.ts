/**
 * Nick collisions between nodes. A node hands out nicks from its replica synchronously, so
 * two nodes can give the same nick to two people in the same instant, each before hearing
 * of the other. When they do hear of each other, every node settles it the same way:
 * the older claim (the time the nick was taken) keeps the nick, and on equal times the
 * node whose name sorts first; the other person's own node renames them to a free guest
 * nick with an ordinary NICK change that they and their rooms see.
 *
 * RFC 2813 §5.2 (and RFC 1459 §4.1.2) resolve a collision by KILLing both users; modern
 * servers instead compare timestamps and save the loser by renaming them (InspIRCd's SAVE
 * message, "resolves a nickname collision by changing a user's nickname to their UUID";
 * TS6 does the same), which nobody has to reconnect for. We do the latter.
 */

import { randomInt } from 'node:crypto';
import { Person } from '../core/person.js';
import type { ChatServer } from '../core/server.js';
import type { Session } from '../core/session.js';
import { foldCase } from '../protocol/casemapping.js';
import * as N from '../protocol/numerics.js';
import type { ClusterDirectory } from './cluster-directory.js';
import type { RemoteUser } from './remote-user.js';

/** Whether claim A (taken at `tsA` on `nodeA`) beats claim B. */
export function claimWins(tsA: number, nodeA: string, tsB: number, nodeB: string): boolean {
  return tsA < tsB || (tsA === tsB && nodeA < nodeB);
}

export class Collisions {
  constructor(
    private readonly server: ChatServer,
    private readonly dir: ClusterDirectory,
    private readonly self: string,
    /** When a local user took their nick. */
    private readonly nickTsOf: (s: Session) => number,
  ) {}

  /** Gives `user` their nick in the directory unless an older claim holds it. */
  claim(user: RemoteUser): void {
    const holder = this.dir.findUser(user.folded);
    if (holder === undefined || holder === user) {
      this.dir.assignNick(user.folded, user);
      return;
    }
    if (holder.local) {
      // The directory holds people: the connection to tell is the person's first.
      const session = (holder instanceof Person ? holder.connections[0] : holder) as Session;
      if (!session.registered) {
        // Someone still registering: the registered user keeps it; they pick another (433).
        this.dir.assignNick(user.folded, user);
        const wanted = session.nick;
        session.nick = '*';
        session.folded = '';
        session.numeric(N.ERR_NICKNAMEINUSE, wanted, 'Nickname is already in use');
        return;
      }
      if (!claimWins(user.nickTs, user.node, this.nickTsOf(session), this.self)) return;
      this.rename(session);
      this.dir.assignNick(user.folded, user);
      return;
    }
    const other = holder as RemoteUser;
    if (claimWins(user.nickTs, user.node, other.nickTs, other.node)) this.dir.assignNick(user.folded, user);
  }

  /** Renames a local user who lost a collision, through the ordinary NICK path. */
  private rename(s: Session): void {
    const from = s.nick;
    const guest = this.freeNick();
    if (guest === null) {
      this.server.disconnect(s, 'Nick collision');
      return;
    }
    this.server.log.info(
      { event: 'cluster.nick_collision', from, to: guest },
      `cluster: nick collision on ${from}; renaming our user to ${guest}`,
    );
    void this.server.commands.run(s, { tags: {}, source: null, command: 'NICK', params: [guest] });
    s.reply('NOTICE', [
      s.nick,
      `Someone on another server of this network took the nick ${from} first, so yours was changed to ${s.nick}.`,
    ]);
  }

  /** A `Guest12345`-style nick nobody holds, or null when NICKLEN is too short for one. */
  private freeNick(): string | null {
    const max = this.server.config.nickLen;
    const prefix = max >= 10 ? 'Guest' : 'G';
    const width = Math.min(5, max - prefix.length);
    if (width < 1) return null;
    for (let attempt = 0; attempt < 1000; attempt++) {
      const nick = prefix + String(randomInt(10 ** (width - 1), 10 ** width));
      const folded = foldCase(nick);
      if (this.dir.findUser(folded) === undefined && !this.server.services.has(folded)) return nick;
    }
    return null;
  }
}
