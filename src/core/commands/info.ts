/**
 * Server information: LUSERS, MOTD, TIME, VERSION, INFO, LINKS (RFC 2812 §3.4).
 */

import { formatIsupport } from '../../protocol/isupport.js';
import { wildcardMatch } from '../../protocol/mask.js';
import type { IrcMessage } from '../../protocol/message.js';
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
  LINKS: { minParams: 0, handler: links },
};

/**
 * LINKS [[<remote server>] <server mask>] (RFC 2812 §3.4.5): the servers of the network this
 * client can see. The nodes of a cluster are one server to clients, so the answer is this
 * server, hop count 0, when it matches the mask ("the returned list of servers MUST match
 * the mask"); a remote server that is not this one is 402 ERR_NOSUCHSERVER.
 */
function links(s: Session, msg: IrcMessage): void {
  const name = s.server.config.serverName;
  const [first, second] = msg.params.filter((p) => p !== '');
  const remote = second === undefined ? undefined : first;
  const mask = second ?? first ?? '*';
  if (remote !== undefined && !wildcardMatch(remote, name)) {
    s.numeric(N.ERR_NOSUCHSERVER, remote, 'No such server');
    return;
  }
  if (wildcardMatch(mask, name)) {
    s.numeric(N.RPL_LINKS, '*', name, `0 ${s.server.config.networkName} chat server (tertulia ${VERSION})`);
  }
  s.numeric(N.RPL_ENDOFLINKS, '*', 'End of /LINKS list');
}

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
