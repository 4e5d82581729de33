/** Always-on memberships on PostgreSQL (store.ts AlwaysOnStore, migration 8). */
import type pg from 'pg';
import { type AlwaysOnRow, toAlwaysOn } from './always-on-rows.js';
import type { AlwaysOnRecord } from './store.js';

const UPSERT_PERSON =
  'INSERT INTO always_on (account, nick, enabled) VALUES ($1, $2, TRUE) ON CONFLICT (account) DO UPDATE SET nick = EXCLUDED.nick';
const SET_SWITCH =
  'INSERT INTO always_on (account, nick, enabled) VALUES ($1, $2, $3) ON CONFLICT (account) DO UPDATE SET nick = EXCLUDED.nick, enabled = EXCLUDED.enabled';

/** Joins the person row and the room in one statement (one round trip, one transaction). */
const ADD_MEMBERSHIP = `WITH p AS (${UPSERT_PERSON} RETURNING account)
  INSERT INTO always_on_rooms (account, channel, name) SELECT account, $3, $4 FROM p
  ON CONFLICT (account, channel) DO UPDATE SET name = EXCLUDED.name`;

export async function addMembership(
  pool: pg.Pool,
  account: string,
  nick: string,
  channel: string,
  name: string,
): Promise<void> {
  await pool.query({ name: 'alwaysOnAdd', text: ADD_MEMBERSHIP, values: [account, nick, channel, name] });
}

export async function removeMembership(pool: pg.Pool, account: string, channel: string): Promise<void> {
  await pool.query({
    name: 'alwaysOnRemove',
    text: 'DELETE FROM always_on_rooms WHERE account = $1 AND channel = $2',
    values: [account, channel],
  });
}

export async function setAlwaysOn(
  client: pg.PoolClient,
  account: string,
  nick: string,
  enabled: boolean,
): Promise<void> {
  await client.query(SET_SWITCH, [account, nick, enabled]);
  if (!enabled) await client.query('DELETE FROM always_on_rooms WHERE account = $1', [account]);
}

export async function nickChanged(pool: pg.Pool, account: string, nick: string): Promise<void> {
  await pool.query({
    name: 'alwaysOnNick',
    text: 'UPDATE always_on SET nick = $2 WHERE account = $1',
    values: [account, nick],
  });
}

export async function wentOffline(pool: pg.Pool, account: string, nick: string, time: number): Promise<void> {
  await pool.query({
    name: 'alwaysOnOffline',
    text: 'INSERT INTO always_on (account, nick, enabled, offline_at) VALUES ($1, $2, TRUE, $3) ON CONFLICT (account) DO UPDATE SET nick = EXCLUDED.nick, enabled = TRUE, offline_at = EXCLUDED.offline_at',
    values: [account, nick, time],
  });
}

/** RENAME: every stored membership of `channel` moves to the new name (in the caller's transaction). */
export async function renameMemberships(
  client: pg.PoolClient,
  channel: string,
  newChannel: string,
  newName: string,
): Promise<void> {
  if (newChannel !== channel) {
    // A row already under the new name (none is expected: that room did not exist) gives way.
    await client.query(
      'DELETE FROM always_on_rooms WHERE channel = $1 AND account IN (SELECT account FROM always_on_rooms WHERE channel = $2)',
      [newChannel, channel],
    );
  }
  await client.query('UPDATE always_on_rooms SET channel = $1, name = $2 WHERE channel = $3', [
    newChannel,
    newName,
    channel,
  ]);
}

export async function loadAlwaysOn(pool: pg.Pool): Promise<AlwaysOnRecord[]> {
  const { rows } = await pool.query<AlwaysOnRow>(
    // One pass over the rooms grouped by account (faster here than a subquery per account).
    `SELECT p.account, a.name AS display, p.nick, p.enabled, p.offline_at, r.rooms
     FROM always_on p JOIN accounts a ON a.folded = p.account
     LEFT JOIN (SELECT account, array_agg(name) AS rooms FROM always_on_rooms GROUP BY account) r
       ON r.account = p.account`,
  );
  return rows.map(toAlwaysOn);
}
