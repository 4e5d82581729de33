/**
 * Receiving: the account (logged in or out, REGISTER), its sessions (SESSIONS) and
 * profiles (draft/metadata-2, kept in profiles.ts).
 */
import type { IrcMessage } from '../../protocol/message.js';
import type { Handlers, Receiver } from './context.js';

/** METADATA, 761 RPL_KEYVALUE, 766 RPL_KEYNOTSET (draft/metadata-2): profiles. */
function onMetadata(r: Receiver, msg: IrcMessage): void {
  const change = r.profiles.handle(msg);
  if (change !== null) r.emit('profile', change);
}

function onLoggedIn(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  // RPL_LOGGEDIN <nick> <mask> <account> :text
  r.client.account = p[2] ?? null;
}

/** 901 RPL_LOGGEDOUT. */
function onLoggedOut(r: Receiver): void {
  r.client.account = null;
}

function onRegister(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  // draft/account-registration: REGISTER SUCCESS <account> :message logs us in.
  if (p[0] === 'SUCCESS') {
    r.client.account = p[1] ?? null;
    const waiter = r.state.registerWaiter;
    r.state.registerWaiter = null;
    if (waiter) {
      r.opts.account = waiter.account;
      r.opts.password = waiter.password;
      waiter.resolve();
    }
  }
}

/** SESSIONS replies (sessions.ts): a listing, the always-on switch, an ended session. */
function onSessions(r: Receiver, msg: IrcMessage): void {
  const event = r.sessionsReader.read(msg);
  if (event?.kind === 'list') r.emit('sessions', event.list);
  else if (event?.kind === 'alwaysOn') r.emit('alwaysOn', { state: event.state });
  else if (event?.kind === 'ended') r.emit('sessionEnded', { id: event.id });
}

/** The commands handled here (receive/index.ts dispatches on them). */
export const accountHandlers: Handlers = {
  METADATA: onMetadata,
  '761': onMetadata,
  '766': onMetadata,
  '900': onLoggedIn,
  '901': onLoggedOut,
  REGISTER: onRegister,
  SESSIONS: onSessions,
};
