/**
 * Core objects as bus records and back: a local Session as a UserRec, an Outgoing as an
 * OutRec (rebuilt on the receiving node so each of its clients gets its own tag variant,
 * with the same msgid and server-time), a room's own state (modes, topic, its +b, +e and +I
 * lists) as a ChanSnap.
 */
import type { Channel } from '../core/channel.js';
import { MultilineOutgoing } from '../core/multiline-outgoing.js';
import { Outgoing } from '../core/outgoing.js';
import type { Session } from '../core/session.js';
import type { ChanSnap, OutRec, UserRec } from './codec.js';

export function userRecord(s: Session, id: string, nickTs: number): UserRec {
  return {
    id,
    nick: s.nick,
    nts: nickTs,
    user: s.username,
    host: s.host,
    ip: s.ip,
    real: s.realname,
    acct: s.account,
    away: s.away,
    oper: s.isOper,
    inv: s.invisible,
    wal: s.wallops,
    sec: s.secure,
    fp: s.certFingerprint,
    srv: s.serverName,
    on: s.signonAt,
    idle: s.idleSince,
    caps: s.caps,
    ident: s.identity,
  };
}

export function outRecord(out: Outgoing): OutRec {
  const rec: OutRec = {
    s: out.source,
    c: out.command,
    p: out.params as string[],
    t: out.time,
    m: out.msgid,
    a: out.account,
    g: out.clientTags,
  };
  if (out instanceof MultilineOutgoing) rec.b = out.batchId;
  return rec;
}

export function outgoingOf(rec: OutRec): Outgoing {
  if (rec.b !== undefined) {
    return new MultilineOutgoing(rec.s!, rec.p[0]!, rec.p[1]!, rec.t, rec.m, rec.a, rec.g, rec.b);
  }
  return new Outgoing(rec.s, rec.c, rec.p, rec.t, rec.m, rec.a, rec.g);
}

const FLAGS = [
  ['C', 'noCtcp'],
  ['i', 'inviteOnly'],
  ['m', 'moderated'],
  ['n', 'noExternal'],
  ['s', 'secret'],
  ['t', 'topicLocked'],
] as const;

export function chanSnapshot(channel: Channel): ChanSnap {
  let f = '';
  for (const [c, key] of FLAGS) if (channel[key]) f += c;
  return {
    name: channel.name,
    ts: channel.createdAt,
    f,
    key: channel.key,
    limit: channel.limit,
    topic: channel.topic === null ? null : { ...channel.topic },
    bans: channel.bans.map((b) => ({ ...b })),
    ex: channel.exceptions.map((b) => ({ ...b })),
    invex: channel.inviteExceptions.map((b) => ({ ...b })),
  };
}

/** Makes a room's own state (modes, key, limit, topic, its lists) that of the snapshot. */
export function applySnapshot(channel: Channel, snap: ChanSnap): void {
  for (const [c, key] of FLAGS) channel[key] = snap.f.includes(c);
  channel.key = snap.key;
  channel.limit = snap.limit;
  channel.topic = snap.topic === null ? null : { ...snap.topic };
  replaceList(channel.bans, snap.bans);
  replaceList(channel.exceptions, snap.ex);
  replaceList(channel.inviteExceptions, snap.invex);
  channel.createdAt = snap.ts;
}

function replaceList(list: Channel['bans'], from: readonly Channel['bans'][number][]): void {
  list.length = 0;
  for (const b of from) list.push({ ...b });
}
