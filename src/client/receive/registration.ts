/**
 * Receiving: registration, capability negotiation (CAP LS 302), SASL PLAIN, the welcome and
 * ISUPPORT, refused nicks; and what follows the welcome (profile subscription, rejoining
 * rooms and catching up after a reconnection).
 */
import type { IrcMessage } from '../../protocol/message.js';
import { catchUp } from '../history.js';
import { CLIENT_CAPS } from '../options.js';
import { PROFILE_KEYS } from '../profiles.js';
import { base64Utf8, fold, isChannel } from '../text.js';
import { type Handlers, NICK_PROBE, type Receiver } from './context.js';

/** PING: answered at once. */
function onPing(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  r.client.send('PONG', ...p);
}

/** PONG: the nick probe came back without a refusal, so USER can go (see proposeNick). */
function onPong(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  if (p.at(-1) === NICK_PROBE && !r.state.userSent && !r.state.nickRefused) r.sendUser();
}

/** AUTHENTICATE +: the server waits for our SASL PLAIN credentials. */
function onAuthenticate(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  if (p[0] === '+') {
    const account = r.opts.account ?? r.opts.nick;
    const token = base64Utf8(`${account}\0${account}\0${r.opts.password ?? ''}`);
    for (let i = 0; i < token.length; i += 400) r.client.send('AUTHENTICATE', token.slice(i, i + 400));
    if (token.length % 400 === 0) r.client.send('AUTHENTICATE', '+');
  }
}

/** 903 RPL_SASLSUCCESS, 907 ERR_SASLALREADY: capability negotiation can end. */
function onSaslDone(r: Receiver): void {
  endCap(r);
}

/** 902, 904-906: SASL failed; registration goes on without an account. */
function onSaslFailed(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  r.emit('error', {
    message: p.at(-1) ?? 'SASL authentication failed',
    command: msg.command,
    params: p,
  });
  endCap(r);
}

/** 001 RPL_WELCOME: registered, under the nick the server names. */
function onWelcome(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  r.client.registered = true;
  r.client.currentNick = p[0] ?? r.client.currentNick;
  r.emit('info', { command: msg.command, text: p.at(-1) ?? '', params: p });
}

/** 376 RPL_ENDOFMOTD, 422 ERR_NOMOTD: the welcome is over. */
function onMotdEnd(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  r.emit('info', { command: msg.command, text: p.at(-1) ?? '', params: p });
  onWelcomeDone(r);
}

function onIsupport(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  // RPL_ISUPPORT: KEY=value tokens between the nick and the trailing text.
  for (const token of p.slice(1, -1)) {
    const eq = token.indexOf('=');
    if (token.startsWith('-')) r.client.isupport.delete(token.slice(1));
    else if (eq === -1) r.client.isupport.set(token, '');
    else r.client.isupport.set(token.slice(0, eq), token.slice(eq + 1));
  }
}

/** 432 ERR_ERRONEUSNICKNAME, 433 ERR_NICKNAMEINUSE, 436 ERR_NICKCOLLISION. */
function onNickRefused(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  const nick = p[1] ?? r.client.currentNick;
  const reason = msg.command === '432' ? 'invalid' : 'in-use';
  if (!r.client.registered) r.state.nickRefused = true;
  if (!r.client.registered && r.state.everRegistered) {
    // Reconnecting while our old session still holds the nick: take a variant.
    r.client.currentNick = `${r.opts.nick.slice(0, 28)}_${Math.floor(Math.random() * 100)}`;
    r.proposeNick(r.client.currentNick);
    return;
  }
  if (!r.client.registered && r.client.listenerCount('nickInUse') === 0) {
    r.client.currentNick = `${nick}_`;
    r.proposeNick(r.client.currentNick);
    return;
  }
  r.emit('nickInUse', { nick, reason, registered: r.client.registered });
}

export function onCap(r: Receiver, p: string[]): void {
  const sub = (p[1] ?? '').toUpperCase();
  if (sub === 'LS') {
    const more = p[2] === '*';
    for (const item of (more ? p[3] : p[2])?.split(' ') ?? []) {
      if (item === '') continue;
      const eq = item.indexOf('=');
      r.state.offered.set(eq === -1 ? item : item.slice(0, eq), eq === -1 ? null : item.slice(eq + 1));
    }
    if (more) return;
    const want = (r.opts.caps ?? [...CLIENT_CAPS]).filter(
      (c) => r.state.offered.has(c) && (c !== 'sasl' || r.opts.password !== undefined),
    );
    if (want.length === 0) endCap(r);
    else r.client.send('CAP', 'REQ', want.join(' '));
    return;
  }
  if (sub === 'ACK') {
    for (const c of (p[2] ?? '').split(' ')) {
      if (c === '') continue;
      if (c.startsWith('-')) r.client.caps.delete(c.slice(1));
      else r.client.caps.add(c);
    }
    if (r.state.capEnded) return;
    if (r.client.caps.has('sasl') && r.opts.password !== undefined) r.client.send('AUTHENTICATE', 'PLAIN');
    else endCap(r);
    return;
  }
  if (sub === 'NAK') {
    if (!r.state.capEnded) endCap(r);
  }
}

export function endCap(r: Receiver): void {
  if (r.state.capEnded) return;
  r.state.capEnded = true;
  r.client.send('CAP', 'END');
}

export function onWelcomeDone(r: Receiver): void {
  if (r.state.welcomed) return; // a later MOTD command ends with 376 too
  r.state.welcomed = true;
  const reconnecting = r.state.everRegistered;
  r.state.everRegistered = true;
  r.state.attempt = 0;
  // Before any JOIN, so each room's profiles come with it (metadata §Concepts).
  if (r.client.caps.has('draft/metadata-2'))
    r.client.send('METADATA', '*', 'SUB', ...Object.values(PROFILE_KEYS));
  r.emit('registered', { nick: r.client.currentNick });
  if (r.state.connectWaiter) {
    r.state.connectWaiter.resolve();
    r.state.connectWaiter = null;
  }
  if (reconnecting) {
    const rooms = [...r.state.wanted.values()];
    for (const room of rooms) {
      if (r.state.lastMsgid.has(fold(room))) r.state.pendingCatchUp.add(fold(room));
      r.client.send('JOIN', room);
    }
    // Private conversations need no JOIN: catch them up now (the server keeps them by
    // account, so this finds what was missed when logged in with a password).
    for (const conversation of r.state.lastMsgid.keys()) {
      if (!isChannel(conversation)) catchUp(r, conversation);
    }
    r.emit('reconnected', { nick: r.client.currentNick });
  }
}

/** The commands handled here (receive/index.ts dispatches on them). */
export const registrationHandlers: Handlers = {
  PING: onPing,
  PONG: onPong,
  CAP: (r, msg) => onCap(r, msg.params),
  AUTHENTICATE: onAuthenticate,
  '903': onSaslDone,
  '907': onSaslDone,
  '902': onSaslFailed,
  '904': onSaslFailed,
  '905': onSaslFailed,
  '906': onSaslFailed,
  '001': onWelcome,
  '376': onMotdEnd,
  '422': onMotdEnd,
  '005': onIsupport,
  '432': onNickRefused,
  '433': onNickRefused,
  '436': onNickRefused,
};
