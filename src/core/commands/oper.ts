/**
 * Server operators: OPER (passwords stored as scrypt hashes in the config), KILL,
 * WALLOPS, and CHGHOST (which is what the IRCv3 chghost capability reports).
 */

import { verifyPassword } from '../../crypto/password.js';
import { foldCase } from '../../protocol/casemapping.js';
import { wildcardMatch } from '../../protocol/mask.js';
import type { IrcMessage } from '../../protocol/message.js';
import * as N from '../../protocol/numerics.js';
import { Cap } from '../caps.js';
import { Outgoing, serverTimeNow } from '../outgoing.js';
import { ownCopy } from '../own-copy.js';
import type { Session } from '../session.js';
import type { User } from '../user.js';
import type { CommandGroup } from './table.js';

export const operCommands: CommandGroup = {
  OPER: { minParams: 2, handler: oper },
  KILL: { minParams: 1, handler: kill },
  WALLOPS: { minParams: 1, handler: wallops },
  CHGHOST: { minParams: 3, handler: chghost },
};

async function oper(s: Session, msg: IrcMessage): Promise<void> {
  const [name, password] = msg.params as [string, string];
  const block = s.server.config.opers.find((o) => o.name === name);
  // Verify even when the name is unknown so timing does not reveal which names exist.
  const ok = await verifyPassword(block?.passwordHash ?? DUMMY_HASH, password);
  s.resume(() => {
    if (block === undefined || !ok) {
      s.numeric(N.ERR_PASSWDMISMATCH, 'Password incorrect');
      s.server.log.warn(
        { event: 'oper.failed', nick: s.nick, ip: s.ip, name },
        `Failed OPER attempt by ${s.nick}`,
      );
      return;
    }
    if (block.mask !== undefined && !wildcardMatch(block.mask, s.mask)) {
      s.numeric(N.ERR_NOOPERHOST, 'No O-lines for your host');
      return;
    }
    s.isOper = true;
    s.operName = name;
    s.server.network?.userChanged(s);
    s.numeric(N.RPL_YOUREOPER, 'You are now an IRC operator');
    s.deliver(new Outgoing(s.mask, 'MODE', [s.nick, '+o']));
    s.server.log.info(
      { event: 'oper.up', nick: s.nick, name },
      `Client: ${s.nick} is now an operator (${name})`,
    );
  });
}

/** A valid scrypt hash of a random string, used when the oper name is unknown. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

function requireOper(s: Session): boolean {
  if (!s.isOper) s.numeric(N.ERR_NOPRIVILEGES, "Permission Denied- You're not an IRC operator");
  return s.isOper;
}

function kill(s: Session, msg: IrcMessage): void {
  if (!requireOper(s)) return;
  const server = s.server;
  const victim = server.directory.findUser(foldCase(msg.params[0]!));
  if (victim === undefined || !victim.registered) {
    s.numeric(N.ERR_NOSUCHNICK, msg.params[0]!, 'No such nick/channel');
    return;
  }
  const reason = msg.params[1] || 'No reason given';
  const session = [...server.sessions].find((x) => x === victim);
  server.log.info(
    { event: 'oper.kill', oper: s.nick, victim: victim.nick, reason },
    `Client: ${victim.nick} killed by ${s.nick} (${reason})`,
  );
  if (session !== undefined) server.disconnect(session, `Killed (${s.nick} (${reason}))`);
  else if (!victim.local) server.network?.kill(victim, s.nick, reason);
}

function wallops(s: Session, msg: IrcMessage): void {
  if (!requireOper(s)) return;
  const out = new Outgoing(s.mask, 'WALLOPS', [msg.params[0]!], serverTimeNow(), null, s.account);
  for (const u of s.server.directory.users()) if (u.registered && (u.wallops || u === s)) u.deliver(out);
}

/** CHGHOST <nick> <user> <host>: operators change a user's displayed user@host. */
function chghost(s: Session, msg: IrcMessage): void {
  if (!requireOper(s)) return;
  const [nick, username, host] = msg.params as [string, string, string];
  const server = s.server;
  const target = [...server.sessions].find((x) => x.registered && x.folded === foldCase(nick));
  if (target === undefined) {
    s.numeric(N.ERR_NOSUCHNICK, nick, 'No such nick/channel');
    return;
  }
  if (!/^[\x21-\x7e]{1,64}$/.test(host) || !/^[\x21-\x3f\x41-\x7e]{1,16}$/.test(username)) {
    s.sendFail('CHGHOST', 'INVALID_PARAMS', 'Invalid user or host');
    return;
  }
  const out = new Outgoing(target.mask, 'CHGHOST', [username, host], serverTimeNow(), null, target.account);
  // Kept for the connection: copies, not views of the line.
  target.username = ownCopy(username);
  target.host = ownCopy(host);
  server.network?.userChanged(target, out, Cap.chghost);
  // Peers with chghost see CHGHOST; the user sees it too when they support it.
  const seen = new Set<User>([target]);
  for (const c of target.channels) {
    for (const m of c.members.keys()) {
      if (seen.has(m) || !m.local) continue;
      seen.add(m);
      if (m.caps & Cap.chghost) m.deliver(out);
    }
  }
  server.monitors.notifyChange(target.nick, out, Cap.chghost, seen);
  if (target.hasCap(Cap.chghost)) target.deliver(out);
  s.reply('NOTICE', [s.nick, `Changed host of ${target.nick} to ${username}@${host}`]);
}
