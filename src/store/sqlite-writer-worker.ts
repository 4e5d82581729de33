/**
 * The SQLite history writer thread. better-sqlite3 is synchronous, and a commit with
 * `synchronous=FULL` waits for fsync; doing that on the main thread would stall every
 * connection for the length of each commit. This thread owns a second connection to the
 * same WAL database, appends each batch in one transaction, runs the other frequent writes
 * (reactions, deletions) in order with them, and reports back; the main thread's connection
 * keeps serving reads meanwhile (WAL readers never wait for the writer).
 *
 * It also fills the full-text index behind the commits (sqlite.ts indexStatements), always
 * after replying, so an acknowledgement never waits for indexing. FTS5 costs far less per
 * row in big transactions (measured on this project's schema: about 9 µs per row when each
 * 20-message batch was indexed on its own, under 2 µs in chunks of 2,000, because every
 * transaction writes a new segment that must later be merged). So the index is filled in
 * whole chunks: right after a reply once a whole chunk is waiting (the index keeps pace
 * under load and falls at most about a chunk behind), and otherwise once the history has
 * been quiet for INDEX_IDLE_MS, then one chunk per turn of the event loop (setImmediate, so
 * batches that arrive meanwhile are taken first). A search asks for `catchUp`, which
 * indexes everything committed so far before replying, so a message is findable as soon as
 * it is acknowledged whatever the index's lag.
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
/** How long the history must be quiet before a partial chunk is indexed. */
const INDEX_IDLE_MS = 200;

let closed = false;
/** The idle timer, restarted by every reply; null when none is pending. */
let idleTimer: NodeJS.Timeout | null = null;

const indexStep = (): void => {
  if (closed) return;
  let more: boolean;
  try {
    more = index.chunk();
  } catch {
    // Left for the next quiet spell, a catchUp or the next open: the chunk rolled back whole.
    return;
  }
  if (more) setImmediate(indexStep);
};

const onIdle = (): void => {
  idleTimer = null;
  indexStep();
};

const reply = (message: WriterReply): void => {
  port.postMessage(message);
  if (closed) return;
  try {
    if (index.backlog() >= INDEX_CHUNK) index.chunk();
  } catch {
    // As in indexStep.
  }
  if (idleTimer !== null) idleTimer.refresh();
  else idleTimer = setTimeout(onIdle, INDEX_IDLE_MS);
};
const failure = (id: number, err: unknown): WriterReply => ({
  id,
  ok: false,
  error: err instanceof Error ? err.message : String(err),
});

port.on('message', (req: WriterRequest | 'close') => {
  if (req === 'close') {
    closed = true;
    if (idleTimer !== null) clearTimeout(idleTimer);
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
