/**
 * Connection registration (modern client protocol docs "Connection Registration";
 * IRCv3 capability negotiation 3.2): CAP, PASS, NICK, USER, PING, PONG, QUIT.
 */
import { timingSafeEqual } from 'node:crypto';
import { foldCase } from '../../protocol/casemapping.js';
import { isValidNick, sanitizeUsername } from '../../protocol/names.js';
import * as N from '../../protocol/numerics.js';
import { nickChanged as alwaysOnNickChanged } from '../always-on.js';
import { attachIfPresent } from '../attach.js';
import { CAPABILITIES, Cap, findCap, offeredCaps } from '../caps.js';
import { sendOwnMetadata } from '../metadata.js';
import { Outgoing } from '../outgoing.js';
import { ownCopy } from '../own-copy.js';
import type { Session } from '../session.js';
import { State } from '../session.js';
import type { User } from '../user.js';
import { sendWelcome } from '../welcome.js';
import type { CommandGroup } from './table.js';

export const registrationCommands: CommandGroup = {
  CAP: { minParams: 1, preRegistration: true, handler: cap },
  PASS: { minParams: 1, preRegistration: true, handler: pass },
  NICK: { minParams: 0, preRegistration: true, handler: nick },
  USER: { minParams: 4, preRegistration: true, handler: user },
  PING: { minParams: 1, preRegistration: true, handler: ping },
  PONG: { minParams: 0, preRegistration: true, handler: () => {} },
  QUIT: { minParams: 0, preRegistration: true, handler: quit },
};

// ------------------------------------------------------------------ CAP

function cap(s: Session, msg: { params: string[] }): void {
  const sub = msg.params[0]!.toUpperCase();
  const target = s.registered ? s.nick : '*';
  switch (sub) {
    case 'LS': {
      if (!s.registered) s.capNegotiating = true;
      const version = Number.parseInt(msg.params[1] ?? '0', 10) || 0;
      if (version > s.capVersion) s.capVersion = version;
      // cap-notify is implied by CAP LS 302 (capability-negotiation §cap-notify).
      if (s.capVersion >= 302) s.caps |= Cap.capNotify;
      sendCapList(s, target, 'LS', capListing(s, s.capVersion >= 302));
      return;
    }
    case 'LIST': {
      const enabled = CAPABILITIES.filter((c) => s.hasCap(c.bit)).map((c) => c.name);
      s.reply('CAP', [target, 'LIST', enabled.join(' ')]);
      return;
    }
    case 'REQ': {
      if (!s.registered) s.capNegotiating = true;
      const requested = (msg.params[1] ?? '').trim();
      let add = 0;
      let remove = 0;
      let ok = requested !== '';
      for (const item of requested.split(' ')) {
        if (item === '') continue;
        const off = item.startsWith('-');
        const def = findCap(off ? item.slice(1) : item, s.server);
        if (def === undefined || (off && def.bit === Cap.capNotify && s.capVersion >= 302)) {
          ok = false;
          break;
        }
        if (off) remove |= def.bit;
        else add |= def.bit;
      }
      if (!ok) {
        s.reply('CAP', [target, 'NAK', requested]);
        return;
      }
      s.caps = (s.caps | add) & ~remove;
      s.reply('CAP', [target, 'ACK', requested]);
      if (s.registered) s.server.network?.userChanged(s);
      return;
    }
    case 'END':
      if (!s.registered) {
        s.capNegotiating = false;
        tryRegister(s);
      }
      return;
    default:
      s.numeric(N.ERR_INVALIDCAPCMD, sub, 'Invalid CAP command');
  }
}

function capListing(s: Session, withValues: boolean): string[] {
  return offeredCaps(s.server).map((c) => {
    const value = withValues ? c.value(s.server, s) : null;
    return value === null ? c.name : `${c.name}=${value}`;
  });
}

/** Splits a long capability list over several lines with the `*` continuation marker. */
function sendCapList(s: Session, target: string, sub: string, caps: string[]): void {
  const lines: string[] = [];
  let current = '';
  for (const c of caps) {
    if (current.length + c.length + 1 > 400) {
      lines.push(current);
      current = c;
    } else current = current === '' ? c : `${current} ${c}`;
  }
  lines.push(current);
  lines.forEach((line, i) => {
    const more = i < lines.length - 1 && s.capVersion >= 302;
    s.reply('CAP', more ? [target, sub, '*', line] : [target, sub, line]);
  });
}

// ------------------------------------------------------------------ PASS / NICK / USER

function pass(s: Session, msg: { params: string[] }): void {
  if (s.registered) {
    s.numeric(N.ERR_ALREADYREGISTERED, 'You may not reregister');
    return;
  }
  s.password = msg.params[0]!;
}

function nick(s: Session, msg: { params: string[] }): void {
  const given = msg.params[0];
  if (given === undefined || given === '') {
    s.numeric(N.ERR_NONICKNAMEGIVEN, 'No nickname given');
    return;
  }
  const server = s.server;
  if (!isValidNick(given, server.config.nickLen)) {
    s.numeric(N.ERR_ERRONEUSNICKNAME, given, 'Erroneous nickname');
    return;
  }
  // Kept for the whole connection (and as the directory's key): not a view of the line.
  const wanted = ownCopy(given);
  if (wanted === s.nick) return;
  const folded = foldCase(wanted);
  if (server.services.has(folded)) {
    s.numeric(N.ERR_ERRONEUSNICKNAME, wanted, 'Nickname is reserved for a service');
    return;
  }
  if (s.registered) {
    // A registered nick is only for its account (docs/PERMISSIONS.md): the check may need the store.
    const allowed = server.accountHooks?.nickAllowed(s, wanted, folded) ?? null;
    if (allowed !== null) {
      let ok = false;
      s.deferUntil(
        allowed.then((v) => {
          ok = v;
        }),
        () => {
          if (ok && s.registered && s.nick !== wanted) changeNick(s, wanted, folded);
        },
        (err) =>
          server.log.error({ event: 'client.nick_check_failed', err: String(err) }, 'nick check failed'),
        true,
      );
      return;
    }
  }
  changeNick(s, wanted, folded);
}

function changeNick(s: Session, wanted: string, folded: string): void {
  const server = s.server;
  if (!server.directory.claimNick(folded, s)) {
    const holder = server.directory.findUser(folded);
    if (s.registered || holder === undefined || holder.account === null || !holder.registered) {
      s.numeric(N.ERR_NICKNAMEINUSE, wanted, 'Nickname is already in use');
      return;
    }
    // Someone's account nick, before registration: the login (SASL, PASS) decides whether
    // this connection is that person's next device (docs/PEOPLE.md); tryRegister settles it.
    if (s.folded !== '' && !s.nickHeld) server.directory.releaseNick(s.folded, s);
    s.nick = wanted;
    s.folded = folded;
    s.nickHeld = true;
    tryRegister(s);
    return;
  }
  if (!s.registered) s.nickHeld = false;
  const oldNick = s.nick;
  const oldFolded = s.folded;
  const oldMask = s.mask;
  if (oldFolded !== '' && oldFolded !== folded) server.directory.releaseNick(oldFolded, s);
  s.nickHeld = false;
  s.nick = wanted;
  s.folded = folded;
  if (!s.registered) {
    tryRegister(s);
    return;
  }
  // Everyone who shares a channel sees the change once, and so does the user (every device).
  // account-tag: every message a logged-in user causes carries its account.
  const change = new Outgoing(oldMask, 'NICK', [wanted], null, null, s.account);
  const seen = new Set<User>([s.person]);
  s.person.deliver(change);
  server.network?.userNick(s, oldNick, change);
  for (const channel of s.channels) {
    for (const member of channel.members.keys()) {
      if (seen.has(member) || !member.local) continue;
      seen.add(member);
      member.deliver(change);
    }
  }
  server.whowas.record(s, oldNick);
  alwaysOnNickChanged(server, s.person);
  if (oldFolded !== folded) {
    server.monitors.notifyOffline(oldNick);
    server.monitors.notifyOnline(wanted, s.mask);
  }
  server.log.info(
    { event: 'client.nick', from: oldNick, to: wanted },
    `Client: ${oldNick} is now known as ${wanted}`,
  );
  if (oldFolded !== folded) server.accountHooks?.nickSettled(s);
}

function user(s: Session, msg: { params: string[] }): void {
  if (s.registered || s.userGiven) {
    s.numeric(N.ERR_ALREADYREGISTERED, 'You may not reregister');
    return;
  }
  const c = s.server.config;
  // modern.ircdocs.horse §USER: an empty user name or real name is ERR_NEEDMOREPARAMS. A
  // user name with nothing usable in it (all emoji, say) is not the client's error: it
  // registers as "user" rather than leaving the client stuck before the welcome.
  if (msg.params[0] === '' || msg.params[3] === '') {
    s.numeric(N.ERR_NEEDMOREPARAMS, 'USER', 'Not enough parameters');
    return;
  }
  const username = sanitizeUsername(msg.params[0]!, c.userLen) ?? 'user';
  // No ident lookup is done, so the name is marked unverified with '~' as servers do.
  // Copies, not views of the USER line: they are kept for the whole connection.
  s.username = ownCopy(('~' + username).slice(0, c.userLen));
  s.realname = ownCopy(msg.params[3]!.slice(0, c.realnameLen));
  s.userGiven = true;
  tryRegister(s);
}

/** Completes registration once NICK and USER are in and CAP negotiation (if any) ended. */
export function tryRegister(s: Session): void {
  if (
    s.state !== State.Registering ||
    s.folded === '' ||
    !s.userGiven ||
    s.capNegotiating ||
    s.loginPending
  ) {
    return;
  }
  const server = s.server;
  // In a cluster, a node still receiving the network's state cannot know every nick in use.
  if (server.network !== null && !server.network.synced) {
    server.network.whenSynced(() => tryRegister(s));
    return;
  }
  const required = server.config.serverPassword;
  if (required !== null && !passwordMatches(s.password, required)) {
    s.numeric(N.ERR_PASSWDMISMATCH, 'Password incorrect');
    server.disconnect(s, 'Bad password');
    return;
  }
  const hooks = server.accountHooks;
  if (required === null && s.password !== null && s.account === null && hooks !== null) {
    // PASS account:password (what irssi and WeeChat users set as the server password).
    const given = s.password;
    s.password = null;
    s.loginPending = true;
    void hooks.passLogin(s, given).then((ok) => {
      s.loginPending = false;
      if (s.state !== State.Registering) return;
      if (!ok) {
        s.numeric(N.ERR_PASSWDMISMATCH, 'Password incorrect (PASS account:password)');
        server.disconnect(s, 'Bad account password');
        return;
      }
      tryRegister(s);
    });
    return;
  }
  // In a cluster the account's person may be on another node: this connection then becomes
  // a relay to that node (cluster/relay-connection.ts), or registers here if it does not answer.
  if (
    s.account !== null &&
    server.network?.relayToHolder !== undefined &&
    !server.people.has(foldCase(s.account))
  ) {
    hooks?.beforeWelcome(s);
    if (server.network.relayToHolder(s, () => tryRegister(s))) return;
  }
  // A device of a person already here takes that person's nick: no nick check applies.
  if (s.account !== null && server.people.has(foldCase(s.account))) {
    hooks?.beforeWelcome(s);
    s.password = null;
    if (attachIfPresent(s)) return;
  }
  // A registered nick asked for without logging in becomes a guest nick before the welcome,
  // so nobody ever sees this connection under it (the store may have to be asked first).
  const admission = hooks?.admitNick(s) ?? null;
  if (admission !== null) {
    s.deferUntil(
      admission,
      () => tryRegister(s),
      (err) => {
        server.log.error({ event: 'client.nick_check_failed', err: String(err) }, 'nick check failed');
        server.disconnect(s, 'Server problem, please try again');
      },
      true,
    );
    return;
  }
  hooks?.beforeWelcome(s);
  s.password = null;
  if (attachIfPresent(s)) return;
  if (s.nickHeld) {
    // Not that person's device after all: the nick is theirs.
    if (!server.directory.claimNick(s.folded, s)) {
      s.numeric(N.ERR_NICKNAMEINUSE, s.nick, 'Nickname is already in use');
      s.nick = '*';
      s.folded = '';
      s.nickHeld = false;
      return;
    }
    s.nickHeld = false;
  }
  s.state = State.Registered;
  server.census.connections++;
  s.person.enterCensus();
  server.adoptPerson(s.person);
  server.maxUsers = Math.max(server.maxUsers, server.census.users);
  server.network?.userRegistered(s);
  sendWelcome(server, s);
  void sendOwnMetadata(s);
  server.monitors.notifyOnline(s.nick, s.mask);
  server.log.info(
    { event: 'client.connected', nick: s.nick, ip: s.ip, transport: s.transport.kind },
    `Client: ${s.nick} connected!`,
  );
  hooks?.nickSettled(s);
}

function passwordMatches(given: string | null, required: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(required);
  return a.length === b.length && timingSafeEqual(a, b);
}

// ------------------------------------------------------------------ PING / QUIT

function ping(s: Session, msg: { params: string[] }): void {
  s.reply('PONG', [s.server.config.serverName, msg.params[0]!]);
}

function quit(s: Session, msg: { params: string[] }): void {
  const reason = msg.params[0];
  s.server.disconnect(s, reason ? `Quit: ${reason.slice(0, s.server.config.kickLen)}` : 'Client Quit');
}
