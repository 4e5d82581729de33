/**
 * WHOWAS memory: the most recent departures (quits and nick changes), newest first,
 * bounded in total size.
 */
import { foldCase } from '../protocol/casemapping.js';
import type { User } from './user.js';

export interface WhowasEntry {
  nick: string;
  username: string;
  host: string;
  realname: string;
  serverName: string;
  account: string | null;
  at: number;
}

export class WhowasLog {
  private entries: WhowasEntry[] = [];

  constructor(private readonly size: number) {}

  record(user: User, nick: string = user.nick): void {
    if (this.size <= 0) return;
    this.entries.unshift({
      nick,
      username: user.username,
      host: user.host,
      realname: user.realname,
      serverName: user.serverName,
      account: user.account,
      at: Date.now(),
    });
    if (this.entries.length > this.size) this.entries.length = this.size;
  }

  lookup(nick: string, max: number): WhowasEntry[] {
    const folded = foldCase(nick);
    const found: WhowasEntry[] = [];
    for (const e of this.entries) {
      if (foldCase(e.nick) === folded) {
        found.push(e);
        if (found.length >= max) break;
      }
    }
    return found;
  }
}
