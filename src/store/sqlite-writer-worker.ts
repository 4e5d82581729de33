/**
 * The SQLite history writer thread. better-sqlite3 is synchronous, and a commit with
 * `synchronous=FULL` waits for fsync; doing that on the main thread would stall every
 * connection for the length of each commit. This thread owns a second connection to the
 * same WAL database, appends each batch in one transaction, runs the other frequent writes
 * (reactions, deletions) in order with them, and reports back; the main thread's connection
 * keeps serving reads meanwhile (WAL readers never wait for the writer).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { decodeRows } from './message-rows.js';
import { appendStatements, openSqliteDatabase, type WriterReply, type WriterRequest } from './sqlite.js';
import { SqliteMessageEvents } from './sqlite-message-events.js';

const port = parentPort;
if (port === null) throw new Error('sqlite-writer-worker must run as a worker thread');
const db = openSqliteDatabase((workerData as { path: string }).path);
const append = appendStatements(db);
const events = new SqliteMessageEvents(db);

const reply = (message: WriterReply): void => port.postMessage(message);
const failure = (id: number, err: unknown): WriterReply => ({
  id,
  ok: false,
  error: err instanceof Error ? err.message : String(err),
});

port.on('message', (req: WriterRequest | 'close') => {
  if (req === 'close') {
    db.close();
    port.close();
    return;
  }
  try {
    if ('rows' in req) {
      append(decodeRows(req.rows));
      reply({ id: req.id, ok: true });
      return;
    }
    // The event methods do their work synchronously (better-sqlite3) and return settled
    // promises, so requests still run one at a time in arrival order.
    const method = events[req.call] as (...args: unknown[]) => Promise<unknown>;
    method.apply(events, req.args).then(
      (value) => reply({ id: req.id, ok: true, value }),
      (err: unknown) => reply(failure(req.id, err)),
    );
  } catch (err) {
    reply(failure(req.id, err));
  }
});
