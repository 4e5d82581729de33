/**
 * Always-on state as both back ends read it at start-up: one row per (account, room), or one
 * row with no room for an account in none, ordered by account (migration 8).
 */
import type { AlwaysOnRecord } from './store.js';

export interface AlwaysOnRow {
  account: string;
  display: string;
  nick: string;
  enabled: number | boolean;
  name: string | null;
}

/** Groups the joined rows into one record per account (rows come ordered by account). */
export function groupAlwaysOn(rows: readonly AlwaysOnRow[]): AlwaysOnRecord[] {
  const out: AlwaysOnRecord[] = [];
  let last: AlwaysOnRecord | null = null;
  for (const row of rows) {
    if (last === null || last.account !== row.account) {
      last = {
        account: row.account,
        name: row.display,
        nick: row.nick,
        enabled: Boolean(row.enabled),
        rooms: [],
      };
      out.push(last);
    }
    if (row.name !== null) last.rooms.push(row.name);
  }
  return out;
}
