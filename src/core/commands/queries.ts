/**
 * Presence and look-ups: WHO (with WHOX, modern client protocol docs "WHOX"), WHOIS,
 * WHOWAS, USERHOST, ISON (RFC 2812 §3.6, §4.8, §4.9), AWAY (+ IRCv3 away-notify) and
 * SETNAME (IRCv3 setname).
 */
import { foldCase } from '../../protocol/casemapping.js';
import { wildcardMatch } from '../../protocol/mask.js';
import type { IrcMessage } from '../../protocol/message.js';
import { isChannelName } from '../../protocol/names.js';
import * as N from '../../protocol/numerics.js';
import { BOT_MODE, isBot } from '../bot-mode.js';
import { Cap } from '../caps.js';
import type { Channel } from '../channel.js';
import { VISIBLE, WHOIS_KEYS } from '../metadata.js';
import { Outgoing, serverTimeNow } from '../outgoing.js';
import { ownCopy } from '../own-copy.js';
import { deliverWithCap } from '../person.js';
import { serviceUser } from '../services.js';
import type { Session } from '../session.js';
import type { User } from '../user.js';
import { userModeString } from './modes.js';
import type { CommandGroup } from './table.js';

export const queryCommands: CommandGroup = {
  WHO: { minParams: 0, handler: who },
  WHOIS: { minParams: 1, handler: whois },
  WHOWAS: { minParams: 1, handler: whowas },
  USERHOST: { minParams: 1, handler: userhost },
  ISON: { minParams: 1, handler: ison },
  AWAY: { minParams: 0, handler: away },
  SETNAME: { minParams: 1, handler: setname },
};

/** Users share a channel (visibility rule for invisible users and secret channels). */
function sharesChannel(a: User, b: User): boolean {
  const [small, other] = a.channels.size <= b.channels.size ? [a, b] : [b, a];
  for (const c of small.channels) if (c.members.has(other)) return true;
  return false;
}

// ------------------------------------------------------------------ WHO / WHOX

const WHOX_ORDER = 'tcuihsnfdlaor';

function who(s: Session, msg: IrcMessage): void {
  const server = s.server;
  const mask = msg.params[0] ?? '*';
  const opts = msg.params[1] ?? '';
  let whox: { fields: string; token: string } | null = null;
  const pct = opts.indexOf('%');
  if (pct !== -1) {
    const [fields, token] = opts.slice(pct + 1).split(',', 2) as [string, string | undefined];
    whox = { fields, token: (token ?? '').slice(0, 3) };
  }
  const operOnly = opts.slice(0, pct === -1 ? undefined : pct).includes('o');
  const reply = (u: User, channel: Channel | null): void => {
    if (operOnly && !u.isOper) return;
    if (whox === null) {
      s.numeric(
        N.RPL_WHOREPLY,
        channel?.name ?? '*',
        u.username,
        u.host,
        u.serverName,
        u.nick,
        whoFlags(s, u, channel),
        `0 ${u.realname}`,
      );
    } else {
      s.numeric(N.RPL_WHOSPCRPL, ...whoxFields(s, u, channel, whox.fields, whox.token));
    }
  };

  if (isChannelName(mask)) {
    const channel = server.directory.findChannel(foldCase(mask));
    if (channel !== undefined) {
      const member = channel.members.has(s);
      if (member || !channel.secret) {
        for (const u of channel.members.keys()) if (member || !u.invisible) reply(u, channel);
      }
    }
  } else {
    const exact = server.directory.findUser(foldCase(mask)) ?? serviceUser(server, foldCase(mask));
    if (exact?.registered) {
      reply(exact, null);
    } else {
      const all = mask === '*' || mask === '0' || mask === '';
      for (const u of server.directory.users()) {
        if (!u.registered) continue;
        if (u.invisible && u !== s.person && !s.isOper && !sharesChannel(s, u)) continue;
        if (
          all ||
          wildcardMatch(mask, u.nick) ||
          wildcardMatch(mask, u.username) ||
          wildcardMatch(mask, u.host) ||
          wildcardMatch(mask, u.realname) ||
          wildcardMatch(mask, u.serverName)
        ) {
          reply(u, null);
        }
      }
    }
  }
  s.numeric(N.RPL_ENDOFWHO, mask, 'End of WHO list');
}

function whoFlags(s: Session, u: User, channel: Channel | null): string {
  let flags = u.away === null ? 'H' : 'G';
  if (isBot(u)) flags += BOT_MODE; // IRCv3 bot-mode §WHO
  if (u.isOper) flags += '*';
  if (channel !== null) flags += channel.prefixOf(u, s.hasCap(Cap.multiPrefix));
  return flags;
}

function whoxFields(s: Session, u: User, channel: Channel | null, fields: string, token: string): string[] {
  const out: string[] = [];
  const privileged = s.person === u || s.isOper;
  for (const f of WHOX_ORDER) {
    if (!fields.includes(f)) continue;
    switch (f) {
      case 't':
        out.push(token || '0');
        break;
      case 'c':
        out.push(channel?.name ?? '*');
        break;
      case 'u':
        out.push(u.username);
        break;
      case 'i':
        out.push(privileged ? u.ip : '255.255.255.255');
        break;
      case 'h':
        out.push(u.host);
        break;
      case 's':
        out.push(u.serverName);
        break;
      case 'n':
        out.push(u.nick);
        break;
      case 'f':
        out.push(whoFlags(s, u, channel));
        break;
      case 'd':
        out.push('0');
        break;
      case 'l':
        out.push(String(Math.floor((Date.now() - u.idleSince) / 1000)));
        break;
      case 'a':
        out.push(u.account ?? '0');
        break;
      case 'o':
        out.push('n/a');
        break;
      case 'r':
        out.push(u.realname);
        break;
    }
  }
  // The realname is free text, so it must be the last (trailing) parameter; if it is not
  // requested, a non-empty last field is still sent as-is.
  if (out.length === 0) out.push('');
  return out;
}

// ------------------------------------------------------------------ WHOIS

function whois(s: Session, msg: IrcMessage): void {
  const server = s.server;
  const target = msg.params.length >= 2 ? msg.params[1]! : msg.params[0]!;
  const nick = target.split(',')[0]!;
  const u = server.directory.findUser(foldCase(nick)) ?? serviceUser(server, foldCase(nick));
  if (u === undefined || !u.registered) {
    s.numeric(N.ERR_NOSUCHNICK, nick, 'No such nick/channel');
    s.numeric(N.RPL_ENDOFWHOIS, nick, 'End of /WHOIS list');
    return;
  }
  const privileged = s.person === u || s.isOper;
  s.numeric(N.RPL_WHOISUSER, u.nick, u.username, u.host, '*', u.realname);
  const chans: string[] = [];
  for (const c of u.channels) {
    if (c.secret && !c.members.has(s) && !privileged) continue;
    chans.push(c.prefixOf(u, s.hasCap(Cap.multiPrefix)) + c.name);
  }
  if (chans.length > 0) s.numeric(N.RPL_WHOISCHANNELS, u.nick, chans.join(' '));
  // In a cluster the server info names the node the user is on (ours for local users).
  const node = u.node ?? server.network?.nodeName;
  const info = node === undefined ? server.config.networkName : `${server.config.networkName} (node ${node})`;
  s.numeric(N.RPL_WHOISSERVER, u.nick, u.serverName, info);
  if (u.away !== null) s.numeric(N.RPL_AWAY, u.nick, u.away);
  if (u.isOper) s.numeric(N.RPL_WHOISOPERATOR, u.nick, 'is an IRC operator');
  if (isBot(u)) s.numeric(N.RPL_WHOISBOT, u.nick, 'is a bot'); // IRCv3 bot-mode §WHOIS
  if (u.account !== null) s.numeric(N.RPL_WHOISACCOUNT, u.nick, u.account, 'is logged in as');
  if (u.secure) s.numeric(N.RPL_WHOISSECURE, u.nick, 'is using a secure connection');
  // draft/metadata-2 §RPL_WHOISKEYVALUE: the profile keys meant to be read (display name, status).
  const profile = server.metadata.ofUser(u);
  for (const key of WHOIS_KEYS) {
    const value = profile.get(key);
    if (value !== undefined) s.numeric(N.RPL_WHOISKEYVALUE, u.nick, key, VISIBLE, value);
  }
  // The certificate fingerprint only to the user themselves and operators.
  if (privileged && u.certFingerprint)
    s.numeric(N.RPL_WHOISCERTFP, u.nick, `has client certificate fingerprint ${u.certFingerprint}`);
  if (privileged) {
    s.numeric(N.RPL_WHOISHOST, u.nick, `is connecting from *@${u.host} ${u.ip}`);
    s.numeric(N.RPL_WHOISMODES, u.nick, `is using modes ${userModeString(u)}`);
  }
  s.numeric(
    N.RPL_WHOISIDLE,
    u.nick,
    String(Math.floor((Date.now() - u.idleSince) / 1000)),
    String(Math.floor(u.signonAt / 1000)),
    'seconds idle, signon time',
  );
  s.numeric(N.RPL_ENDOFWHOIS, u.nick, 'End of /WHOIS list');
}

// ------------------------------------------------------------------ WHOWAS

function whowas(s: Session, msg: IrcMessage): void {
  const nick = msg.params[0]!.split(',')[0]!;
  const count = Number.parseInt(msg.params[1] ?? '', 10);
  const entries = s.server.whowas.lookup(nick, Number.isFinite(count) && count > 0 ? count : 10);
  if (entries.length === 0) s.numeric(N.ERR_WASNOSUCHNICK, nick, 'There was no such nickname');
  for (const e of entries) {
    s.numeric(N.RPL_WHOWASUSER, e.nick, e.username, e.host, '*', e.realname);
    s.numeric(N.RPL_WHOISSERVER, e.nick, e.serverName, new Date(e.at).toUTCString());
  }
  s.numeric(N.RPL_ENDOFWHOWAS, nick, 'End of WHOWAS');
}

// ------------------------------------------------------------------ USERHOST / ISON

function userhost(s: Session, msg: IrcMessage): void {
  const replies: string[] = [];
  for (const nick of msg.params.slice(0, 5)) {
    const u = s.server.directory.findUser(foldCase(nick)) ?? serviceUser(s.server, foldCase(nick));
    if (u === undefined || !u.registered) continue;
    const host = s === u || s.isOper ? u.ip : u.host;
    replies.push(`${u.nick}${u.isOper ? '*' : ''}=${u.away === null ? '+' : '-'}${u.username}@${host}`);
  }
  s.numeric(N.RPL_USERHOST, replies.join(' '));
}

function ison(s: Session, msg: IrcMessage): void {
  const online: string[] = [];
  for (const param of msg.params) {
    for (const nick of param.split(' ')) {
      if (nick === '') continue;
      const u = s.server.directory.findUser(foldCase(nick)) ?? serviceUser(s.server, foldCase(nick));
      if (u?.registered) online.push(u.nick);
    }
  }
  s.numeric(N.RPL_ISON, online.join(' '));
}

// ------------------------------------------------------------------ AWAY / SETNAME

/**
 * Sends `out` once to every user sharing a channel with `s` who has `cap`: after a change to
 * `s` itself (away, real name, account), which the other nodes of a cluster learn here too.
 */
function toChannelPeers(s: Session, out: Outgoing, cap: number): void {
  s.server.network?.userChanged(s, out, cap);
  const seen = new Set<User>([s.person]);
  for (const c of s.channels) {
    for (const member of c.members.keys()) {
      if (seen.has(member) || !member.local) continue;
      seen.add(member);
      deliverWithCap(member, out, cap);
    }
  }
  s.server.monitors.notifyChange(s.nick, out, cap, seen);
}

function away(s: Session, msg: IrcMessage): void {
  const text = msg.params[0];
  // The person is away only when every one of its connections is (docs/PEOPLE.md): peers
  // hear of a change of the person's, not of one device's.
  const before = s.person.away;
  if (text === undefined || text === '') {
    s.away = null;
    s.numeric(N.RPL_UNAWAY, 'You are no longer marked as being away');
  } else {
    s.away = ownCopy(text.slice(0, s.server.config.awayLen)); // kept: not a view of the line
    s.numeric(N.RPL_NOWAWAY, 'You have been marked as being away');
  }
  const after = s.person.away;
  if (after === before) return;
  toChannelPeers(
    s,
    new Outgoing(s.mask, 'AWAY', after === null ? [] : [after], serverTimeNow(), null, s.account),
    Cap.awayNotify,
  );
}

function setname(s: Session, msg: IrcMessage): void {
  const realname = msg.params[0]!;
  if (realname === '' || realname.length > s.server.config.realnameLen) {
    s.sendFail('SETNAME', 'INVALID_REALNAME', 'Realname is empty or too long');
    return;
  }
  s.realname = ownCopy(realname); // kept: not a view of the line
  const out = new Outgoing(s.mask, 'SETNAME', [realname], serverTimeNow(), null, s.account);
  toChannelPeers(s, out, Cap.setname);
  if (s.hasCap(Cap.setname)) s.deliver(out);
}

export { toChannelPeers };
