/**
 * What a client sees on registration: 001–005, LUSERS and the MOTD. LUSERS and MOTD are
 * also commands of their own (info.ts).
 */
import { CASEMAPPING } from '../protocol/casemapping.js';
import { formatIsupport, type IsupportTokens } from '../protocol/isupport.js';
import { CHANTYPES } from '../protocol/names.js';
import * as N from '../protocol/numerics.js';
import { BOT_MODE } from './bot-mode.js';
import { EXTBAN_TYPES } from './channel-access.js';
import type { ChatServer } from './server.js';
import { VERSION } from './server.js';
import type { Session } from './session.js';
import { STATUSMSG_PREFIXES } from './status-message.js';

export const USER_MODES = 'Biow';
export const CHANNEL_MODES = 'CIbeiklmnostv';
export const CHANNEL_MODES_WITH_PARAM = 'Ibeklov';

export function isupportTokens(server: ChatServer): IsupportTokens {
  const c = server.config;
  const t = c.maxTargets;
  const tokens: IsupportTokens = [
    ['AWAYLEN', String(c.awayLen)],
    ['BOT', BOT_MODE],
    ['CASEMAPPING', CASEMAPPING],
    ['CHANLIMIT', `${CHANTYPES}:${c.maxChannels}`],
    ['CHANMODES', 'beI,k,l,Cimnst'],
    ['CHANNELLEN', String(c.channelLen)],
    ['CHANTYPES', CHANTYPES],
    ['ELIST', 'CMNTU'],
    ['EXCEPTS', 'e'],
    ['EXTBAN', `,${EXTBAN_TYPES}`],
    ['INVEX', 'I'],
    ['KICKLEN', String(c.kickLen)],
    ['MAXLIST', `b:${c.maxBans},e:${c.maxBans},I:${c.maxBans}`],
    ['MODES', String(c.maxModes)],
    ['MONITOR', String(c.maxMonitor)],
    ['NETWORK', c.networkName],
    ['NICKLEN', String(c.nickLen)],
    ['PREFIX', '(ov)@+'],
    ['STATUSMSG', STATUSMSG_PREFIXES],
    [
      'TARGMAX',
      `PRIVMSG:${t},NOTICE:${t},TAGMSG:${t},JOIN:,PART:,KICK:${t},NAMES:${t},WHOIS:1,MONITOR:,ISON:,USERHOST:5`,
    ],
    ['TOPICLEN', String(c.topicLen)],
    ['USERLEN', String(c.userLen)],
    ['UTF8ONLY', null],
    ['WHOX', null],
  ];
  if (server.store !== null && server.historyWriter !== null) {
    tokens.push(['CHATHISTORY', String(c.historyLimit)], ['MSGREFTYPES', 'timestamp,msgid']);
  }
  if (server.store !== null && server.fileHostUrl !== null) {
    // File uploads (src/http/uploads.ts): soju's token, which clients use today, and the draft.
    tokens.push(['draft/FILEHOST', server.fileHostUrl], ['soju.im/FILEHOST', server.fileHostUrl]);
  }
  tokens.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return tokens;
}

export function sendWelcome(server: ChatServer, s: Session): void {
  const c = server.config;
  const version = `tertulia-${VERSION}`;
  s.numeric(N.RPL_WELCOME, `Welcome to the ${c.networkName} IRC Network, ${s.mask}`);
  s.numeric(N.RPL_YOURHOST, `Your host is ${c.serverName}, running version ${version}`);
  s.numeric(N.RPL_CREATED, `This server was created ${server.createdAt.toUTCString()}`);
  s.numeric(N.RPL_MYINFO, c.serverName, version, USER_MODES, CHANNEL_MODES, CHANNEL_MODES_WITH_PARAM);
  for (const line of formatIsupport(isupportTokens(server))) {
    s.numeric(N.RPL_ISUPPORT, ...line, 'are supported by this server');
  }
  sendLusers(server, s);
  sendMotd(server, s);
}

export function sendLusers(server: ChatServer, s: Session): void {
  const { users: total, invisible, opers } = server.census;
  // In a cluster the network's figures add the other nodes' users; "local" stays this node's.
  const remote = server.network?.remoteCensus() ?? { users: 0, invisible: 0, opers: 0, nodes: 0 };
  const global = total + remote.users;
  const globalInvisible = invisible + remote.invisible;
  const visible = global - globalInvisible;
  const unknown = server.sessions.size - total;
  s.numeric(
    N.RPL_LUSERCLIENT,
    `There are ${visible} users and ${globalInvisible} invisible on ${remote.nodes + 1} servers`,
  );
  s.numeric(N.RPL_LUSEROP, String(opers + remote.opers), 'operator(s) online');
  s.numeric(N.RPL_LUSERUNKNOWN, String(Math.max(0, unknown)), 'unknown connection(s)');
  s.numeric(N.RPL_LUSERCHANNELS, String(server.directory.channelCount), 'channels formed');
  s.numeric(N.RPL_LUSERME, `I have ${total} clients and ${remote.nodes} servers`);
  s.numeric(
    N.RPL_LOCALUSERS,
    String(total),
    String(server.maxUsers),
    `Current local users ${total}, max ${server.maxUsers}`,
  );
  const globalMax = Math.max(server.maxUsers, global);
  s.numeric(
    N.RPL_GLOBALUSERS,
    String(global),
    String(globalMax),
    `Current global users ${global}, max ${globalMax}`,
  );
}

/** The built-in MOTD greets the user by name (the seeds' welcome line). */
export function defaultMotd(nick: string, networkName: string): string[] {
  return [
    `Welcome to the best chat in the universe, ${nick}!`,
    `This is ${networkName}, served by tertulia.`,
    'Join a room with /join #lobby and say hello.',
  ];
}

export function sendMotd(server: ChatServer, s: Session): void {
  const lines = server.motd ?? defaultMotd(s.nick, server.config.networkName);
  if (lines.length === 0) {
    s.numeric(N.ERR_NOMOTD, 'MOTD File is missing');
    return;
  }
  s.numeric(N.RPL_MOTDSTART, `- ${server.config.serverName} Message of the day - `);
  for (const line of lines) s.numeric(N.RPL_MOTD, `- ${line.replaceAll('{nick}', s.nick)}`);
  s.numeric(N.RPL_ENDOFMOTD, 'End of /MOTD command.');
}
