/**
 * Server information: LUSERS, MOTD, TIME, VERSION, INFO (RFC 2812 §3.4).
 */

import { formatIsupport } from '../../protocol/isupport.js';
import * as N from '../../protocol/numerics.js';
import { VERSION } from '../server.js';
import type { Session } from '../session.js';
import { isupportTokens, sendLusers, sendMotd } from '../welcome.js';
import type { CommandGroup } from './table.js';

export const infoCommands: CommandGroup = {
  LUSERS: { minParams: 0, handler: (s) => sendLusers(s.server, s) },
  MOTD: { minParams: 0, handler: (s) => sendMotd(s.server, s) },
  TIME: { minParams: 0, handler: time },
  VERSION: { minParams: 0, handler: version },
  INFO: { minParams: 0, handler: info },
};

function time(s: Session): void {
  const now = new Date();
  s.numeric(
    N.RPL_TIME,
    s.server.config.serverName,
    String(Math.floor(now.getTime() / 1000)),
    '0',
    now.toUTCString(),
  );
}

function version(s: Session): void {
  s.numeric(N.RPL_VERSION, `tertulia-${VERSION}`, s.server.config.serverName, 'Node.js ' + process.version);
  for (const line of formatIsupport(isupportTokens(s.server))) {
    s.numeric(N.RPL_ISUPPORT, ...line, 'are supported by this server');
  }
}

function info(s: Session): void {
  const lines = [
    `tertulia ${VERSION}: a self-hosted real-time chat server`,
    'IRC-compatible on the wire, with its own terminal and web clients.',
    `Running on Node.js ${process.version}, up since ${s.server.createdAt.toUTCString()}.`,
  ];
  for (const line of lines) s.numeric(N.RPL_INFO, line);
  s.numeric(N.RPL_ENDOFINFO, 'End of /INFO list');
}
