/**
 * History and read markers: CHATHISTORY (IRCv3 draft/chathistory: LATEST, BEFORE, AFTER,
 * AROUND, BETWEEN, TARGETS) and MARKREAD (IRCv3 draft/read-marker).
 *
 * Access rule (chathistory §Security Considerations): a room's history is for its current
 * members; a private conversation's for its two participants, by account (a guest by its
 * connection). Without access the reply is an empty batch, "as if no content exists".
 */
import { foldCase } from '../../protocol/casemapping.js';
import type { IrcMessage } from '../../protocol/message.js';
import { isChannelName, isValidNick } from '../../protocol/names.js';
import type {
  HistoryBound,
  Redaction,
  Store,
  StoredMessage,
  StoredReaction,
  TopicChange,
} from '../../store/store.js';
import { Cap } from '../caps.js';
import type { Channel } from '../channel.js';
import { connectionMarker, setConnectionMarker } from '../connection-read-markers.js';
import { isMultiline, MultilineOutgoing } from '../multiline-outgoing.js';
import { Outgoing } from '../outgoing.js';
import { joinReplay, type Missed } from '../replay.js';
import type { ChatServer } from '../server.js';
import type { Session } from '../session.js';
import { dmConversation } from './messaging.js';
import type { CommandGroup } from './table.js';

export const historyCommands: CommandGroup = {
  CHATHISTORY: { minParams: 0, handler: chathistory },
  MARKREAD: { minParams: 0, handler: markread },
};

const SUBCOMMANDS = new Set(['LATEST', 'BEFORE', 'AFTER', 'AROUND', 'BETWEEN', 'TARGETS']);

// ------------------------------------------------------------------ CHATHISTORY

function chathistory(s: Session, msg: IrcMessage): void {
  const server = s.server;
  const store = server.store;
  const sub = (msg.params[0] ?? '').toUpperCase();
  if (sub === '') {
    s.sendFail('CHATHISTORY', 'NEED_MORE_PARAMS', 'Missing parameters', '*');
    return;
  }
  if (!SUBCOMMANDS.has(sub)) {
    s.sendFail('CHATHISTORY', 'UNKNOWN_COMMAND', 'Unknown command', sub);
    return;
  }
  const needed = sub === 'BETWEEN' ? 5 : 4;
  if (msg.params.length < needed) {
    s.sendFail('CHATHISTORY', 'NEED_MORE_PARAMS', 'Missing parameters', sub);
    return;
  }
  if (store === null || server.historyWriter === null) {
    s.sendFail(
      'CHATHISTORY',
      'MESSAGE_ERROR',
      'History is not available on this server',
      sub,
      msg.params[1]!,
    );
    return;
  }
  const max = server.config.historyLimit;
  const limit = parseLimit(msg.params[needed - 1]!, max);
  if (limit === null) {
    s.sendFail('CHATHISTORY', 'INVALID_PARAMS', 'Invalid limit', sub, msg.params[needed - 1]!);
    return;
  }
  if (sub === 'TARGETS') {
    targets(s, msg.params[1]!, msg.params[2]!, limit);
    return;
  }
  const target = msg.params[1]!;
  const first = parseBound(msg.params[2]!, sub === 'LATEST');
  const second = sub === 'BETWEEN' ? parseBound(msg.params[3]!, false) : undefined;
  if (first === undefined || (sub === 'BETWEEN' && (second === undefined || second === null))) {
    s.sendFail('CHATHISTORY', 'INVALID_PARAMS', 'Invalid message reference', sub, msg.params[2]!);
    return;
  }
  // chathistory §Errors: a target that does not exist or that the client may not read is
  // INVALID_TARGET (the same reply for both, so it reveals nothing about a room's existence).
  const conversation =
    isChannelName(target) || isValidNick(target, server.config.nickLen) ? conversationFor(s, target) : null;
  if (conversation === null) {
    s.sendFail('CHATHISTORY', 'INVALID_TARGET', 'Messages could not be retrieved', sub, target);
    return;
  }
  let query: Promise<StoredMessage[]>;
  if (sub === 'LATEST') query = store.latest(conversation, limit, first ?? undefined);
  else if (sub === 'BEFORE') query = store.before(conversation, first!, limit);
  else if (sub === 'AFTER') query = store.after(conversation, first!, limit);
  else if (sub === 'AROUND') query = store.around(conversation, first!, limit);
  else query = store.between(conversation, first!, second!, limit);
  let rows: StoredMessage[] = [];
  let extras = NO_EXTRAS;
  s.deferUntil(
    query.then(async (r) => {
      rows = r;
      extras = await historyExtras(s, store, conversation, rows, () =>
        eventSpan(store, conversation, sub, rows, limit, first ?? null, second ?? null),
      );
    }),
    () => sendBatch(s, target, rows, extras),
    (err) => {
      server.log.error({ event: 'history.read_failed', err: String(err) }, 'CHATHISTORY query failed');
      s.sendFail('CHATHISTORY', 'MESSAGE_ERROR', 'Messages could not be retrieved', sub, target);
    },
  );
}

export function parseLimit(text: string, max: number): number | null {
  if (!/^\d+$/.test(text)) return null;
  const n = Number.parseInt(text, 10);
  if (n <= 0) return null;
  return Math.min(n, max);
}

/** `timestamp=…` or `msgid=…` (MSGREFTYPES); `*` only where allowed (LATEST). Undefined when invalid. */
function parseBound(text: string, starAllowed: boolean): HistoryBound | null | undefined {
  if (text === '*') return starAllowed ? null : undefined;
  if (text.startsWith('msgid=') && text.length > 6) return { msgid: text.slice(6) };
  if (text.startsWith('timestamp=')) {
    const time = parseTimestamp(text.slice(10));
    return time === null ? undefined : { time };
  }
  return undefined;
}

export function parseTimestamp(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(text)) return null;
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : t;
}

/**
 * The conversation key a user may read for a target, or null without access: rooms they
 * are in; private conversations between them and the target nick (by account when the
 * peer is logged in or the nick is a registered account, else by the peer's connection).
 */
export function conversationFor(s: Session, target: string): string | null {
  return readableConversation(s.server, s.identity, (channel) => channel.members.has(s), target);
}

/**
 * The same rule for any reader: `identity` for private conversations, `inRoom` for rooms
 * (a connection's membership, or for an HTTP request any of the account's connections').
 */
export function readableConversation(
  server: ChatServer,
  identity: string,
  inRoom: (channel: Channel) => boolean,
  target: string,
): string | null {
  if (isChannelName(target)) {
    const channel = server.directory.findChannel(foldCase(target));
    return channel !== undefined && inRoom(channel) ? channel.folded : null;
  }
  if (target === '*') return null;
  const peer = server.directory.findUser(foldCase(target));
  const peerIdentity = peer?.registered ? peer.identity : `a:${foldCase(target)}`;
  return dmConversation(identity, peerIdentity);
}

/**
 * Everything a user may read without naming a target: the rooms they are in now and every
 * private conversation of their identity (their account's, or a guest's own connection's).
 * CHATHISTORY TARGETS and SEARCH both go by it.
 */
export function readableScope(s: Session): { rooms: string[]; identity: string } {
  return { rooms: [...s.channels].map((c) => c.folded), identity: s.identity };
}

/**
 * What history replays besides the page's messages, for clients that asked for it:
 * with draft/event-playback the current reactions to each message (right after it) and the
 * room's TOPIC changes in the page's span, with draft/message-redaction the REDACTs of the
 * span. None counts toward the limit (message-redaction §Chat history).
 */
interface HistoryExtras {
  reactions: Map<string, StoredReaction[]>;
  /** REDACTs and TOPICs, oldest first, each replayed among the messages by its time. */
  events: TimedEvent[];
}

interface TimedEvent {
  time: number;
  out: Outgoing;
}

const NO_EXTRAS: HistoryExtras = { reactions: new Map(), events: [] };

async function historyExtras(
  s: Session,
  store: Store,
  conversation: string,
  rows: readonly StoredMessage[],
  span: () => Promise<{ from: number; to: number } | null>,
): Promise<HistoryExtras> {
  const wantReactions = s.hasCap(Cap.eventPlayback) && s.hasCap(Cap.messageTags);
  const wantRedactions = s.hasCap(Cap.messageRedaction);
  // A TOPIC is a line that changes the client's state: only with draft/event-playback
  // (chathistory §Implementation), and only rooms have one.
  const wantTopics = s.hasCap(Cap.eventPlayback) && !conversation.startsWith('dm:');
  if (!wantReactions && !wantRedactions && !wantTopics) return NO_EXTRAS;
  const reactions = new Map<string, StoredReaction[]>();
  if (wantReactions) {
    const msgids = rows.filter((r) => r.command !== 'TAGMSG').map((r) => r.msgid);
    for (const reaction of await store.reactionsTo(conversation, msgids)) {
      const list = reactions.get(reaction.to);
      if (list === undefined) reactions.set(reaction.to, [reaction]);
      else list.push(reaction);
    }
  }
  const events: TimedEvent[] = [];
  const range = wantRedactions || wantTopics ? await span() : null;
  if (range !== null) {
    const limit = s.server.config.historyLimit;
    if (wantRedactions) {
      for (const r of await store.redactions(conversation, range.from, range.to, limit)) {
        events.push({ time: r.time, out: redactionEvent(r) });
      }
    }
    if (wantTopics) {
      for (const t of await store.topicChanges(conversation, range.from, range.to, limit)) {
        events.push({ time: t.time, out: topicEvent(t) });
      }
      events.sort((a, b) => a.time - b.time); // stable: same-time events keep their kind's order
    }
  }
  return { reactions, events };
}

/**
 * The stretch of time a page covers, for the events (redactions, topic changes) to replay
 * with it: between its first and last message, reaching back to the start when the page did
 * not fill going back, and on to now when it did not fill going forward (so a client catching
 * up with AFTER learns of what happened since it last saw the conversation).
 */
async function eventSpan(
  store: Store,
  conversation: string,
  sub: string,
  rows: readonly StoredMessage[],
  limit: number,
  first: HistoryBound | null,
  second: HistoryBound | null,
): Promise<{ from: number; to: number } | null> {
  const full = rows.length >= limit;
  const boundTime = async (b: HistoryBound | null): Promise<number | null> => {
    if (b === null) return null;
    if ('time' in b) return b.time;
    const found = await store.findMessage(b.msgid);
    return found?.conversation === conversation ? found.time : null;
  };
  const oldest = rows[0]?.time;
  const newest = rows[rows.length - 1]?.time;
  const END = Number.MAX_SAFE_INTEGER;
  if (sub === 'LATEST') return { from: full ? oldest! : ((await boundTime(first)) ?? 0), to: END };
  // Up to the bound itself, not the nearest message: what happened between that message and
  // the bound belongs to this page (the next one stops at this page's first message).
  if (sub === 'BEFORE') return { from: full ? oldest! : 0, to: (await boundTime(first)) ?? newest ?? END };
  if (sub === 'AFTER') {
    const from = (await boundTime(first)) ?? oldest;
    return from === undefined ? null : { from, to: full ? newest! : END };
  }
  if (sub === 'BETWEEN' && rows.length === 0) {
    const a = await boundTime(first);
    const b = await boundTime(second);
    return a === null || b === null ? null : { from: Math.min(a, b), to: Math.max(a, b) };
  }
  return oldest === undefined ? null : { from: oldest, to: newest! };
}

/** Replays messages in a `chathistory` batch (or plainly, without the batch cap). */
function sendBatch(
  s: Session,
  target: string,
  rows: StoredMessage[],
  extras: HistoryExtras = NO_EXTRAS,
): void {
  sendMessages(s, ['chathistory', target], rows, extras);
}

/**
 * Stored messages as first sent, in a batch of this type (`[type, ...params]`), or plainly
 * without the batch cap; with their reactions and the redactions among them, if given.
 */
export function sendMessages(
  s: Session,
  batchType: string[],
  rows: readonly StoredMessage[],
  extras: HistoryExtras = NO_EXTRAS,
): void {
  const server = s.server;
  const batched = s.hasCap(Cap.batch);
  const id = batched ? server.newBatchId() : '';
  const emit = (out: Outgoing): void => s.deliver(batched ? withBatch(out, id, s) : out);
  if (batched) s.deliver(new Outgoing(server.config.serverName, 'BATCH', [`+${id}`, ...batchType]));
  const timeline = extras.events;
  // A TAGMSG kept in history (client tags other than typing) is an event, not a message:
  // only for clients that said they can take events in history (draft/event-playback) and
  // tags at all (message-tags §TAGMSG). Reactions are replayed below, after their message.
  const events = s.hasCap(Cap.eventPlayback) && s.hasCap(Cap.messageTags);
  let next = 0;
  for (const row of rows) {
    if (row.command === 'TAGMSG' && !events) continue;
    while (next < timeline.length && timeline[next]!.time < row.time) emit(timeline[next++]!.out);
    emit(replayed(row, server));
    for (const reaction of extras.reactions.get(row.msgid) ?? []) emit(replayed(reaction.message, server));
  }
  while (next < timeline.length) emit(timeline[next++]!.out);
  if (batched) s.deliver(new Outgoing(server.config.serverName, 'BATCH', [`-${id}`]));
}

/** A TOPIC as it was sent when the topic changed (draft/event-playback). */
function topicEvent(t: TopicChange): Outgoing {
  return new Outgoing(
    t.sender,
    'TOPIC',
    [t.target, t.text],
    new Date(t.time).toISOString(),
    t.msgid,
    t.senderAccount,
  );
}

/** A REDACT as it was sent when the message was removed. */
function redactionEvent(r: Redaction): Outgoing {
  const params = r.reason === null ? [r.target, r.redacted] : [r.target, r.redacted, r.reason];
  return new Outgoing(r.sender, 'REDACT', params, new Date(r.time).toISOString(), r.msgid, r.senderAccount);
}

/**
 * A stored message as it was first sent: same source, target, time, msgid, tags; a message
 * with line breaks as a multiline batch (or its lines, for clients without the capability).
 */
export function replayed(row: StoredMessage, server: ChatServer): Outgoing {
  if (row.text !== null && isMultiline(row.sender, row.target, row.text)) {
    return new MultilineOutgoing(
      row.sender,
      row.target,
      row.text,
      new Date(row.time).toISOString(),
      row.msgid,
      row.senderAccount,
      row.clientTags,
      server.newBatchId(),
    );
  }
  const params = row.text === null ? [row.target] : [row.target, row.text];
  return new Outgoing(
    row.sender,
    row.command,
    params,
    new Date(row.time).toISOString(),
    row.msgid,
    row.senderAccount,
    row.clientTags,
  );
}

/** The message with a `batch` tag for one recipient (not cached: batch ids are per reply). */
export function withBatch(out: Outgoing, id: string, s: Session): Outgoing {
  return new BatchedOutgoing(out, id, s.caps);
}

class BatchedOutgoing extends Outgoing {
  constructor(
    private readonly inner: Outgoing,
    private readonly batchId: string,
    caps: number,
  ) {
    super(
      inner.source,
      inner.command,
      inner.params,
      inner.time,
      inner.msgid,
      inner.account,
      inner.clientTags,
    );
    this.bytes = inner.bytesWith(caps, { batch: batchId });
  }
  private readonly bytes: Buffer;
  override bytesFor(): Buffer {
    return this.bytes;
  }
  override bytesWith(caps: number, extra: Record<string, string>): Buffer {
    return this.inner.bytesWith(caps, { ...extra, batch: this.batchId });
  }
}

/** CHATHISTORY TARGETS: conversations with messages between two times, newest activity last. */
function targets(s: Session, fromText: string, toText: string, limit: number): void {
  const server = s.server;
  const a = parseBound(fromText, false);
  const b = parseBound(toText, false);
  if (a === undefined || b === undefined || a === null || b === null || !('time' in a) || !('time' in b)) {
    s.sendFail('CHATHISTORY', 'INVALID_PARAMS', 'TARGETS takes two timestamps', 'TARGETS', fromText);
    return;
  }
  const from = Math.min(a.time, b.time);
  const to = Math.max(a.time, b.time);
  const { rooms, identity } = readableScope(s);
  let found: Array<{ conversation: string; target: string; latest: number }> = [];
  s.deferUntil(
    server.store!.conversations(identity, rooms, from, to, limit).then((r) => {
      found = r;
    }),
    () => {
      const batched = s.hasCap(Cap.batch);
      const id = batched ? server.newBatchId() : '';
      const name = server.config.serverName;
      if (batched) s.deliver(new Outgoing(name, 'BATCH', [`+${id}`, 'draft/chathistory-targets']));
      for (const row of found) {
        const shown = displayTarget(s, row.conversation, row.target);
        const line = new Outgoing(name, 'CHATHISTORY', [
          'TARGETS',
          shown,
          new Date(row.latest).toISOString(),
        ]);
        s.deliver(batched ? withBatch(line, id, s) : line);
      }
      if (batched) s.deliver(new Outgoing(name, 'BATCH', [`-${id}`]));
    },
    (err) => {
      server.log.error({ event: 'history.read_failed', err: String(err) }, 'CHATHISTORY TARGETS failed');
      s.sendFail('CHATHISTORY', 'MESSAGE_ERROR', 'Messages could not be retrieved', 'TARGETS', '*');
    },
  );
}

/** For a private conversation, the other participant's name as this user would query it. */
function displayTarget(s: Session, conversation: string, target: string): string {
  if (!conversation.startsWith('dm:')) return target;
  const [x, y] = conversation.slice(3).split(' ') as [string, string];
  const other = x === s.identity ? y : x;
  if (other.startsWith('a:')) return other.slice(2);
  // A guest peer: the stored target is right when we sent it; otherwise it names us, and
  // the peer's nick is not recorded beyond the sender mask.
  return foldCase(target) === s.folded ? '*' : target;
}

// ------------------------------------------------------------------ MARKREAD

function markread(s: Session, msg: IrcMessage): void {
  const server = s.server;
  const store = server.store;
  const target = msg.params[0];
  if (target === undefined || target === '') {
    s.sendFail('MARKREAD', 'NEED_MORE_PARAMS', 'Missing parameters');
    return;
  }
  const key = foldCase(target);
  const stamp = msg.params[1];
  const time =
    stamp === undefined ? null : stamp.startsWith('timestamp=') ? parseTimestamp(stamp.slice(10)) : null;
  if (stamp !== undefined && time === null) {
    s.sendFail('MARKREAD', 'INVALID_PARAMS', 'Invalid parameters', target, stamp);
    return;
  }
  // A connection that is not logged in keeps its markers for as long as it is connected
  // (read-marker: markers belong to the user; a guest is its connection).
  if (store === null || s.account === null) {
    const marker =
      time === null ? connectionMarker(s, key) : setConnectionMarker(s, key, Math.min(time, Date.now()));
    s.reply('MARKREAD', [target, formatMarker(marker)]);
    return;
  }
  const account = foldCase(s.account);
  if (time === null) {
    let marker: number | null = null;
    s.deferUntil(
      store.getReadMarker(account, key).then((m) => {
        marker = m;
      }),
      () => s.reply('MARKREAD', [target, formatMarker(marker)]),
      () => s.sendFail('MARKREAD', 'INTERNAL_ERROR', 'The read timestamp could not be returned', target),
    );
    return;
  }
  // Clamp to now: a marker cannot be ahead of every message (read-marker §Implementation Considerations).
  const clamped = Math.min(time, Date.now());
  let now: number = clamped;
  s.deferUntil(
    store.setReadMarker(account, key, clamped).then((m) => {
      now = m;
    }),
    () => {
      const out = new Outgoing(server.config.serverName, 'MARKREAD', [target, formatMarker(now)]);
      // Every connection of the account learns the new marker, this one included.
      for (const other of server.sessions) {
        if (other === s || other.account === null || !other.hasCap(Cap.readMarker)) continue;
        if (foldCase(other.account) === account) other.deliver(out);
      }
      s.deliver(out);
    },
    () => s.sendFail('MARKREAD', 'INTERNAL_ERROR', 'The read timestamp could not be set', target),
  );
}

export function formatMarker(time: number | null): string {
  return time === null ? '*' : `timestamp=${new Date(time).toISOString()}`;
}

/** Read marker and room history needed before a JOIN is announced (for the joiner's caps). */
export async function joinExtras(
  server: ChatServer,
  s: Session,
  folded: string,
): Promise<{ marker: number | null | undefined; replay: Missed }> {
  const store = server.store;
  if (store === null) return { marker: undefined, replay: { rows: [], more: false } };
  const wantMarker = s.hasCap(Cap.readMarker);
  const [marker, replay] = await Promise.all([
    !wantMarker
      ? null
      : s.account !== null
        ? store.getReadMarker(foldCase(s.account), folded)
        : connectionMarker(s, folded),
    joinReplay(s, folded),
  ]);
  return { marker: wantMarker ? marker : undefined, replay };
}
