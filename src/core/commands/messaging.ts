/**
 * PRIVMSG, NOTICE (RFC 2812 §3.3) and TAGMSG (IRCv3 message-tags). The hot path: the
 * Outgoing is built once per target and its bytes shared by every recipient.
 */
import { foldCase } from '../../protocol/casemapping.js';
import { fitText } from '../../protocol/line-limits.js';
import type { IrcMessage } from '../../protocol/message.js';
import { isChannelName } from '../../protocol/names.js';
import * as N from '../../protocol/numerics.js';
import { isClientTag, isValidTagKey, type Tags } from '../../protocol/tags.js';
import type { StoredMessage } from '../../store/store.js';
import { rememberSent } from '../authorship.js';
import { withBotTag } from '../bot-mode.js';
import { Cap } from '../caps.js';
import { isBlockedCtcp } from '../channel-access.js';
import { newMsgid } from '../msgid.js';
import { Outgoing, serverTime } from '../outgoing.js';
import type { Session } from '../session.js';
import { deliverToStatus, statusTarget } from '../status-message.js';
import { storedMessage } from '../stored-message.js';
import { writeFailures } from '../write-failures.js';
import { needsHistoryCheck, sendWithHistoryCheck } from './message-events.js';
import { collectMultilineLine } from './multiline.js';
import type { CommandGroup } from './table.js';

export const messagingCommands: CommandGroup = {
  PRIVMSG: {
    minParams: 0,
    // A line of an open multiline batch (IRCv3 draft/multiline) is collected, not relayed.
    handler: (s, m) => (m.tags['batch'] !== undefined ? collectMultilineLine(s, m) : relay(s, m, 'PRIVMSG')),
  },
  NOTICE: { minParams: 0, handler: (s, m) => relay(s, m, 'NOTICE') },
  TAGMSG: { minParams: 0, handler: (s, m) => relay(s, m, 'TAGMSG') },
};

function relay(s: Session, msg: IrcMessage, command: 'PRIVMSG' | 'NOTICE' | 'TAGMSG'): void {
  // RFC 2812 §3.3.2: a NOTICE never triggers an automatic reply, errors included, so two
  // bots can never answer each other forever.
  const error = command === 'NOTICE' ? noReply : (code: string, ...p: string[]) => s.numeric(code, ...p);
  const targetList = msg.params[0];
  if (targetList === undefined || targetList === '') {
    error(N.ERR_NORECIPIENT, `No recipient given (${command})`);
    return;
  }
  const text = msg.params[1];
  if (command !== 'TAGMSG' && (text === undefined || text === '')) {
    error(N.ERR_NOTEXTTOSEND, 'No text to send');
    return;
  }
  const targets = targetList.split(',').filter((t) => t !== '');
  if (targets.length > s.server.config.maxTargets) {
    error(N.ERR_TOOMANYTARGETS, targetList, `Too many targets (the limit is ${s.server.config.maxTargets})`);
    return;
  }
  // A TAGMSG whose tags were all stripped is still relayed (message-tags spec, TAGMSG example).
  const clientTags = relayableTags(msg.tags);
  const sentTags = withBotTag(s, clientTags); // IRCv3 bot-mode: the bot tag
  // Reactions and edits are checked against history first (message-events.ts).
  if (needsHistoryCheck(s, command, clientTags)) {
    sendWithHistoryCheck(s, command, targets, text, sentTags!, error);
    return;
  }
  s.idleSince = Date.now();
  const server = s.server;
  server.metrics.messagesIn++;
  const account = s.account;

  // Each target's delivery runs once its message is durable (history issue: "durable
  // before its echo or labeled reply goes back to the sender and before it fans out"), in
  // the order the server accepted the messages: the gate opened below keeps the place of
  // these deliveries in every connection's output (docs/ARCHITECTURE.md "Order of deliveries").
  const deliveries: Array<() => void> = [];
  const records: StoredMessage[] = [];
  const writer = server.historyWriter;
  const storable = writer !== null && (command !== 'TAGMSG' || isLasting(clientTags));

  for (const target of targets) {
    const now = Date.now();
    const time = serverTime(now);
    const status = statusTarget(target);
    if (status !== null && isChannelName(status.name)) {
      relayToStatus(s, command, target, status, text, now, sentTags, error, deliveries);
      continue;
    }
    if (isChannelName(target)) {
      const channel = server.directory.findChannel(foldCase(target));
      if (channel === undefined) {
        error(N.ERR_NOSUCHCHANNEL, target, 'No such channel');
        continue;
      }
      const refusal = channel.sendRefusal(s);
      if (refusal !== null) {
        error(N.ERR_CANNOTSENDTOCHAN, channel.name, refusal);
        continue;
      }
      if (channel.noCtcp && text !== undefined && command !== 'TAGMSG' && isBlockedCtcp(text)) {
        error(N.ERR_CANNOTSENDTOCHAN, channel.name, 'Cannot send to channel (+C: no CTCP)');
        continue;
      }
      const out = new Outgoing(
        s.mask,
        command,
        paramsFor(s, command, channel.name, text),
        time,
        newMsgid(now),
        account,
        sentTags,
      );
      if (storable) records.push(record(s, out, channel.folded, now));
      deliveries.push(() => {
        // Counted as delivered, so the counter never goes down (the room may be gone by now).
        server.metrics.deliveriesOut += channel.broadcast(out, s);
        server.push?.channelMessage(s, channel, out, out.params[1] ?? '');
        if (s.hasCap(Cap.echoMessage)) s.deliver(out);
        logMessage(s, channel.name, command, text);
      });
      continue;
    }
    const service = server.services.get(foldCase(target));
    if (service !== undefined) {
      if (command !== 'TAGMSG') void service.receive(s, command, text!);
      continue;
    }
    const recipient = server.directory.findUser(foldCase(target));
    if (recipient === undefined || !recipient.registered) {
      error(N.ERR_NOSUCHNICK, target, 'No such nick/channel');
      continue;
    }
    const out = new Outgoing(
      s.mask,
      command,
      paramsFor(s, command, recipient.nick, text),
      time,
      newMsgid(now),
      account,
      sentTags,
    );
    if (storable) records.push(record(s, out, dmConversation(s.identity, recipient.identity), now));
    deliveries.push(() => {
      if (command !== 'TAGMSG' || recipient.caps & Cap.messageTags) {
        // A message to oneself is a side effect, not a reply: it is never labeled
        // (labeled-response §"messages to self"), while the echo below is.
        if (recipient === s.person) {
          s.deliverUnlabeled(out);
          s.person.deliverFiltered(out, s, 0, 0, false);
        } else recipient.deliver(out);
        server.push?.privateMessage(s, recipient, out);
        server.metrics.deliveriesOut++;
      }
      if (command === 'PRIVMSG' && recipient.away !== null) {
        s.numeric(N.RPL_AWAY, recipient.nick, recipient.away);
      }
      if (s.hasCap(Cap.echoMessage)) s.deliver(out);
      // The sender's other devices show the whole conversation (docs/PEOPLE.md).
      if (recipient !== s.person) s.person.deliverFiltered(out, s, 0, 0, false);
      logMessage(s, recipient.nick, command, text);
    });
  }

  const deliverAll = (): void => {
    for (const deliver of deliveries) deliver();
  };
  if (records.length === 0 || writer === null) {
    deliverAll();
    return;
  }
  const started = process.hrtime.bigint();
  const gate = server.output.openGate();
  const durable =
    records.length === 1 ? writer.write(records[0]!) : Promise.all(records.map((r) => writer.write(r)));
  s.deferUntil(
    durable,
    () => {
      server.metrics.observeHistoryWrite(Number(process.hrtime.bigint() - started) / 1e9);
      writeFailures(server).succeeded();
      deliverAll();
    },
    (err) => {
      // Not stored means not delivered: nobody may see a message history does not have.
      writeFailures(server).failed(err); // one line per condition, not per message
      if (command === 'NOTICE') return; // RFC 2812 §3.3.2: no error reply to a notice
      s.sendFail(
        command,
        'MESSAGE_ERROR',
        'Your message could not be stored and was not delivered; please retry',
      );
    },
    false,
    gate,
  );
}

function noReply(): void {}

/** STATUSMSG (status-message.ts): checked like a room message, delivered to its ops/voices. */
function relayToStatus(
  s: Session,
  command: 'PRIVMSG' | 'NOTICE' | 'TAGMSG',
  target: string,
  status: { bits: number; name: string },
  text: string | undefined,
  now: number,
  tags: Tags | null,
  error: (code: string, ...p: string[]) => void,
  deliveries: Array<() => void>,
): void {
  const channel = s.server.directory.findChannel(foldCase(status.name));
  if (channel === undefined) {
    error(N.ERR_NOSUCHCHANNEL, status.name, 'No such channel');
    return;
  }
  const refusal = channel.sendRefusal(s);
  if (refusal !== null) {
    error(N.ERR_CANNOTSENDTOCHAN, channel.name, refusal);
    return;
  }
  const shown = target[0] + channel.name;
  const out = new Outgoing(
    s.mask,
    command,
    paramsFor(s, command, shown, text),
    serverTime(now),
    newMsgid(now),
    s.account,
    tags,
  );
  deliveries.push(() => {
    s.server.metrics.deliveriesOut += deliverToStatus(channel, status.bits, out, s);
    if (s.hasCap(Cap.echoMessage)) s.deliver(out);
  });
}

/**
 * A relayed message's parameters, its text cut on a character boundary so the line fits in
 * 512 bytes once the sender's prefix is added (RFC 2812 §2.3: the limit is on what is sent,
 * and the sender could not know how long its prefix is). What is stored is what was sent.
 */
function paramsFor(s: Session, command: string, target: string, text: string | undefined): string[] {
  if (text === undefined || command === 'TAGMSG') return [target];
  return [target, fitText(s.mask, command, target, text)];
}

/** The private conversation between two history identities (order-independent). */
export function dmConversation(a: string, b: string): string {
  return a <= b ? `dm:${a} ${b}` : `dm:${b} ${a}`;
}

function record(s: Session, out: Outgoing, conversation: string, time: number): StoredMessage {
  rememberSent(s, out.msgid!); // a guest may edit or redact it from this connection
  return storedMessage(s, out, conversation, time, out.command === 'TAGMSG' ? null : out.params[1]!);
}

/** Typing notifications are ephemeral; other client tags (reactions…) are kept. */
function isLasting(tags: Tags | null): boolean {
  if (tags === null) return false;
  for (const key in tags) if (key !== '+typing' && key !== '+draft/typing') return true;
  return false;
}

/** Client-only tags (+…) with valid names are relayed; everything else a client sends is dropped. */
export function relayableTags(tags: Tags): Tags | null {
  let out: Tags | null = null;
  for (const key in tags) {
    if (!isClientTag(key) || !isValidTagKey(key)) continue;
    out ??= {};
    out[key] = tags[key]!;
  }
  return out;
}

function logMessage(s: Session, target: string, command: string, text: string | undefined): void {
  const server = s.server;
  if (!server.config.logMessages || text === undefined) return;
  const line = command === 'NOTICE' ? `-${s.nick}- ${target}: ${text}` : `<${s.nick}> ${target}: ${text}`;
  server.log.info({ event: 'message', from: s.nick, target, command }, line);
}
