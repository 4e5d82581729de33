/**
 * MODE (RFC 2812 §3.1.5 user modes, §3.2.3 channel modes; the modern client protocol docs'
 * CHANMODES types). Channel modes: b e I (lists, with extbans: channel-access.ts), k (always
 * a parameter), l (parameter when set), C i m n s t (flags), o v (prefixes). User modes: i,
 * w, o (o can only be removed), B (IRCv3 bot-mode).
 */
import { foldCase } from '../../protocol/casemapping.js';
import type { IrcMessage } from '../../protocol/message.js';
import { isChannelName } from '../../protocol/names.js';
import * as N from '../../protocol/numerics.js';
import { BOT_MODE, isBot, setBot } from '../bot-mode.js';
import type { Channel, ListEntry } from '../channel.js';
import { OP, VOICE } from '../channel.js';
import { listMask } from '../channel-access.js';
import { Outgoing, serverTimeNow } from '../outgoing.js';
import type { Session } from '../session.js';
import type { CommandGroup } from './table.js';

export const modeCommands: CommandGroup = {
  MODE: { minParams: 1, handler: mode },
};

function mode(s: Session, msg: IrcMessage): void {
  const target = msg.params[0]!;
  if (isChannelName(target)) channelMode(s, msg, target);
  else userMode(s, msg, target);
}

// ------------------------------------------------------------------ user modes

function userMode(s: Session, msg: IrcMessage, target: string): void {
  if (foldCase(target) !== s.folded) {
    const exists = s.server.directory.findUser(foldCase(target));
    if (exists === undefined) s.numeric(N.ERR_NOSUCHNICK, target, 'No such nick/channel');
    else s.numeric(N.ERR_USERSDONTMATCH, "Can't change mode for other users");
    return;
  }
  const changes = msg.params[1];
  if (changes === undefined) {
    s.numeric(N.RPL_UMODEIS, userModeString(s));
    return;
  }
  let adding = true;
  let applied = '';
  let lastSign = '';
  let unknown = false;
  for (const c of changes) {
    if (c === '+' || c === '-') {
      adding = c === '+';
      continue;
    }
    let changed = false;
    if (c === 'i' && s.invisible !== adding) {
      s.invisible = adding;
      changed = true;
    } else if (c === 'w' && s.wallops !== adding) {
      s.wallops = adding;
      changed = true;
    } else if (c === 'o') {
      // +o only through OPER; -o drops operator status.
      if (!adding && s.isOper) {
        s.isOper = false;
        s.operName = null;
        changed = true;
      }
    } else if (c === BOT_MODE) {
      changed = setBot(s, adding); // IRCv3 bot-mode: anyone may mark themselves a bot
    } else if (c !== 'i' && c !== 'w') unknown = true;
    if (changed) {
      const sign = adding ? '+' : '-';
      if (sign !== lastSign) applied += sign;
      lastSign = sign;
      applied += c;
    }
  }
  if (unknown) s.numeric(N.ERR_UMODEUNKNOWNFLAG, 'Unknown MODE flag');
  if (applied !== '') {
    s.server.network?.userChanged(s);
    s.deliver(new Outgoing(s.mask, 'MODE', [s.nick, applied]));
  }
}

export function userModeString(u: { invisible: boolean; wallops: boolean; isOper: boolean }): string {
  return (
    '+' +
    (isBot(u) ? BOT_MODE : '') +
    (u.invisible ? 'i' : '') +
    (u.isOper ? 'o' : '') +
    (u.wallops ? 'w' : '')
  );
}

// ------------------------------------------------------------------ channel modes

function channelMode(s: Session, msg: IrcMessage, name: string): void {
  const server = s.server;
  const channel = server.directory.findChannel(foldCase(name));
  if (channel === undefined) {
    s.numeric(N.ERR_NOSUCHCHANNEL, name, 'No such channel');
    return;
  }
  const changes = msg.params[1];
  if (changes === undefined) {
    s.numeric(N.RPL_CHANNELMODEIS, channel.name, ...channel.modeString(channel.members.has(s)));
    s.numeric(N.RPL_CREATIONTIME, channel.name, String(Math.floor(channel.createdAt / 1000)));
    return;
  }
  const args = msg.params.slice(2);
  // A bare list query (`MODE #c b` / `+e` / `I`) needs no privileges.
  if (/^[+]?[beI]$/.test(changes) && args.length === 0) {
    sendList(s, channel, changes.at(-1)!);
    return;
  }
  const isOp = channel.isOp(s) || s.isOper;
  let adding = true;
  let applied = '';
  let lastSign = '';
  const appliedArgs: string[] = [];
  let paramChanges = 0;
  let deniedReported = false;
  const deny = (): void => {
    if (!deniedReported) {
      s.numeric(
        channel.members.has(s) ? N.ERR_CHANOPRIVSNEEDED : N.ERR_NOTONCHANNEL,
        channel.name,
        channel.members.has(s) ? "You're not channel operator" : "You're not on that channel",
      );
      deniedReported = true;
    }
  };
  const record = (c: string, arg?: string): void => {
    const sign = adding ? '+' : '-';
    if (sign !== lastSign) applied += sign;
    lastSign = sign;
    applied += c;
    if (arg !== undefined) appliedArgs.push(arg);
  };

  for (const c of changes) {
    if (c === '+' || c === '-') {
      adding = c === '+';
      continue;
    }
    switch (c) {
      case 'C':
      case 'i':
      case 'm':
      case 'n':
      case 's':
      case 't': {
        if (!isOp) {
          deny();
          continue;
        }
        const key = (
          {
            C: 'noCtcp',
            i: 'inviteOnly',
            m: 'moderated',
            n: 'noExternal',
            s: 'secret',
            t: 'topicLocked',
          } as const
        )[c];
        if (channel[key] !== adding) {
          channel[key] = adding;
          record(c);
        }
        continue;
      }
      case 'o':
      case 'v':
      case 'b':
      case 'e':
      case 'I':
      case 'k':
      case 'l': {
        const needsArg = c !== 'l' || adding;
        const arg = needsArg ? args.shift() : undefined;
        if (needsArg && (arg === undefined || arg === '')) {
          if (c === 'b' || c === 'e' || c === 'I') sendList(s, channel, c);
          // modern.ircdocs.horse §ERR_INVALIDMODEPARAM (696): a parameter given but empty
          // is an invalid value, not a missing one.
          else if (arg === '' && (c === 'k' || c === 'l') && adding)
            s.numeric(
              N.ERR_INVALIDMODEPARAM,
              channel.name,
              c,
              '*',
              `The ${c === 'k' ? 'key' : 'limit'} cannot be empty`,
            );
          else if (c !== 'k' || adding) s.numeric(N.ERR_NEEDMOREPARAMS, 'MODE', 'Not enough parameters');
          continue;
        }
        if (!isOp) {
          deny();
          continue;
        }
        if (++paramChanges > server.config.maxModes) continue;
        applyParamMode(s, channel, c, adding, arg, record);
        continue;
      }
      default:
        s.numeric(N.ERR_UNKNOWNMODE, c, 'is unknown mode char to me');
    }
  }
  if (applied === '') return;
  server.channelHooks?.changed(channel);
  const out = new Outgoing(
    s.mask,
    'MODE',
    [channel.name, applied, ...appliedArgs],
    serverTimeNow(),
    null,
    s.account,
  );
  channel.broadcast(out);
  if (!channel.members.has(s)) s.deliver(out);
}

function applyParamMode(
  s: Session,
  channel: Channel,
  c: string,
  adding: boolean,
  arg: string | undefined,
  record: (c: string, arg?: string) => void,
): void {
  const server = s.server;
  switch (c) {
    case 'o':
    case 'v': {
      const target = server.directory.findUser(foldCase(arg!));
      if (target === undefined) {
        s.numeric(N.ERR_NOSUCHNICK, arg!, 'No such nick/channel');
        return;
      }
      const bits = channel.members.get(target);
      if (bits === undefined) {
        s.numeric(N.ERR_USERNOTINCHANNEL, target.nick, channel.name, "They aren't on that channel");
        return;
      }
      const bit = c === 'o' ? OP : VOICE;
      const next = adding ? bits | bit : bits & ~bit;
      if (next !== bits) {
        channel.members.set(target, next);
        record(c, target.nick);
      }
      return;
    }
    case 'b':
    case 'e':
    case 'I': {
      const list = listOf(channel, c);
      // Extended bans (EXTBAN=,am): a:<account>, m:<mask>; a mute only means something in +b.
      const mask = listMask(arg!);
      if (mask === null || (c !== 'b' && mask.startsWith('m:'))) {
        s.numeric(N.ERR_INVALIDMODEPARAM, channel.name, c, arg!, 'Unknown or invalid extended ban');
        return;
      }
      const index = list.findIndex((b) => foldCase(b.mask) === foldCase(mask));
      if (adding) {
        if (index !== -1) return;
        if (list.length >= server.config.maxBans) {
          s.numeric(N.ERR_BANLISTFULL, channel.name, mask, 'Channel list is full');
          return;
        }
        list.push({ mask, setBy: s.mask, setAt: Date.now() });
        record(c, mask);
      } else if (index !== -1) {
        list.splice(index, 1);
        record(c, mask);
      }
      return;
    }
    case 'k': {
      if (adding) {
        if (/[\s,:]/.test(arg!) || arg!.length > 23) {
          s.numeric(N.ERR_INVALIDKEY, channel.name, 'Key is not well-formed');
          return;
        }
        channel.key = arg!;
        record('k', arg!);
      } else if (channel.key !== null) {
        channel.key = null;
        record('k', '*');
      }
      return;
    }
    case 'l': {
      if (adding) {
        const n = Number.parseInt(arg!, 10);
        if (!Number.isFinite(n) || n <= 0 || String(n) !== arg!.trim()) {
          s.numeric(
            N.ERR_INVALIDMODEPARAM,
            channel.name,
            'l',
            arg!,
            'Invalid limit: a positive number is required',
          );
          return;
        }
        if (channel.limit !== n) {
          channel.limit = n;
          record('l', String(n));
        }
      } else if (channel.limit !== null) {
        channel.limit = null;
        record('l');
      }
      return;
    }
  }
}

function listOf(channel: Channel, c: string): ListEntry[] {
  return c === 'e' ? channel.exceptions : c === 'I' ? channel.inviteExceptions : channel.bans;
}

/** +b (367/368), +e (348/349) or +I (346/347), as modern.ircdocs.horse names them. */
function sendList(s: Session, channel: Channel, c: string): void {
  const [item, end, what] =
    c === 'e'
      ? [N.RPL_EXCEPTLIST, N.RPL_ENDOFEXCEPTLIST, 'End of channel exception list']
      : c === 'I'
        ? [N.RPL_INVEXLIST, N.RPL_ENDOFINVEXLIST, 'End of channel invite exception list']
        : [N.RPL_BANLIST, N.RPL_ENDOFBANLIST, 'End of channel ban list'];
  for (const b of listOf(channel, c)) {
    s.numeric(item, channel.name, b.mask, b.setBy, String(Math.floor(b.setAt / 1000)));
  }
  s.numeric(end, channel.name, what);
}
