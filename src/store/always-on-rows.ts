/**
 * Always-on state as both back ends read it at start-up (migration 8): one row per account,
 * its rooms aggregated in the query (a comma-joined list on SQLite, an array on PostgreSQL),
 * which for 100,000 accounts reads a third of the rows a plain join would.
 */
import type { AlwaysOnRecord } from './store.js';

export interface AlwaysOnRow {
  account: string;
  display: string;
  nick: string;
  enabled: number | boolean;
  /** Room names: comma-joined (a channel name never holds a comma, RFC 2812 §1.3), or an array. */
  rooms: string | string[] | null;
  /** PostgreSQL returns BIGINT as a string. */
  offline_at: number | string | null;
}

export function toAlwaysOn(row: AlwaysOnRow): AlwaysOnRecord {
  const rooms = row.rooms === null ? [] : typeof row.rooms === 'string' ? row.rooms.split(',') : row.rooms;
  const offlineAt = row.offline_at === null ? null : Number(row.offline_at);
  return {
    account: row.account,
    name: row.display,
    nick: row.nick,
    enabled: Boolean(row.enabled),
    rooms,
    offlineAt,
  };
}
