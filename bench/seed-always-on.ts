/**
 * Seeds a data dir for the `restore` scenario: `accounts` accounts, each always-on and offline,
 * each in `roomsEach` of `rooms` rooms, written straight into a fresh SQLite store in one
 * transaction (what months of JOINs would have left there; going through the server would
 * measure registration instead).
 */
import Database from 'better-sqlite3';
import { openStore } from '../src/store/open.js';

export interface Seed {
  accounts: number;
  rooms: number;
  roomsEach: number;
}

/** A scrypt hash of no password anybody types: nobody logs in to these accounts. */
const FAKE_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export async function seedAlwaysOn(dataDir: string, seed: Seed): Promise<void> {
  // The store makes the schema (every migration), then is closed so the file is ours.
  const store = await openStore({ database: null, dataDir });
  await store.close();
  const db = new Database(`${dataDir}/tertulia.db`);
  try {
    const account = db.prepare(
      'INSERT INTO accounts (folded, name, password_hash, created_at) VALUES (?, ?, ?, ?)',
    );
    const person = db.prepare('INSERT INTO always_on (account, nick, enabled) VALUES (?, ?, 1)');
    const room = db.prepare('INSERT INTO always_on_rooms (account, channel, name) VALUES (?, ?, ?)');
    const now = Date.now();
    db.transaction(() => {
      for (let i = 0; i < seed.accounts; i++) {
        const name = `ao${i.toString(36)}`;
        account.run(name, name, FAKE_HASH, now);
        person.run(name, name);
        // Spread evenly: account i is in rooms i, i+1, … (mod rooms).
        for (let k = 0; k < seed.roomsEach; k++) {
          const r = `#room${((i + k) % seed.rooms).toString(36)}`;
          room.run(name, r, r);
        }
      }
    })();
  } finally {
    db.close();
  }
}
