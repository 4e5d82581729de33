/**
 * HELP and HELPOP (modern.ircdocs.horse §HELP message): RPL_HELPSTART (704), RPL_HELPTXT
 * (705) lines and RPL_ENDOFHELP (706), all carrying the subject; ERR_HELPNOTFOUND (524) for a
 * subject the server has no text for. HELP alone answers the index, subject `*`.
 */
import type { IrcMessage } from '../../protocol/message.js';
import * as N from '../../protocol/numerics.js';
import { HELP_TOPICS } from '../help-topics.js';
import type { Session } from '../session.js';
import type { CommandGroup } from './table.js';

export const helpCommands: CommandGroup = {
  HELP: { minParams: 0, handler: help },
  HELPOP: { minParams: 0, handler: help },
};

function help(s: Session, msg: IrcMessage): void {
  const asked = msg.params[0] ?? '';
  if (asked === '' || asked === '*') {
    sendTopic(s, '*', index(s));
    return;
  }
  const subject = asked.toUpperCase();
  const lines = HELP_TOPICS[subject];
  if (lines === undefined) {
    // The subject as asked, unless it could not be a parameter (§ERR_HELPNOTFOUND).
    const shown = /^[^\s:][^\s]*$/.test(asked) ? asked : '*';
    s.numeric(N.ERR_HELPNOTFOUND, shown, 'No help available on this topic');
    return;
  }
  sendTopic(s, subject, lines);
}

function sendTopic(s: Session, subject: string, lines: readonly string[]): void {
  s.numeric(N.RPL_HELPSTART, subject, lines[0]!);
  for (let i = 1; i < lines.length; i++) s.numeric(N.RPL_HELPTXT, subject, lines[i]!);
  s.numeric(N.RPL_ENDOFHELP, subject, 'End of /HELP');
}

/** The index: every command the server answers, several to a line. */
function index(s: Session): string[] {
  const names = s.server.commands.names();
  const lines = ['tertulia help: HELP <command> for one of these commands.', ''];
  for (let i = 0; i < names.length; i += 10) lines.push(names.slice(i, i + 10).join(' '));
  lines.push('', 'Other subjects: BOT.');
  return lines;
}
