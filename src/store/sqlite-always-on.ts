/** Always-on memberships on SQLite (store.ts AlwaysOnStore, migration 8). */
import type Database from 'better-sqlite3';
import { type AlwaysOnRow, toAlwaysOn } from './always-on-rows.js';
import type { AlwaysOnRecord } from './store.js';

export class SqliteAlwaysOn {
  private readonly upsertPerson;
  private readonly insertRoom;
  private readonly deleteRoom;
  private readonly deleteRooms;
  private readonly setSwitch;
  private readonly loadAll;
  private readonly dropRenamedOver;
  private readonly offline;
  private readonly setNick;
  private readonly renameRoom;

  constructor(private readonly db: Database.Database) {
    // A join keeps the account's switch as it is (an account that turned it off has no rows
    // written for it anyway: the caller checks the person first).
    this.upsertPerson = db.prepare<[string, string]>(
      'INSERT INTO always_on (account, nick, enabled) VALUES (?, ?, 1) ON CONFLICT (account) DO UPDATE SET nick = excluded.nick',
    );
    this.insertRoom = db.prepare<[string, string, string]>(
      'INSERT INTO always_on_rooms (account, channel, name) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET name = excluded.name',
    );
    this.deleteRoom = db.prepare<[string, string]>(
      'DELETE FROM always_on_rooms WHERE account = ? AND channel = ?',
    );
    this.deleteRooms = db.prepare<[string]>('DELETE FROM always_on_rooms WHERE account = ?');
    this.setSwitch = db.prepare<[string, string, number]>(
      'INSERT INTO always_on (account, nick, enabled) VALUES (?, ?, ?) ON CONFLICT (account) DO UPDATE SET nick = excluded.nick, enabled = excluded.enabled',
    );
    this.offline = db.prepare<[string, string, number]>(
      'INSERT INTO always_on (account, nick, enabled, offline_at) VALUES (?, ?, 1, ?) ON CONFLICT (account) DO UPDATE SET nick = excluded.nick, enabled = 1, offline_at = excluded.offline_at',
    );
    this.setNick = db.prepare<[string, string]>('UPDATE always_on SET nick = ? WHERE account = ?');
    // A row already under the new name (none is expected: that room did not exist) gives way.
    this.dropRenamedOver = db.prepare<[string, string]>(
      'DELETE FROM always_on_rooms WHERE channel = ? AND account IN (SELECT account FROM always_on_rooms WHERE channel = ?)',
    );
    this.renameRoom = db.prepare<[string, string, string]>(
      'UPDATE always_on_rooms SET channel = ?, name = ? WHERE channel = ?',
    );
    this.loadAll = db.prepare<[], AlwaysOnRow>(
      `SELECT p.account, a.name AS display, p.nick, p.enabled, p.offline_at,
         (SELECT group_concat(r.name, ',') FROM always_on_rooms r WHERE r.account = p.account) AS rooms
       FROM always_on p JOIN accounts a ON a.folded = p.account`,
    );
  }

  addMembership(account: string, nick: string, channel: string, name: string): void {
    this.db
      .transaction(() => {
        this.upsertPerson.run(account, nick);
        this.insertRoom.run(account, channel, name);
      })
      .immediate();
  }

  removeMembership(account: string, channel: string): void {
    this.deleteRoom.run(account, channel);
  }

  setAlwaysOn(account: string, nick: string, enabled: boolean): void {
    this.db
      .transaction(() => {
        this.setSwitch.run(account, nick, enabled ? 1 : 0);
        if (!enabled) this.deleteRooms.run(account);
      })
      .immediate();
  }

  nickChanged(account: string, nick: string): void {
    this.setNick.run(nick, account);
  }

  wentOffline(account: string, nick: string, time: number): void {
    this.offline.run(account, nick, time);
  }

  renameMemberships(channel: string, newChannel: string, newName: string): void {
    this.db
      .transaction(() => {
        if (newChannel !== channel) this.dropRenamedOver.run(newChannel, channel);
        this.renameRoom.run(newChannel, newName, channel);
      })
      .immediate();
  }

  load(): AlwaysOnRecord[] {
    return this.loadAll.all().map(toAlwaysOn);
  }
}
