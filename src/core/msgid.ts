/**
 * Message IDs (IRCv3 message-ids): unique across processes and restarts, and sortable by
 * time so history stores can index them cheaply. Millisecond time in base 36, a random
 * per-process prefix, then a per-process counter.
 */
import { randomBytes } from 'node:crypto';

const processPrefix = randomBytes(6).toString('base64url');
let counter = 0;

// The time part changes at most once a millisecond, so it is formatted once per millisecond.
let stampedAt = -1;
let stamp = '';

export function newMsgid(now: number = Date.now()): string {
  counter = (counter + 1) % 0x7fffffff;
  if (now !== stampedAt) {
    stampedAt = now;
    stamp = now.toString(36).padStart(9, '0') + processPrefix;
  }
  return stamp + counter.toString(36);
}
