/**
 * The SQLite history writer thread. better-sqlite3 is synchronous, and a commit with
 * `synchronous=FULL` waits for fsync; doing that on the main thread would stall every
 * connection for the length of each commit. This thread owns a second connection to the
 * same WAL database, appends each batch in one transaction, runs the other frequent writes
 * (reactions, deletions) in order with them, and reports back; the main thread's connection
 * keeps serving reads meanwhile (WAL readers never wait for the writer).
 *
 * It also fills the full-text index behind the commits (sqlite.ts indexStatements), always
 * after replying, so an acknowledgement never waits for indexing. When the thread has a
 * turn to itself it indexes one chunk per turn of the event loop (setImmediate, so batches
 * that arrive meanwhile are taken first). Under a steady stream of batches those turns are
 * rare (a turn drains every message queued on the port), so once a whole chunk is waiting
 * one chunk is indexed right after the reply: the index keeps pace with the history and
 * falls at most about a chunk behind, instead of deferring its work without bound. A search
 * asks for `catchUp`, which indexes everything committed so far before replying.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { decodeRows } from './message-rows.js';
import {
  appendStatements,
  INDEX_CHUNK,
  indexStatements,
  openSqliteDatabase,
  type WriterReply,
  type WriterRequest,
} from './sqlite.js';
import { SqliteMessageEvents } from './sqlite-message-events.js';

const port = parentPort;
if (port === null) throw new Error('sqlite-writer-worker must run as a worker thread');
const db = openSqliteDatabase((workerData as { path: string }).path);
const append = appendStatements(db);
const events = new SqliteMessageEvents(db);
const index = indexStatements(db);
let closed = false;
let indexScheduled = false;

const indexStep = (): void => {
  indexScheduled = false;
  if (closed) return;
  let more: boolean;
  try {
    more = index.chunk();
  } catch {
    // Left for the next turn, a catchUp or the next open: the chunk rolled back whole.
    return;
  }
  if (more) scheduleIndex();
};

function scheduleIndex(): void {
  if (indexScheduled || closed) return;
  indexScheduled = true;
  setImmediate(indexStep);
}

const reply = (message: WriterReply): void => {
  port.postMessage(message);
  if (closed) return;
  try {
    if (index.backlog() >= INDEX_CHUNK) index.chunk();
  } catch {
    // As in indexStep.
  }
  scheduleIndex();
};
const failure = (id: number, err: unknown): WriterReply => ({
  id,
  ok: false,
  error: err instanceof Error ? err.message : String(err),
});

port.on('message', (req: WriterRequest | 'close') => {
  if (req === 'close') {
    closed = true;
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
    if ('catchUp' in req) {
      index.catchUp();
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
