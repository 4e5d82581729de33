/**
 * Channel membership and channel state commands (RFC 2812 §3.2; IRCv3 extended-join,
 * invite-notify, away-notify, multi-prefix, userhost-in-names; ELIST from the modern
 * client protocol docs).
 */
import { foldCase } from '../../protocol/casemapping.js';
import { wildcardMatch } from '../../protocol/mask.js';
import type { IrcMessage } from '../../protocol/message.js';
import { isValidChannel } from '../../protocol/names.js';
import * as N from '../../protocol/numerics.js';
import { membershipJoined, membershipLeft } from '../always-on.js';
import { withBotTag } from '../bot-mode.js';
import { Cap } from '../caps.js';
import { Channel, OP } from '../channel.js';
import { inviteExcepted } from '../channel-access.js';
import { syncChannel } from '../metadata.js';
import { newMsgid } from '../msgid.js';
import { Outgoing, serverTime, serverTimeNow } from '../outgoing.js';
import { NOTHING, sendMissed } from '../replay.js';
import type { Session } from '../session.js';
import { writeFailures } from '../write-failures.js';
import { formatMarker, joinExtras } from './chathistory.js';
import type { CommandGroup } from './table.js';

export const channelCommands: CommandGroup = {
  JOIN: { minParams: 1, handler: join },
  PART: { minParams: 1, handler: part },
  TOPIC: { minParams: 1, handler: topic },
  NAMES: { minParams: 0, handler: names },
  LIST: { minParams: 0, handler: list },
  KICK: { minParams: 2, handler: kick },
  INVITE: { minParams: 0, handler: invite },
};

// ------------------------------------------------------------------ JOIN

function join(s: Session, msg: IrcMessage): void {
  const server = s.server;
  if (msg.params[0] === '0') {
    for (const channel of [...s.channels]) partOne(s, channel, 'Left all channels');
    return;
  }
  const keys = (msg.params[1] ?? '').split(',');
  const wanted: Array<{ name: string; key: string }> = [];
  msg.params[0]!.split(',').forEach((name, i) => {
    if (name === '') return;
    if (!isValidChannel(name, server.config.channelLen)) {
      s.numeric(N.ERR_NOSUCHCHANNEL, name, 'No such channel (invalid name)');
      return;
    }
    wanted.push({ name, key: keys[i] ?? '' });
  });
  if (wanted.length === 0) return;
  if (server.store === null) {
    for (const w of wanted) joinOne(s, w.name, w.key, NO_EXTRAS);
    return;
  }
  // The read marker and the history replay come from the store before the JOIN is
  // announced (read-marker: MARKREAD precedes RPL_ENDOFNAMES); everything this client
  // sends next waits, so nothing goes to a room it has not joined yet.
  let extras: JoinExtras[] = [];
  s.deferUntil(
    Promise.all(wanted.map((w) => joinExtras(server, s, foldCase(w.name)))).then((e) => {
      extras = e;
    }),
    () => {
      wanted.forEach((w, i) => {
        joinOne(s, w.name, w.key, extras[i] ?? NO_EXTRAS);
      });
    },
    (err) => {
      server.log.error({ event: 'history.read_failed', err: String(err) }, 'join history look-up failed');
      for (const w of wanted) joinOne(s, w.name, w.key, NO_EXTRAS);
    },
    true,
  );
}

type JoinExtras = Awaited<ReturnType<typeof joinExtras>>;
const NO_EXTRAS: JoinExtras = { marker: undefined, replay: NOTHING };

function joinOne(s: Session, name: string, key: string, extras: JoinExtras): void {
  const server = s.server;
  const folded = foldCase(name);
  let channel = server.directory.findChannel(folded);
  if (channel?.members.has(s)) return;
  if (s.channels.size >= server.config.maxChannels) {
    s.numeric(N.ERR_TOOMANYCHANNELS, name, 'You have joined too many channels');
    return;
  }
  let bits = 0;
  if (channel === undefined) {
    channel = new Channel(name);
    server.directory.addChannel(channel);
    bits = OP; // the first to join a new room is its operator
    void server.channelHooks?.created(channel);
    // A registered room comes back with its bans, key and +i: they bind its first joiner too.
    const refusal = joinRefusal(s, channel, key);
    if (refusal !== null) {
      server.directory.removeChannel(channel);
      s.numeric(refusal[0], channel.name, refusal[1]);
      return;
    }
  } else {
    const refusal = joinRefusal(s, channel, key);
    if (refusal !== null) {
      s.numeric(refusal[0], channel.name, refusal[1]);
      return;
    }
  }
  channel.invited.delete(s.folded);
  channel.addMember(s, bits);
  s.joinedChannel(channel);
  server.channelHooks?.joining(s, channel);
  membershipJoined(server, s, channel);
  announceJoin(s, channel, extras);
}

function joinRefusal(s: Session, channel: Channel, key: string): [string, string] | null {
  const invited = channel.invited.has(s.folded);
  if (channel.isBanned(s) && !invited) return [N.ERR_BANNEDFROMCHAN, 'Cannot join channel (+b)'];
  // +I (modern.ircdocs.horse §Invite Exception): a matching mask needs no INVITE.
  if (channel.inviteOnly && !invited && !inviteExcepted(channel.inviteExceptions, s))
    return [N.ERR_INVITEONLYCHAN, 'Cannot join channel (+i)'];
  if (channel.key !== null && channel.key !== key) return [N.ERR_BADCHANNELKEY, 'Cannot join channel (+k)'];
  if (channel.limit !== null && channel.members.size >= channel.limit && !invited) {
    return [N.ERR_CHANNELISFULL, 'Cannot join channel (+l)'];
  }
  return null;
}

/** JOIN to every member (extended or plain), then topic and names to the joiner. */
function announceJoin(s: Session, channel: Channel, extras: JoinExtras): void {
  const time = serverTimeNow();
  const bot = withBotTag(s, null); // IRCv3 bot-mode §bot tag: "all commands sent by a bot"
  const plain = new Outgoing(s.mask, 'JOIN', [channel.name], time, null, s.account, bot);
  const extended = new Outgoing(
    s.mask,
    'JOIN',
    [channel.name, s.account ?? '*', s.realname],
    time,
    null,
    s.account,
    bot,
  );
  // Lazy for the members (a join storm coalesces); the joiner's own JOIN goes out with the
  // topic and names right after it, which are not lazy.
  channel.broadcast(extended, null, Cap.extendedJoin, 0, true);
  channel.broadcast(plain, null, 0, Cap.extendedJoin, true);
  if (s.away !== null) {
    channel.broadcast(
      new Outgoing(s.mask, 'AWAY', [s.away], time, null, s.account),
      s,
      Cap.awayNotify,
      0,
      true,
    );
  }
  if (channel.topic !== null) sendTopic(s, channel);
  const marker = extras.marker;
  sendNames(
    s,
    channel,
    marker === undefined ? undefined : () => s.reply('MARKREAD', [channel.name, formatMarker(marker)]),
  );
  sendMissed(s, channel.name, extras.replay);
  // draft/metadata-2 §Concepts: on joining, the room's and its members' metadata.
  syncChannel(s, channel, true);
  // The person's other devices got the JOIN above; they need the room's topic and names too.
  for (const other of s.otherConnections()) {
    if (channel.topic !== null) sendTopic(other, channel);
    sendNames(other, channel);
    syncChannel(other, channel, true);
  }
}

// ------------------------------------------------------------------ PART

function part(s: Session, msg: IrcMessage): void {
  const reason = msg.params[1];
  for (const name of msg.params[0]!.split(',')) {
    if (name === '') continue;
    const channel = s.server.directory.findChannel(foldCase(name));
    if (channel === undefined) {
      s.numeric(N.ERR_NOSUCHCHANNEL, name, 'No such channel');
      continue;
    }
    if (!channel.members.has(s)) {
      s.numeric(N.ERR_NOTONCHANNEL, channel.name, "You're not on that channel");
      continue;
    }
    partOne(s, channel, reason);
  }
}

function partOne(s: Session, channel: Channel, reason: string | undefined): void {
  const params =
    reason === undefined || reason === ''
      ? [channel.name]
      : [channel.name, reason.slice(0, s.server.config.kickLen)];
  channel.broadcast(
    new Outgoing(s.mask, 'PART', params, serverTimeNow(), null, s.account, withBotTag(s, null)),
  );
  membershipLeft(s.server, s, channel);
  s.server.leaveChannel(s, channel);
}

// ------------------------------------------------------------------ TOPIC

function topic(s: Session, msg: IrcMessage): void {
  const name = msg.params[0]!;
  const channel = s.server.directory.findChannel(foldCase(name));
  if (channel === undefined) {
    s.numeric(N.ERR_NOSUCHCHANNEL, name, 'No such channel');
    return;
  }
  const member = channel.members.has(s);
  if (msg.params.length < 2) {
    if (channel.secret && !member) {
      s.numeric(N.ERR_NOTONCHANNEL, channel.name, "You're not on that channel");
    } else if (channel.topic === null) {
      s.numeric(N.RPL_NOTOPIC, channel.name, 'No topic is set');
    } else {
      sendTopic(s, channel);
    }
    return;
  }
  if (!member) {
    s.numeric(N.ERR_NOTONCHANNEL, channel.name, "You're not on that channel");
    return;
  }
  // Server operators too: they set the topic of the server's rooms (#lobby), which have no founder.
  if (channel.topicLocked && !channel.isOp(s) && !s.isOper) {
    s.numeric(N.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator");
    return;
  }
  const text = msg.params[1]!.slice(0, s.server.config.topicLen);
  channel.topic = text === '' ? null : { text, setBy: s.mask, setAt: Date.now() };
  s.server.channelHooks?.changed(channel);
  // draft/event-playback: a TOPIC is an event clients may see again, so it carries a msgid
  // and is kept in history, shown to the room once kept (in the order the server accepted
  // it, like a message: a gate).
  const now = Date.now();
  const out = new Outgoing(s.mask, 'TOPIC', [channel.name, text], serverTime(now), newMsgid(now), s.account);
  const server = s.server;
  if (server.store === null || server.historyWriter === null) {
    channel.broadcast(out);
    return;
  }
  const kept = server.store.addTopicChange({
    msgid: out.msgid!,
    conversation: channel.folded,
    target: channel.name,
    time: now,
    sender: s.mask,
    senderAccount: s.account,
    text,
  });
  s.deferUntil(
    kept,
    () => {
      writeFailures(server).succeeded();
      channel.broadcast(out);
    },
    (err) => {
      // The topic did change (everyone asking sees it); only its history lacks the event.
      writeFailures(server).failed(err);
      channel.broadcast(out);
    },
    false,
    server.output.openGate(),
  );
}

export function sendTopic(s: Session, channel: Channel): void {
  const t = channel.topic!;
  s.numeric(N.RPL_TOPIC, channel.name, t.text);
  s.numeric(N.RPL_TOPICWHOTIME, channel.name, t.setBy, String(Math.floor(t.setAt / 1000)));
}

// ------------------------------------------------------------------ NAMES

function names(s: Session, msg: IrcMessage): void {
  const arg = msg.params[0];
  if (arg === undefined || arg === '') {
    s.numeric(N.RPL_ENDOFNAMES, '*', 'End of /NAMES list');
    return;
  }
  const names = arg.split(',').filter((n) => n !== '');
  // TARGMAX NAMES (modern.ircdocs.horse §TARGMAX): past it, 407 rather than a silent cut.
  if (names.length > s.server.config.maxTargets) {
    s.numeric(N.ERR_TOOMANYTARGETS, arg, `Too many targets (the limit is ${s.server.config.maxTargets})`);
    return;
  }
  for (const name of names) {
    const channel = s.server.directory.findChannel(foldCase(name));
    if (channel === undefined || (channel.secret && !channel.members.has(s))) {
      s.numeric(N.RPL_ENDOFNAMES, name, 'End of /NAMES list');
      continue;
    }
    sendNames(s, channel);
  }
}

/** RPL_NAMREPLY lines of at most ~400 bytes of names each, then RPL_ENDOFNAMES. */
export function sendNames(s: Session, channel: Channel, beforeEnd?: () => void): void {
  const multi = s.hasCap(Cap.multiPrefix);
  const full = s.hasCap(Cap.userhostInNames);
  const symbol = channel.secret ? '@' : '=';
  const inChannel = channel.members.has(s);
  let line = '';
  for (const member of channel.members.keys()) {
    if (!inChannel && member.invisible) continue;
    const entry = channel.prefixOf(member, multi) + (full ? member.mask : member.nick);
    if (line.length + entry.length + 1 > 400) {
      s.numeric(N.RPL_NAMREPLY, symbol, channel.name, line);
      line = entry;
    } else line = line === '' ? entry : `${line} ${entry}`;
  }
  if (line !== '') s.numeric(N.RPL_NAMREPLY, symbol, channel.name, line);
  beforeEnd?.();
  s.numeric(N.RPL_ENDOFNAMES, channel.name, 'End of /NAMES list');
}

// ------------------------------------------------------------------ LIST

interface ListFilter {
  masks: string[];
  notMasks: string[];
  minUsers: number;
  maxUsers: number;
  createdBefore: number; // C<n: created less than n minutes ago → createdAt > now - n
  createdAfter: number;
  topicBefore: number;
  topicAfter: number;
}

/** ELIST=CMNTU conditions: `>n` `<n` user counts, `C<n` `C>n`, `T<n` `T>n` in minutes, masks and `!masks`. */
function parseListFilter(arg: string | undefined): ListFilter {
  const f: ListFilter = {
    masks: [],
    notMasks: [],
    minUsers: -1,
    maxUsers: Number.POSITIVE_INFINITY,
    createdBefore: Number.POSITIVE_INFINITY,
    createdAfter: -1,
    topicBefore: Number.POSITIVE_INFINITY,
    topicAfter: -1,
  };
  if (arg === undefined) return f;
  const now = Date.now();
  const ago = (minutes: string): number => now - Number.parseInt(minutes, 10) * 60_000;
  for (const cond of arg.split(',')) {
    const m = /^([CcTt]?)([<>])(\d+)$/.exec(cond);
    if (m !== null) {
      const [, kind, op, n] = m as unknown as [string, string, string, string];
      const k = kind.toUpperCase();
      if (k === '' && op === '>') f.minUsers = Number.parseInt(n, 10);
      else if (k === '' && op === '<') f.maxUsers = Number.parseInt(n, 10);
      else if (k === 'C' && op === '<') f.createdAfter = ago(n);
      else if (k === 'C' && op === '>') f.createdBefore = ago(n);
      else if (k === 'T' && op === '<') f.topicAfter = ago(n);
      else f.topicBefore = ago(n);
    } else if (cond.startsWith('!')) f.notMasks.push(cond.slice(1));
    else if (cond !== '') f.masks.push(cond);
  }
  return f;
}

function listMatches(f: ListFilter, c: Channel): boolean {
  const users = c.members.size;
  if (users <= f.minUsers || users >= f.maxUsers) return false;
  if (c.createdAt <= f.createdAfter || c.createdAt >= f.createdBefore) return false;
  if (f.topicAfter >= 0 || f.topicBefore !== Number.POSITIVE_INFINITY) {
    const at = c.topic?.setAt ?? 0;
    if (at <= f.topicAfter || at >= f.topicBefore) return false;
  }
  if (f.masks.length > 0 && !f.masks.some((m) => wildcardMatch(m, c.name))) return false;
  if (f.notMasks.some((m) => wildcardMatch(m, c.name))) return false;
  return true;
}

function list(s: Session, msg: IrcMessage): void {
  const filter = parseListFilter(msg.params[0]);
  s.numeric(N.RPL_LISTSTART, 'Channel', 'Users  Name');
  for (const channel of s.server.directory.channels()) {
    if (channel.secret && !channel.members.has(s)) continue;
    if (!listMatches(filter, channel)) continue;
    const modes = channel.modeString(false)[0]!;
    const topicText = `[${modes}] ${channel.topic?.text ?? ''}`.trimEnd();
    s.numeric(N.RPL_LIST, channel.name, String(channel.members.size), topicText);
  }
  s.numeric(N.RPL_LISTEND, 'End of /LIST');
}

// ------------------------------------------------------------------ KICK

/**
 * KICK <channel>[,<channel>...] <user>[,<user>...] [:<reason>] (RFC 2812 §3.2.8): one channel
 * and several users, or as many channels as users, in pairs. At most TARGMAX KICK users.
 */
function kick(s: Session, msg: IrcMessage): void {
  const server = s.server;
  const channels = msg.params[0]!.split(',').filter((c) => c !== '');
  const users = msg.params[1]!.split(',').filter((u) => u !== '');
  if (
    channels.length === 0 ||
    users.length === 0 ||
    (channels.length !== 1 && channels.length !== users.length)
  ) {
    s.numeric(N.ERR_NEEDMOREPARAMS, 'KICK', 'Not enough parameters');
    return;
  }
  if (users.length > server.config.maxTargets) {
    s.numeric(
      N.ERR_TOOMANYTARGETS,
      msg.params[1]!,
      `Too many targets (the limit is ${server.config.maxTargets})`,
    );
    return;
  }
  const reason = (msg.params[2] || s.nick).slice(0, server.config.kickLen);
  for (const [i, nick] of users.entries()) {
    const name = channels[channels.length === 1 ? 0 : i]!;
    const channel = server.directory.findChannel(foldCase(name));
    if (channel === undefined) {
      s.numeric(N.ERR_NOSUCHCHANNEL, name, 'No such channel');
      continue;
    }
    if (!channel.members.has(s)) {
      s.numeric(N.ERR_NOTONCHANNEL, channel.name, "You're not on that channel");
      continue;
    }
    if (!channel.isOp(s) && !s.isOper) {
      s.numeric(N.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator");
      continue;
    }
    const victim = server.directory.findUser(foldCase(nick));
    if (victim === undefined || !channel.members.has(victim)) {
      s.numeric(N.ERR_USERNOTINCHANNEL, nick, channel.name, "They aren't on that channel");
      continue;
    }
    channel.broadcast(
      new Outgoing(
        s.mask,
        'KICK',
        [channel.name, victim.nick, reason],
        serverTimeNow(),
        null,
        s.account,
        withBotTag(s, null),
      ),
    );
    membershipLeft(server, victim, channel);
    server.leaveChannel(victim, channel);
  }
}

// ------------------------------------------------------------------ INVITE

/** INVITE with no parameters (modern.ircdocs.horse §INVITE): the channels you are invited to. */
function listInvites(s: Session): void {
  for (const channel of s.server.directory.channels()) {
    if (channel.invited.has(s.folded)) s.numeric(N.RPL_INVITELIST, channel.name);
  }
  s.numeric(N.RPL_ENDOFINVITELIST, 'End of /INVITE list');
}

function invite(s: Session, msg: IrcMessage): void {
  const server = s.server;
  if (msg.params.length === 0) {
    listInvites(s);
    return;
  }
  if (msg.params.length < 2) {
    s.numeric(N.ERR_NEEDMOREPARAMS, 'INVITE', 'Not enough parameters');
    return;
  }
  const [nick, chanName] = msg.params as [string, string];
  const target = server.directory.findUser(foldCase(nick));
  if (target === undefined || !target.registered) {
    s.numeric(N.ERR_NOSUCHNICK, nick, 'No such nick/channel');
    return;
  }
  const channel = server.directory.findChannel(foldCase(chanName));
  if (channel === undefined) {
    s.numeric(N.ERR_NOSUCHCHANNEL, chanName, 'No such channel');
    return;
  }
  if (!channel.members.has(s)) {
    s.numeric(N.ERR_NOTONCHANNEL, channel.name, "You're not on that channel");
    return;
  }
  if (channel.inviteOnly && !channel.isOp(s)) {
    s.numeric(N.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator");
    return;
  }
  if (channel.members.has(target)) {
    s.numeric(N.ERR_USERONCHANNEL, target.nick, channel.name, 'is already on channel');
    return;
  }
  channel.invited.add(target.folded);
  s.numeric(N.RPL_INVITING, target.nick, channel.name);
  const out = new Outgoing(s.mask, 'INVITE', [target.nick, channel.name], serverTimeNow(), null, s.account);
  target.deliver(out);
  if (target.away !== null) s.numeric(N.RPL_AWAY, target.nick, target.away);
  // invite-notify: members who could have invited too are told (ops only when +i).
  for (const member of channel.members.keys()) {
    if (member === s.person || !(member.caps & Cap.inviteNotify)) continue;
    if (channel.inviteOnly && !channel.isOp(member)) continue;
    member.deliver(out);
  }
}
