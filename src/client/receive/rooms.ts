/**
 * Receiving: rooms and the people in them: joins, parts, kicks, quits, nick changes,
 * topics, member lists (NAMES), the room directory (LIST) and away states.
 */
import type { IrcMessage } from '../../protocol/message.js';
import { catchUp } from '../history.js';
import { fold, nickOf } from '../text.js';
import { type Handlers, isMe, type Receiver } from './context.js';

/** NICK: someone (maybe we) changed nick; rooms and profiles follow. */
function onNick(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  const oldNick = nickOf(msg.source);
  const newNick = p[0] ?? '';
  const self = isMe(r, oldNick);
  if (self) r.client.currentNick = newNick;
  r.profiles.rename(oldNick, newNick);
  for (const ch of r.state.channels.values()) {
    const entry = ch.users.get(fold(oldNick));
    if (entry) {
      ch.users.delete(fold(oldNick));
      ch.users.set(fold(newNick), { ...entry, nick: newNick });
    }
  }
  r.emit('nick', { oldNick, newNick, self });
}

function onJoin(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  const nick = nickOf(msg.source);
  const channel = p[0] ?? '';
  const self = isMe(r, nick);
  if (self) {
    r.state.channels.set(fold(channel), { name: channel, topic: '', users: new Map() });
    r.state.wanted.set(fold(channel), channel);
  }
  r.state.channels.get(fold(channel))?.users.set(fold(nick), { nick, prefixes: '' });
  const account = r.client.caps.has('extended-join') && p[1] !== undefined && p[1] !== '*' ? p[1] : undefined;
  r.emit('join', {
    nick,
    channel,
    self,
    account,
    realname: r.client.caps.has('extended-join') ? p[2] : undefined,
  });
  if (self && r.state.pendingCatchUp.has(fold(channel))) {
    r.state.pendingCatchUp.delete(fold(channel));
    catchUp(r, channel);
  }
}

/** PART, KICK: someone left a room or was put out. */
function onPart(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  const kick = msg.command === 'KICK';
  const nick = kick ? (p[1] ?? '') : nickOf(msg.source);
  const channel = p[0] ?? '';
  const self = isMe(r, nick);
  if (self) {
    r.state.channels.delete(fold(channel));
    r.state.wanted.delete(fold(channel));
  } else r.state.channels.get(fold(channel))?.users.delete(fold(nick));
  r.emit('part', {
    nick,
    channel,
    self,
    reason: (kick ? p[2] : p[1]) ?? '',
    kickedBy: kick ? nickOf(msg.source) : undefined,
  });
}

function onQuit(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  const nick = nickOf(msg.source);
  const channels: string[] = [];
  for (const ch of r.state.channels.values()) if (ch.users.delete(fold(nick))) channels.push(ch.name);
  r.profiles.forget(nick);
  r.emit('quit', { nick, reason: p[0] ?? '', channels });
}

function onTopic(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  const channel = p[0] ?? '';
  const ch = r.state.channels.get(fold(channel));
  if (ch) ch.topic = p[1] ?? '';
  r.emit('topic', { channel, topic: p[1] ?? '', setBy: nickOf(msg.source), initial: false });
}

/** 332 RPL_TOPIC: the topic on joining. */
function onTopicReply(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  const channel = p[1] ?? '';
  const ch = r.state.channels.get(fold(channel));
  if (ch) ch.topic = p[2] ?? '';
  r.emit('topic', { channel, topic: p[2] ?? '', setBy: undefined, initial: true });
}

/** 331 RPL_NOTOPIC. */
function onNoTopic(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  r.emit('topic', { channel: p[1] ?? '', topic: '', setBy: undefined, initial: true });
}

/** 333 RPL_TOPICWHOTIME: not used. */
function onTopicWhoTime(): void {}

/** 321 RPL_LISTSTART. */
function onListStart(r: Receiver): void {
  r.state.listBuffer = [];
}

/** 322 RPL_LIST: one room of a LIST. */
function onListItem(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  const users = Number.parseInt(p[2] ?? '0', 10);
  // Many servers (this one too) start the topic with the room's modes: `[+nt] text`.
  const topic = (p[3] ?? '').replace(/^\[\+[^\]]*\] ?/, '');
  r.state.listBuffer.push({ name: p[1] ?? '', users: Number.isFinite(users) ? users : 0, topic });
}

/** 323 RPL_LISTEND. */
function onListEnd(r: Receiver): void {
  const rooms = r.state.listBuffer;
  r.state.listBuffer = [];
  r.emit('list', { rooms });
}

/** 353 RPL_NAMREPLY: part of a room's member list. */
function onNamesReply(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  const channel = p[2] ?? '';
  const list = r.state.namesBuffer.get(fold(channel)) ?? [];
  for (const item of (p[3] ?? '').split(' ')) {
    if (item === '') continue;
    const m = /^([~&@%+]*)(.*)$/.exec(item)!;
    list.push({ nick: nickOf(m[2]!), prefixes: m[1]! });
  }
  r.state.namesBuffer.set(fold(channel), list);
}

/** 366 RPL_ENDOFNAMES: the member list is complete. */
function onNamesEnd(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  const channel = p[1] ?? '';
  const users = r.state.namesBuffer.get(fold(channel)) ?? [];
  r.state.namesBuffer.delete(fold(channel));
  const ch = r.state.channels.get(fold(channel));
  if (ch) {
    ch.users.clear();
    for (const u of users) ch.users.set(fold(u.nick), u);
  }
  r.emit('names', { channel: ch?.name ?? channel, users });
}

/** AWAY (away-notify): someone went away or came back. */
function onAway(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  const nick = nickOf(msg.source);
  r.emit('away', { nick, away: p[0] !== undefined, message: p[0] ?? '' });
}

/** 305 RPL_UNAWAY. */
function onUnaway(r: Receiver): void {
  r.emit('away', { nick: r.client.currentNick, away: false, message: '' });
}

/** 306 RPL_NOWAWAY. */
function onNowAway(r: Receiver): void {
  r.emit('away', { nick: r.client.currentNick, away: true, message: '' });
}

/** 301 RPL_AWAY: the person we wrote to is away. */
function onAwayReply(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  r.emit('away', { nick: p[1] ?? '', away: true, message: p[2] ?? '' });
}

/** The commands handled here (receive/index.ts dispatches on them). */
export const roomHandlers: Handlers = {
  NICK: onNick,
  JOIN: onJoin,
  PART: onPart,
  KICK: onPart,
  QUIT: onQuit,
  TOPIC: onTopic,
  '332': onTopicReply,
  '331': onNoTopic,
  '333': onTopicWhoTime,
  '321': onListStart,
  '322': onListItem,
  '323': onListEnd,
  '353': onNamesReply,
  '366': onNamesEnd,
  AWAY: onAway,
  '305': onUnaway,
  '306': onNowAway,
  '301': onAwayReply,
};
