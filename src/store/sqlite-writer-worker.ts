/**
 * The SQLite history writer thread. better-sqlite3 is synchronous, and a commit with
 * `synchronous=FULL` waits for fsync; doing that on the main thread would stall every
 * connection for the length of each commit. This thread owns a second connection to the
 * same WAL database, appends each batch in one transaction, and reports back; the main
 * thread's connection keeps serving reads meanwhile (WAL readers never wait for the writer).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { decodeRows } from './message-rows.js';
import { appendStatements, openSqliteDatabase } from './sqlite.js';

interface Request {
  id: number;
  /** The batch as encodeRows made it. */
  rows: string;
}

const port = parentPort;
if (port === null) throw new Error('sqlite-writer-worker must run as a worker thread');
const db = openSqliteDatabase((workerData as { path: string }).path);
const append = appendStatements(db);

port.on('message', (req: Request | 'close') => {
  if (req === 'close') {
    db.close();
    port.close();
    return;
  }
  try {
    append(decodeRows(req.rows));
    port.postMessage({ id: req.id, ok: true });
  } catch (err) {
    port.postMessage({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
