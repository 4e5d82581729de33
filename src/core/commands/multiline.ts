/**
 * Client-initiated multiline batches (IRCv3 draft/multiline): `BATCH +ref draft/multiline
 * <target>`, PRIVMSG lines tagged `batch=ref` (with `draft/multiline-concat` to continue the
 * previous line), `BATCH -ref`. The lines are collected, checked against the limits, and the
 * whole becomes one message: stored once with its line breaks, delivered as a batch to
 * clients with the capability and as separate lines to the others (multiline-outgoing.ts).
 * The label of the opening BATCH answers the whole batch (multiline §labeled-response).
 */
import { foldCase } from '../../protocol/casemapping.js';
import type { IrcMessage } from '../../protocol/message.js';
import type { Tags } from '../../protocol/tags.js';
import { withBotTag } from '../bot-mode.js';
import { Cap } from '../caps.js';
import { MULTILINE_MAX_BYTES, MULTILINE_MAX_LINES } from '../multiline-limits.js';
import { isMultiline, type Piece } from '../multiline-outgoing.js';
import type { DetachedLabel, Session } from '../session.js';
import { resolveDestination, sendMessage } from './message-events.js';
import { relayableTags } from './messaging.js';
import type { CommandGroup } from './table.js';

export interface OpenMultiline {
  ref: string;
  target: string;
  /** Client-only tags of the opening BATCH: the message's tags (a reply, an edit). */
  tags: Tags | null;
  pieces: Piece[];
  bytes: number;
  /** Lines received since it opened (for the flood exemption's bound, see Session). */
  received: number;
  label: DetachedLabel | null;
  /** A limit or rule was broken: the client was told, the rest is ignored until BATCH -. */
  failed: boolean;
}

export const multilineCommands: CommandGroup = {
  BATCH: { minParams: 1, handler: batch },
};

function batch(s: Session, msg: IrcMessage): void {
  const ref = msg.params[0]!;
  if (ref.startsWith('+') && ref.length > 1) open(s, ref.slice(1), msg);
  else if (ref.startsWith('-') && ref.length > 1) close(s, ref.slice(1));
  else s.sendFail('BATCH', 'MULTILINE_INVALID', 'Invalid batch reference');
}

function open(s: Session, ref: string, msg: IrcMessage): void {
  const type = msg.params[1];
  if (type !== 'draft/multiline') {
    s.sendFail('BATCH', 'UNSUPPORTED_TYPE', 'Clients may only send draft/multiline batches', type ?? '*');
    return;
  }
  if (!s.hasCap(Cap.multiline) || !s.hasCap(Cap.batch)) {
    s.sendFail(
      'BATCH',
      'MULTILINE_INVALID',
      'Negotiate draft/multiline and batch to send multiline messages',
    );
    return;
  }
  const target = msg.params[2];
  if (target === undefined || target === '') {
    s.sendFail('BATCH', 'MULTILINE_INVALID', 'A multiline batch needs a target');
    return;
  }
  if (s.multiline !== null) {
    s.sendFail('BATCH', 'MULTILINE_INVALID', 'The previous multiline batch was never closed and was dropped');
    s.adoptLabel(s.multiline.label);
  }
  s.multiline = {
    ref,
    target,
    tags: relayableTags(msg.tags),
    pieces: [],
    bytes: 0,
    received: 0,
    label: s.detachLabel(),
    failed: false,
  };
}

function fail(s: Session, open: OpenMultiline, code: string, text: string, ...context: string[]): void {
  s.sendFail('BATCH', code, text, ...context);
  open.failed = true;
  open.pieces = [];
}

/** A PRIVMSG carrying a batch tag. */
export function collectMultilineLine(s: Session, msg: IrcMessage): void {
  const open = s.multiline;
  if (open === null || open.ref !== msg.tags['batch']) {
    s.sendFail('BATCH', 'MULTILINE_INVALID', 'This line belongs to no open multiline batch');
    return;
  }
  if (open.failed) return;
  const target = msg.params[0] ?? '';
  if (foldCase(target) !== foldCase(open.target)) {
    fail(s, open, 'MULTILINE_INVALID_TARGET', 'Invalid multiline target', open.target, target);
    return;
  }
  const text = msg.params[1] ?? '';
  const concat = msg.tags['draft/multiline-concat'] !== undefined;
  if (concat && (text === '' || open.pieces.length === 0)) {
    fail(s, open, 'MULTILINE_INVALID', 'A concatenated line must follow a line and hold text');
    return;
  }
  open.bytes += Buffer.byteLength(text) + (open.pieces.length > 0 && !concat ? 1 : 0);
  open.pieces.push({ text, concat });
  if (open.pieces.length > MULTILINE_MAX_LINES) {
    fail(s, open, 'MULTILINE_MAX_LINES', 'Multiline batch max-lines exceeded', String(MULTILINE_MAX_LINES));
  } else if (open.bytes > MULTILINE_MAX_BYTES) {
    fail(s, open, 'MULTILINE_MAX_BYTES', 'Multiline batch max-bytes exceeded', String(MULTILINE_MAX_BYTES));
  }
}

function close(s: Session, ref: string): void {
  const open = s.multiline;
  if (open === null || open.ref !== ref) {
    s.sendFail('BATCH', 'MULTILINE_INVALID', 'No such open batch');
    return;
  }
  s.multiline = null;
  s.adoptLabel(open.label);
  if (open.failed) return;
  let text = '';
  for (const [i, piece] of open.pieces.entries()) text += (i === 0 || piece.concat ? '' : '\n') + piece.text;
  if (text.trim() === '') {
    s.sendFail('BATCH', 'MULTILINE_INVALID', 'A multiline message needs some text');
    return;
  }
  const to = resolveDestination(s, open.target, text);
  if (to === null) return;
  s.idleSince = Date.now();
  s.server.metrics.messagesIn++;
  sendMessage(
    s,
    'PRIVMSG',
    to,
    text,
    withBotTag(s, open.tags), // IRCv3 bot-mode: a bot's batch carries the bot tag too
    isMultiline(s.mask, to.name, text) || open.pieces.length > 1,
    open.pieces,
  );
}
