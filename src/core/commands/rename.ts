/**
 * RENAME (IRCv3 draft/channel-rename): `RENAME <channel> <new name> [:<reason>]`, by a room
 * operator. Members with the capability see `RENAME <old> <new> :<reason>`; the others see
 * themselves PART the old name and JOIN the new one, with its topic and names, which is what
 * the spec asks for clients that do not know the command.
 *
 * The room keeps its members, modes, lists and topic. History stays under the old name's
 * conversation (it is keyed by folded name). Refused (FAIL RENAME CANNOT_RENAME) for
 * registered rooms, whose record is keyed by name, and in cluster mode, where the other
 * nodes' replicas would not follow.
 */
import { foldCase } from '../../protocol/casemapping.js';
import type { IrcMessage } from '../../protocol/message.js';
import { isValidChannel } from '../../protocol/names.js';
import * as N from '../../protocol/numerics.js';
import { roomRenamed } from '../always-on.js';
import { Cap } from '../caps.js';
import { Outgoing, serverTimeNow } from '../outgoing.js';
import { Person } from '../person.js';
import type { Session } from '../session.js';
import { sendNames, sendTopic } from './channels.js';
import type { CommandGroup } from './table.js';

export const renameCommands: CommandGroup = {
  RENAME: { minParams: 2, handler: rename },
};

function rename(s: Session, msg: IrcMessage): void {
  const server = s.server;
  const [oldName, newName] = msg.params as [string, string];
  const reason = (msg.params[2] ?? '').slice(0, server.config.kickLen);
  const cannot = (text: string): void => s.sendFail('RENAME', 'CANNOT_RENAME', text, oldName, newName);
  const channel = server.directory.findChannel(foldCase(oldName));
  if (channel === undefined) {
    s.numeric(N.ERR_NOSUCHCHANNEL, oldName, 'No such channel');
    return;
  }
  if (!channel.members.has(s)) {
    s.numeric(N.ERR_NOTONCHANNEL, channel.name, "You're not on that channel");
    return;
  }
  if (!channel.isOp(s)) {
    s.numeric(N.ERR_CHANOPRIVSNEEDED, channel.name, "You're not channel operator");
    return;
  }
  if (!isValidChannel(newName, server.config.channelLen)) {
    cannot(`${newName} is not a valid channel name`);
    return;
  }
  const folded = foldCase(newName);
  const holder = server.directory.findChannel(folded);
  if (holder !== undefined && holder !== channel) {
    s.sendFail('RENAME', 'CHANNEL_NAME_IN_USE', `${newName} is already in use`, oldName, newName);
    return;
  }
  if (server.network !== null) {
    cannot('Rooms cannot be renamed on a cluster');
    return;
  }
  const hooks = server.channelHooks;
  if (hooks?.isRegistered?.(channel.folded) || (folded !== channel.folded && hooks?.isRegistered?.(folded))) {
    cannot('Registered rooms cannot be renamed');
    return;
  }
  const previous = channel.name;
  const previousFolded = channel.folded;
  server.directory.removeChannel(channel);
  channel.name = newName;
  channel.folded = folded;
  server.directory.addChannel(channel);
  // Always-on members are stored in it by name: they must be in the new one after a restart.
  roomRenamed(server, previousFolded, channel);
  server.log.info(
    { event: 'channel.renamed', from: previous, to: newName, by: s.nick },
    `Room ${previous} renamed to ${newName} by ${s.nick}`,
  );
  const time = serverTimeNow();
  const out = new Outgoing(s.mask, 'RENAME', [previous, newName, reason], time, null, s.account);
  // Members are people (core/person.ts): each of their connections is told by its own caps.
  const connections: Session[] = [];
  for (const m of channel.members.keys()) {
    if (m instanceof Person) connections.push(...(m.connections as Session[]));
    else if (m.local) connections.push(m as Session);
  }
  for (const member of connections) {
    if (member.caps & Cap.channelRename) {
      member.deliver(out);
      continue;
    }
    // Fallback (§Fallback): the member leaves the old name and joins the new one.
    member.deliver(new Outgoing(member.mask, 'PART', [previous, reason || `Renamed to ${newName}`], time));
    member.deliver(new Outgoing(member.mask, 'JOIN', [newName], time, null, member.account));
    // A local user is a Session (core/user.ts), which the JOIN replies are numerics to.
    const session = member as Session;
    if (channel.topic !== null) sendTopic(session, channel);
    sendNames(session, channel);
  }
}
