/**
 * MONITOR + - C L S (https://ircv3.net/specs/extensions/monitor).
 */
import { foldCase } from '../../protocol/casemapping.js';
import type { IrcMessage } from '../../protocol/message.js';
import { isValidNick } from '../../protocol/names.js';
import * as N from '../../protocol/numerics.js';
import { serviceUser } from '../services.js';
import type { Session } from '../session.js';
import type { CommandGroup } from './table.js';

export const monitorCommands: CommandGroup = {
  MONITOR: { minParams: 1, handler: monitor },
};

/** Sends `items` as numerics, packing as many comma-separated entries per line as fit. */
function sendPacked(s: Session, code: string, items: string[]): void {
  let line = '';
  for (const item of items) {
    if (line.length + item.length + 1 > 400) {
      s.numeric(code, line);
      line = item;
    } else line = line === '' ? item : `${line},${item}`;
  }
  if (line !== '') s.numeric(code, line);
}

function monitor(s: Session, msg: IrcMessage): void {
  const server = s.server;
  const sub = msg.params[0]!;
  const targets = (msg.params[1] ?? '').split(',').filter((t) => t !== '');
  switch (sub) {
    case '+': {
      const online: string[] = [];
      const offline: string[] = [];
      for (let i = 0; i < targets.length; i++) {
        const nick = targets[i]!;
        if (!isValidNick(nick, server.config.nickLen)) continue;
        const folded = foldCase(nick);
        if (!s.monitoring?.has(folded) && (s.monitoring?.size ?? 0) >= server.config.maxMonitor) {
          s.numeric(
            N.ERR_MONLISTFULL,
            String(server.config.maxMonitor),
            targets.slice(i).join(','),
            'Monitor list is full.',
          );
          break;
        }
        server.monitors.add(s, folded, nick);
        const u = server.directory.findUser(folded) ?? serviceUser(server, folded);
        if (u?.registered) online.push(u.mask);
        else offline.push(nick);
      }
      sendPacked(s, N.RPL_MONONLINE, online);
      sendPacked(s, N.RPL_MONOFFLINE, offline);
      return;
    }
    case '-':
      for (const nick of targets) server.monitors.remove(s, foldCase(nick));
      return;
    case 'C':
    case 'c':
      server.monitors.removeWatcher(s);
      return;
    case 'L':
    case 'l':
      sendPacked(s, N.RPL_MONLIST, [...(s.monitoring?.values() ?? [])]);
      s.numeric(N.RPL_ENDOFMONLIST, 'End of MONITOR list');
      return;
    case 'S':
    case 's': {
      const online: string[] = [];
      const offline: string[] = [];
      for (const [folded, nick] of s.monitoring ?? []) {
        const u = server.directory.findUser(folded) ?? serviceUser(server, folded);
        if (u?.registered) online.push(u.mask);
        else offline.push(nick);
      }
      sendPacked(s, N.RPL_MONONLINE, online);
      sendPacked(s, N.RPL_MONOFFLINE, offline);
      return;
    }
    default:
      s.numeric(N.ERR_UNKNOWNCOMMAND, 'MONITOR', `Unknown MONITOR subcommand ${sub}`);
  }
}
