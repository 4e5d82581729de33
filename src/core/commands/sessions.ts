/**
 * SESSIONS: a person's own connections, for clients to show and end them (tertulia's own
 * command; NickServ SESSIONS says the same in words, for people at an IRC client).
 *
 *   SESSIONS [LIST]            → SESSIONS ALWAYS-ON <on|off|unavailable>
 *                                SESSIONS ITEM <id> <address> <since> <this|other> :<client>  (each)
 *                                SESSIONS ENDOFLIST
 *   SESSIONS END <id>          → SESSIONS ENDED <id>, and that connection is closed
 *   SESSIONS ALWAYS-ON ON|OFF  → SESSIONS ALWAYS-ON <on|off> (the account's switch, stored)
 *
 * `since` is an ISO 8601 time as server-time writes it. Errors are standard replies
 * (https://ircv3.net/specs/extensions/standard-replies): FAIL SESSIONS ACCOUNT_REQUIRED
 * (guests have one session and no always-on), NO_SUCH_SESSION, UNAVAILABLE, INVALID_PARAMS.
 */
import type { IrcMessage } from '../../protocol/message.js';
import { setAccountAlwaysOn } from '../always-on.js';
import { endSession, sessionsOf } from '../own-sessions.js';
import type { Session } from '../session.js';
import type { CommandGroup } from './table.js';

export const sessionCommands: CommandGroup = {
  SESSIONS: { minParams: 0, handler: sessions },
};

function sessions(s: Session, msg: IrcMessage): void {
  const sub = (msg.params[0] ?? 'LIST').toUpperCase();
  if (s.account === null) {
    s.sendFail('SESSIONS', 'ACCOUNT_REQUIRED', 'Log in to an account to see and end its sessions');
    return;
  }
  if (sub === 'LIST') {
    list(s);
    return;
  }
  if (sub === 'END') {
    const id = Number(msg.params[1] ?? '');
    if (!Number.isSafeInteger(id) || !endSession(s, id)) {
      s.sendFail('SESSIONS', 'NO_SUCH_SESSION', 'You have no session with that id', msg.params[1] ?? '*');
      return;
    }
    s.reply('SESSIONS', ['ENDED', String(id)]);
    return;
  }
  if (sub === 'ALWAYS-ON') {
    alwaysOn(s, (msg.params[1] ?? '').toUpperCase());
    return;
  }
  s.sendFail('SESSIONS', 'INVALID_PARAMS', 'SESSIONS LIST, END <id> or ALWAYS-ON ON|OFF', sub);
}

function list(s: Session): void {
  s.reply('SESSIONS', ['ALWAYS-ON', alwaysOnState(s)]);
  for (const item of sessionsOf(s)) {
    s.reply('SESSIONS', [
      'ITEM',
      String(item.id),
      item.address,
      new Date(item.since).toISOString(),
      item.current ? 'this' : 'other',
      item.client,
    ]);
  }
  s.reply('SESSIONS', ['ENDOFLIST']);
}

function alwaysOnState(s: Session): string {
  if (!s.server.config.alwaysOn || s.server.store === null) return 'unavailable';
  return s.person.alwaysOn ? 'on' : 'off';
}

function alwaysOn(s: Session, value: string): void {
  if (value !== 'ON' && value !== 'OFF') {
    s.sendFail('SESSIONS', 'INVALID_PARAMS', 'SESSIONS ALWAYS-ON ON|OFF', value || '*');
    return;
  }
  if (alwaysOnState(s) === 'unavailable') {
    s.sendFail('SESSIONS', 'UNAVAILABLE', 'This server has always-on turned off', 'ALWAYS-ON');
    return;
  }
  s.deferUntil(
    setAccountAlwaysOn(s.server, s.person, value === 'ON'),
    () => s.reply('SESSIONS', ['ALWAYS-ON', alwaysOnState(s)]),
    (err) => {
      s.server.log.error({ event: 'always_on.switch_failed', err: String(err) }, 'always-on switch failed');
      s.sendFail('SESSIONS', 'UNAVAILABLE', 'Always-on could not be changed; try again later', 'ALWAYS-ON');
    },
    true,
  );
}
