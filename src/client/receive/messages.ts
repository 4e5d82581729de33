/**
 * Receiving: messages (PRIVMSG, NOTICE, deduplicated by msgid), typing, read markers, and
 * batches: history (CHATHISTORY and its TARGETS), search results and draft/multiline.
 */
import type { IrcMessage } from '../../protocol/message.js';
import type { ChatMessage } from '../events.js';
import type { HistoryRequest, OpenBatch } from '../pending.js';
import { SEARCH_BATCH } from '../search.js';
import { fold, isChannel, nickOf } from '../text.js';
import { type Handlers, isMe, type Receiver, TARGETS } from './context.js';

/**
 * A line inside an open batch: a draft/multiline line is kept for its BATCH -, a history or
 * search message joins the batch, a TARGETS entry its list. True when the line was taken.
 */
export function inBatch(r: Receiver, msg: IrcMessage): boolean {
  const batchId = msg.tags['batch'];
  const batch = batchId === undefined ? undefined : r.state.batches.get(batchId);
  if (batch?.lines !== undefined && msg.command !== 'BATCH') {
    batch.lines.push(msg); // a line of a multiline message, combined at BATCH -
    return true;
  }
  if (
    batch &&
    (batch.type === 'chathistory' || batch.type === 'draft/chathistory' || batch.type === SEARCH_BATCH) &&
    msg.command !== 'BATCH'
  ) {
    if (msg.command === 'PRIVMSG' || msg.command === 'NOTICE') {
      const m = toMessage(r, msg, true);
      if (m) batch.messages.push(m);
    }
    return true;
  }
  if (batch?.type === 'draft/chathistory-targets' && msg.command === 'CHATHISTORY') {
    // CHATHISTORY TARGETS <target> <timestamp> (draft/chathistory §TARGETS)
    const latest = new Date(msg.params[2] ?? '');
    if (msg.params[0] === 'TARGETS' && msg.params[1] !== undefined && !Number.isNaN(latest.getTime()))
      batch.targets.push({ target: msg.params[1], latest });
    return true;
  }
  return false;
}

function onMarkRead(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  // draft/read-marker: MARKREAD <target> timestamp=… | *
  const stamp = p[1] ?? '*';
  const time = stamp.startsWith('timestamp=') ? new Date(stamp.slice(10)) : null;
  r.emit('readMarker', {
    target: p[0] ?? '',
    time: time !== null && !Number.isNaN(time.getTime()) ? time : null,
  });
}

/** TAGMSG: a typing notification (+typing) from someone else. */
function onTagmsg(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  const state = msg.tags['+typing'] ?? msg.tags['+draft/typing'];
  if (state !== undefined && !isMe(r, nickOf(msg.source)))
    r.emit('typing', { from: nickOf(msg.source), target: p[0] ?? '', state });
}

/** ACK (labeled-response): a labeled request got no reply, e.g. empty history. */
function onAck(r: Receiver, msg: IrcMessage): void {
  const label = msg.tags['label'];
  const req = label === undefined ? undefined : r.state.labeled.get(label);
  if (req && label !== undefined) {
    r.state.labeled.delete(label);
    clearTimeout(req.timer);
    req.resolve({ messages: [], targets: [] });
  }
}

/** A PRIVMSG or NOTICE outside history: deduplicated by msgid, then emitted. */
export function onText(r: Receiver, msg: IrcMessage): void {
  const m = toMessage(r, msg, false);
  if (m === null) return;
  if (m.msgid !== undefined) {
    if (r.state.seen.has(m.msgid)) return;
    remember(r, m);
  }
  r.emit(msg.command === 'PRIVMSG' ? 'message' : 'notice', m);
}

/**
 * A finished draft/multiline batch becomes one PRIVMSG whose text has the line breaks
 * (lines tagged draft/multiline-concat continue the previous one), with the tags of the
 * opening BATCH line; inside a history batch it joins that batch's messages.
 */
export function onMultiline(r: Receiver, batch: OpenBatch): void {
  const opening = batch.opening!;
  let text = '';
  for (const [i, line] of batch.lines!.entries()) {
    const concat = line.tags['draft/multiline-concat'] !== undefined;
    text += (i === 0 || concat ? '' : '\n') + (line.params[1] ?? '');
  }
  const tags = { ...opening.tags };
  delete tags['batch'];
  const combined: IrcMessage = {
    tags,
    source: opening.source,
    command: 'PRIVMSG',
    params: [batch.params[0] ?? '', text],
  };
  const parent = batch.parent === undefined ? undefined : r.state.batches.get(batch.parent);
  if (parent !== undefined && (parent.type === 'chathistory' || parent.type === 'draft/chathistory')) {
    const m = toMessage(r, combined, true);
    if (m) parent.messages.push(m);
    return;
  }
  onText(r, combined);
}

export function remember(r: Receiver, m: ChatMessage): void {
  if (m.msgid === undefined) return;
  r.state.seen.add(m.msgid);
  if (r.state.seen.size > 10_000) {
    const first = r.state.seen.values().next().value;
    if (first !== undefined) r.state.seen.delete(first);
  }
  r.state.lastMsgid.set(fold(m.conversation), m.msgid);
}

export function toMessage(r: Receiver, msg: IrcMessage, replay: boolean): ChatMessage | null {
  const from = nickOf(msg.source);
  const target = msg.params[0] ?? '';
  let text = msg.params[1];
  if (text === undefined) return null;
  let action = false;
  if (text.startsWith('\x01')) {
    const inner = text.replace(/^\x01|\x01$/g, '');
    if (!inner.startsWith('ACTION')) return null; // other CTCP: not for display
    action = true;
    text = inner.slice(7);
  }
  const self = isMe(r, from);
  const priv = !isChannel(target);
  const time = msg.tags['time'] !== undefined ? new Date(msg.tags['time']) : new Date();
  return {
    from,
    target,
    conversation: priv ? (self ? target : from) : target,
    text,
    time: Number.isNaN(time.getTime()) ? new Date() : time,
    msgid: msg.tags['msgid'],
    self,
    private: priv,
    action,
    replay,
    account: msg.tags['account'],
    tags: msg.tags,
  };
}

export function onBatch(r: Receiver, msg: IrcMessage): void {
  const ref = msg.params[0] ?? '';
  if (ref.startsWith('+')) {
    r.state.batches.set(ref.slice(1), {
      type: msg.params[1] ?? '',
      params: msg.params.slice(2),
      label: msg.tags['label'],
      parent: msg.tags['batch'],
      messages: [],
      ...(msg.params[1] === 'draft/multiline' ? { opening: msg, lines: [] } : {}),
      targets: [],
    });
    return;
  }
  const id = ref.slice(1);
  const batch = r.state.batches.get(id);
  r.state.batches.delete(id);
  if (!batch) return;
  if (batch.lines !== undefined) {
    onMultiline(r, batch);
    return;
  }
  if (batch.type === 'labeled-response') {
    // A labeled batch that held no history batch: the request got nothing.
    const req = batch.label === undefined ? undefined : r.state.labeled.get(batch.label);
    if (req && batch.label !== undefined) {
      r.state.labeled.delete(batch.label);
      clearTimeout(req.timer);
      req.resolve({ messages: [], targets: [] });
    }
    return;
  }
  if (batch.type === SEARCH_BATCH) {
    r.searches.finish(batch.messages);
    return;
  }
  const targets = batch.type === 'draft/chathistory-targets';
  if (batch.type !== 'chathistory' && batch.type !== 'draft/chathistory' && !targets) return;
  const label =
    batch.label ?? (batch.parent !== undefined ? r.state.batches.get(batch.parent)?.label : undefined);
  let req: HistoryRequest | undefined;
  if (label !== undefined) {
    req = r.state.labeled.get(label);
    r.state.labeled.delete(label);
  } else {
    const want = targets ? TARGETS : fold(batch.params[0] ?? '');
    const i = r.state.unlabeled.findIndex((r) => fold(r.target) === want);
    if (i !== -1) req = r.state.unlabeled.splice(i, 1)[0];
  }
  if (!req) return;
  clearTimeout(req.timer);
  if (req.catchUp) {
    const fresh: ChatMessage[] = [];
    for (const m of batch.messages) {
      if (m.msgid !== undefined) {
        if (r.state.seen.has(m.msgid)) continue;
        remember(r, m);
      }
      fresh.push(m);
      r.emit('message', m);
    }
    req.resolve({ messages: fresh, targets: [] });
  } else req.resolve({ messages: batch.messages, targets: batch.targets });
}

/** The commands handled here (receive/index.ts dispatches on them). */
export const messageHandlers: Handlers = {
  MARKREAD: onMarkRead,
  PRIVMSG: onText,
  NOTICE: onText,
  TAGMSG: onTagmsg,
  BATCH: onBatch,
  ACK: onAck,
};
