/**
 * MONITOR (https://ircv3.net/specs/extensions/monitor): who watches which nick, and the
 * 730/731 notifications when a watched nick comes online, goes offline or changes.
 */

import { foldCase } from '../protocol/casemapping.js';
import * as N from '../protocol/numerics.js';
import { Cap } from './caps.js';
import type { Outgoing } from './outgoing.js';
import { ownCopy } from './own-copy.js';
import type { Session } from './session.js';

const NO_WATCHERS: ReadonlySet<Session> = new Set();

export class MonitorRegistry {
  private readonly watchers = new Map<string, Set<Session>>();

  add(session: Session, foldedParam: string, nickParam: string): void {
    // Kept as long as the watch: copies, not views of the MONITOR line.
    const folded = ownCopy(foldedParam);
    const nick = ownCopy(nickParam);
    let set = this.watchers.get(folded);
    if (set === undefined) {
      set = new Set();
      this.watchers.set(folded, set);
    }
    set.add(session);
    session.monitoring ??= new Map();
    session.monitoring.set(folded, nick);
  }

  remove(session: Session, folded: string): void {
    const set = this.watchers.get(folded);
    if (set !== undefined) {
      set.delete(session);
      if (set.size === 0) this.watchers.delete(folded);
    }
    session.monitoring?.delete(folded);
  }

  removeWatcher(session: Session): void {
    if (session.monitoring === null) return;
    for (const folded of session.monitoring.keys()) {
      const set = this.watchers.get(folded);
      if (set === undefined) continue;
      set.delete(session);
      if (set.size === 0) this.watchers.delete(folded);
    }
    session.monitoring = null;
  }

  /**
   * IRCv3 extended-monitor: a change a user's channel peers see (AWAY, ACCOUNT, CHGHOST,
   * SETNAME, each under its own capability `cap`) also reaches those who MONITOR them and
   * negotiated extended-monitor, once each (`seen` holds who already got it).
   */
  notifyChange(nick: string, out: Outgoing, cap: number, seen: Set<unknown>): void {
    const set = this.watchers.get(foldCase(nick));
    if (set === undefined) return;
    for (const s of set) {
      // `seen` holds people (core/person.ts); a watcher is one of its connections.
      if (
        seen.has(s) ||
        seen.has(s.person) ||
        !s.registered ||
        !s.hasCap(Cap.extendedMonitor) ||
        !s.hasCap(cap)
      )
        continue;
      seen.add(s);
      s.deliver(out);
    }
  }

  /** The connections that MONITOR this nick (draft/metadata-2 notifications, metadata.ts). */
  watchersOf(nick: string): ReadonlySet<Session> {
    return this.watchers.get(foldCase(nick)) ?? NO_WATCHERS;
  }

  /** `mask` is nick!user@host of the user who came online. */
  notifyOnline(nick: string, mask: string): void {
    const set = this.watchers.get(foldCase(nick));
    if (set === undefined) return;
    for (const s of set) if (s.registered) s.numeric(N.RPL_MONONLINE, mask);
  }

  notifyOffline(nick: string): void {
    const set = this.watchers.get(foldCase(nick));
    if (set === undefined) return;
    for (const s of set) if (s.registered) s.numeric(N.RPL_MONOFFLINE, nick);
  }
}
