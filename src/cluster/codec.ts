/**
 * The events nodes exchange on the bus, and their wire form: one JSON envelope per publish
 * (`{v, n, e: [events]}`), holding every event a node raised in one event-loop turn, in
 * order. Decoding checks every field, because the bus is shared: a malformed envelope, a
 * future version or something another program published must be logged and ignored, never
 * crash a node or corrupt its replica (docs/CLUSTER.md "Events").
 */
import type { Tags } from '../protocol/tags.js';

export const PROTOCOL_VERSION = 1;

/** An Outgoing as data: what the receiving node needs to rebuild it (core/outgoing.ts). */
export interface OutRec {
  /** source (`nick!user@host` or a server name) */
  s: string | null;
  /** command */
  c: string;
  /** params */
  p: string[];
  /** server-time */
  t: string | null;
  /** msgid */
  m: string | null;
  /** account tag */
  a: string | null;
  /** client-only tags */
  g: Tags | null;
  /** the batch id of a multiline message (core/multiline-outgoing.ts), else absent */
  b?: string;
}

/** A user as every node replicates them (core/user.ts). */
export interface UserRec {
  /** `<node>/<session id>`: unique in the network, never reused */
  id: string;
  nick: string;
  /** when this nick was taken (ms): the older claim wins a collision */
  nts: number;
  user: string;
  host: string;
  ip: string;
  real: string;
  acct: string | null;
  away: string | null;
  oper: boolean;
  inv: boolean;
  wal: boolean;
  sec: boolean;
  fp: string | null;
  srv: string;
  on: number;
  idle: number;
  caps: number;
  ident: string;
}

export interface BanRec {
  mask: string;
  setBy: string;
  setAt: number;
}

/** A room's own state (not its members). */
export interface ChanSnap {
  name: string;
  /** creation time: the older wins when two nodes created the room at once */
  ts: number;
  /** flags: any of "Cimnst" */
  f: string;
  key: string | null;
  limit: number | null;
  topic: { text: string; setBy: string; setAt: number } | null;
  bans: BanRec[];
  /** ban exceptions (+e) */
  ex: BanRec[];
  /** invite exceptions (+I) */
  invex: BanRec[];
}

export interface ChanBurst extends ChanSnap {
  /** this node's members: [user id, prefix bits] */
  members: Array<[string, number]>;
}

/** What a JOIN broadcast carries besides its lines: who, with which prefix, into which room. */
export interface JoinMeta {
  id: string;
  bits: number;
  /** the room's state when the joiner created it (it was empty) */
  snap: ChanSnap | null;
  ts: number;
}

export type ClusterEvent =
  /** A node (re)joins the bus: forget what you knew of it, send it your state. */
  | { k: 'hello' }
  /** Send me (`to` is you) your state: I lost track of you. */
  | { k: 'resync'; to: string }
  /** A node's local users and their rooms; to one node (answering hello) or to all. */
  | { k: 'burst'; to: string | null; users: UserRec[]; chans: ChanBurst[] }
  | { k: 'hb' }
  /** Clean shutdown: remove my users now. */
  | { k: 'bye' }
  | { k: 'user'; u: UserRec }
  /** A user's fields changed; `o` is shown to their peers having capability `cap`. */
  | { k: 'uset'; u: UserRec; o: OutRec | null; cap: number }
  | { k: 'nick'; id: string; nick: string; nts: number; o: OutRec }
  | { k: 'quit'; id: string; reason: string }
  | { k: 'kill'; to: string; id: string; by: string; reason: string }
  /** A room broadcast: rendered to the receiver's members with the same filters. */
  | {
      k: 'chan';
      ch: string;
      o: OutRec;
      /** the user the broadcast skips (their id), if any */
      x: string | null;
      /** source user id (JOIN, PART), victim (KICK) */
      u: string | null;
      nc: number;
      wc: number;
      lz: boolean;
      j: JoinMeta | null;
    }
  /** A delivery to one user on node `to` (private message, INVITE, WALLOPS…). */
  | { k: 'to'; to: string; id: string; o: OutRec }
  // Relay connections (relay-connection.ts): `c` is `<relaying node>/<its connection id>`.
  /** Take this connection for the account's person you hold. */
  | { k: 'ratt'; to: string; c: string; att: RelayAttach }
  /** Whether the holder took the connection (false: register it where it is). */
  | { k: 'rack'; to: string; c: string; ok: boolean }
  /** A line the client sent (base64: the client's bytes as they came). */
  | { k: 'rin'; to: string; c: string; l: string }
  /** Bytes for the client (base64), in the order the holder wrote them. */
  | { k: 'rout'; to: string; c: string; d: string }
  /** The connection ended on the sender's side. */
  | { k: 'rend'; to: string; c: string; why: string };

/** What the holder needs to run a relayed connection as its own (relay-connection.ts). */
export interface RelayAttach {
  acct: string;
  caps: number;
  /** CAP LS version */
  cv: number;
  ip: string;
  /** the listener kind ('irc', 'tls', 'ws'…) */
  kind: string;
  sec: boolean;
  fp: string | null;
  /** a WebSocket's User-Agent */
  ua: string | null;
  user: string;
  real: string;
}

export interface Envelope {
  v: number;
  /** the publishing node */
  n: string;
  e: ClusterEvent[];
}

export function encodeEnvelope(node: string, events: ClusterEvent[]): string {
  return JSON.stringify({ v: PROTOCOL_VERSION, n: node, e: events });
}

/** Why an envelope was refused (for the log). */
export class DecodeError extends Error {}

// ---------------------------------------------------------------- checks

type Obj = Record<string, unknown>;

function fail(what: string): never {
  throw new DecodeError(what);
}

function obj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${what}: not an object`);
  return v as Obj;
}

function str(o: Obj, key: string): string {
  const v = o[key];
  if (typeof v !== 'string') fail(`${key}: not a string`);
  return v;
}

function strOrNull(o: Obj, key: string): string | null {
  const v = o[key];
  if (v === null) return null;
  if (typeof v !== 'string') fail(`${key}: not a string or null`);
  return v;
}

function num(o: Obj, key: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${key}: not a number`);
  return v;
}

function bool(o: Obj, key: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') fail(`${key}: not a boolean`);
  return v;
}

function arr(o: Obj, key: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) fail(`${key}: not a list`);
  return v;
}

function strings(o: Obj, key: string): string[] {
  const list = arr(o, key);
  for (const item of list) if (typeof item !== 'string') fail(`${key}: not a list of strings`);
  return list as string[];
}

function tags(o: Obj, key: string): Tags | null {
  const v = o[key];
  if (v === null) return null;
  const t = obj(v, key);
  for (const k in t) if (typeof t[k] !== 'string') fail(`${key}.${k}: not a string`);
  return t as Tags;
}

function outRec(v: unknown): OutRec {
  const o = obj(v, 'o');
  const rec: OutRec = {
    s: strOrNull(o, 's'),
    c: str(o, 'c'),
    p: strings(o, 'p'),
    t: strOrNull(o, 't'),
    m: strOrNull(o, 'm'),
    a: strOrNull(o, 'a'),
    g: tags(o, 'g'),
  };
  if (!/^[A-Za-z0-9]{1,32}$/.test(rec.c)) fail('o.c: not a command');
  if (o['b'] !== undefined) rec.b = str(o, 'b');
  if (rec.b !== undefined && (rec.c !== 'PRIVMSG' || rec.p.length !== 2 || rec.s === null)) {
    fail('o.b: a multiline message must be a PRIVMSG with a source');
  }
  return rec;
}

function userRec(v: unknown): UserRec {
  const o = obj(v, 'u');
  return {
    id: str(o, 'id'),
    nick: str(o, 'nick'),
    nts: num(o, 'nts'),
    user: str(o, 'user'),
    host: str(o, 'host'),
    ip: str(o, 'ip'),
    real: str(o, 'real'),
    acct: strOrNull(o, 'acct'),
    away: strOrNull(o, 'away'),
    oper: bool(o, 'oper'),
    inv: bool(o, 'inv'),
    wal: bool(o, 'wal'),
    sec: bool(o, 'sec'),
    fp: strOrNull(o, 'fp'),
    srv: str(o, 'srv'),
    on: num(o, 'on'),
    idle: num(o, 'idle'),
    caps: num(o, 'caps'),
    ident: str(o, 'ident'),
  };
}

function chanSnap(o: Obj): ChanSnap {
  const topicV = o['topic'];
  let topic: ChanSnap['topic'] = null;
  if (topicV !== null) {
    const t = obj(topicV, 'topic');
    topic = { text: str(t, 'text'), setBy: str(t, 'setBy'), setAt: num(t, 'setAt') };
  }
  const limit = o['limit'];
  if (limit !== null && (typeof limit !== 'number' || !Number.isInteger(limit))) fail('limit');
  const f = str(o, 'f');
  if (!/^[Cimnst]*$/.test(f)) fail('f: unknown channel flag');
  return {
    name: str(o, 'name'),
    ts: num(o, 'ts'),
    f,
    key: strOrNull(o, 'key'),
    limit: limit as number | null,
    topic,
    bans: listEntries(o, 'bans'),
    ex: listEntries(o, 'ex'),
    invex: listEntries(o, 'invex'),
  };
}

/** A room's list (+b, +e, +I). */
function listEntries(o: Obj, key: string): BanRec[] {
  return arr(o, key).map((b) => {
    const e = obj(b, key);
    return { mask: str(e, 'mask'), setBy: str(e, 'setBy'), setAt: num(e, 'setAt') };
  });
}

function chanBurst(v: unknown): ChanBurst {
  const o = obj(v, 'chan');
  const members = arr(o, 'members').map((m): [string, number] => {
    if (!Array.isArray(m) || typeof m[0] !== 'string' || typeof m[1] !== 'number') fail('members');
    return [m[0], m[1]];
  });
  return { ...chanSnap(o), members };
}

function joinMeta(v: unknown): JoinMeta | null {
  if (v === null) return null;
  const o = obj(v, 'j');
  return {
    id: str(o, 'id'),
    bits: num(o, 'bits'),
    ts: num(o, 'ts'),
    snap: o['snap'] === null ? null : chanSnap(obj(o['snap'], 'snap')),
  };
}

function event(v: unknown): ClusterEvent {
  const o = obj(v, 'event');
  const k = str(o, 'k');
  switch (k) {
    case 'hello':
    case 'hb':
    case 'bye':
      return { k };
    case 'resync':
      return { k, to: str(o, 'to') };
    case 'burst':
      return {
        k,
        to: strOrNull(o, 'to'),
        users: arr(o, 'users').map(userRec),
        chans: arr(o, 'chans').map(chanBurst),
      };
    case 'user':
      return { k, u: userRec(o['u']) };
    case 'uset':
      return { k, u: userRec(o['u']), o: o['o'] === null ? null : outRec(o['o']), cap: num(o, 'cap') };
    case 'nick':
      return { k, id: str(o, 'id'), nick: str(o, 'nick'), nts: num(o, 'nts'), o: outRec(o['o']) };
    case 'quit':
      return { k, id: str(o, 'id'), reason: str(o, 'reason') };
    case 'kill':
      return { k, to: str(o, 'to'), id: str(o, 'id'), by: str(o, 'by'), reason: str(o, 'reason') };
    case 'chan':
      return {
        k,
        ch: str(o, 'ch'),
        o: outRec(o['o']),
        x: strOrNull(o, 'x'),
        u: strOrNull(o, 'u'),
        nc: num(o, 'nc'),
        wc: num(o, 'wc'),
        lz: bool(o, 'lz'),
        j: joinMeta(o['j']),
      };
    case 'to':
      return { k, to: str(o, 'to'), id: str(o, 'id'), o: outRec(o['o']) };
    case 'ratt': {
      const a = obj(o['att'], 'att');
      return {
        k,
        to: str(o, 'to'),
        c: str(o, 'c'),
        att: {
          acct: str(a, 'acct'),
          caps: num(a, 'caps'),
          cv: num(a, 'cv'),
          ip: str(a, 'ip'),
          kind: str(a, 'kind'),
          sec: bool(a, 'sec'),
          fp: strOrNull(a, 'fp'),
          ua: strOrNull(a, 'ua'),
          user: str(a, 'user'),
          real: str(a, 'real'),
        },
      };
    }
    case 'rack':
      return { k, to: str(o, 'to'), c: str(o, 'c'), ok: bool(o, 'ok') };
    case 'rin':
      return { k, to: str(o, 'to'), c: str(o, 'c'), l: str(o, 'l') };
    case 'rout':
      return { k, to: str(o, 'to'), c: str(o, 'c'), d: str(o, 'd') };
    case 'rend':
      return { k, to: str(o, 'to'), c: str(o, 'c'), why: str(o, 'why') };
    default:
      return fail(`unknown event kind ${JSON.stringify(k).slice(0, 40)}`);
  }
}

/** Parses and checks one envelope; throws DecodeError (or SyntaxError) when it is not one. */
export function decodeEnvelope(raw: string): Envelope {
  const o = obj(JSON.parse(raw), 'envelope');
  const v = num(o, 'v');
  if (v !== PROTOCOL_VERSION) fail(`version ${v} (this node speaks ${PROTOCOL_VERSION})`);
  const n = str(o, 'n');
  if (!NODE_NAME.test(n)) fail('n: not a node name');
  return { v, n, e: arr(o, 'e').map(event) };
}

/** What a node name may be (config key cluster-node; also the prefix of user ids). */
export const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
