/**
 * Messages that act on other messages (docs/MESSAGE-FEATURES.md): reactions, edits and
 * redactions, plus the delivery of multiline messages. Unlike plain messages (messaging.ts)
 * these need history first: who wrote the message an edit replaces, whether a reaction is new.
 * So they take a slower path: resolve the one target, check against the store, make the
 * change durable, then deliver, all inside the command's labeled response, and in the
 * order the server accepted the command (a gate, as for a plain PRIVMSG: `afterDurable`).
 *
 * - Reactions (TAGMSG with +draft/react or +draft/unreact and a reply tag): stored once per
 *   person and emoji. A duplicate reaction, or an unreact of nothing, changes nothing and is
 *   not relayed; the sender gets an ACK if it labeled the command.
 * - Edits (PRIVMSG with +draft/edit=<msgid>): only the author may edit, and only a PRIVMSG or
 *   NOTICE of the same conversation; the edit is stored and relayed as a message of its own,
 *   so a client that knows nothing of edits sees a correction.
 * - REDACT (IRCv3 draft/message-redaction): the author, the room's founder or an operator they
 *   named (lasting authority, not a channel op of the moment), or a
 *   server operator removes a message or reaction; the stored text is deleted.
 */
import { foldCase } from '../../protocol/casemapping.js';
import { fitText } from '../../protocol/line-limits.js';
import type { IrcMessage } from '../../protocol/message.js';
import { isChannelName } from '../../protocol/names.js';
import * as N from '../../protocol/numerics.js';
import type { Tags } from '../../protocol/tags.js';
import type { Store } from '../../store/store.js';
import { isAuthor, rememberSent } from '../authorship.js';
import { Cap } from '../caps.js';
import type { Channel } from '../channel.js';
import { isBlockedCtcp } from '../channel-access.js';
import { editOf, MAX_REACTION_LENGTH, type ReactionRef, reactionOf } from '../message-refs.js';
import { newMsgid } from '../msgid.js';
import { MultilineOutgoing, type Piece } from '../multiline-outgoing.js';
import { Outgoing, serverTime } from '../outgoing.js';
import type { Session } from '../session.js';
import { storedMessage } from '../stored-message.js';
import type { User } from '../user.js';
import { writeFailures } from '../write-failures.js';
import type { CommandGroup } from './table.js';

export const messageEventCommands: CommandGroup = {
  REDACT: { minParams: 2, handler: redact },
};

type Command = 'PRIVMSG' | 'NOTICE' | 'TAGMSG';

/** Where a message goes, and the history conversation it belongs to. */
export type Destination =
  | { kind: 'channel'; name: string; conversation: string; channel: Channel }
  | { kind: 'user'; name: string; conversation: string; user: User };

/** The private conversation between two history identities (same as messaging.ts). */
function dm(a: string, b: string): string {
  return a <= b ? `dm:${a} ${b}` : `dm:${b} ${a}`;
}

/** Whether a relayed message must go through this module rather than the plain path. */
export function needsHistoryCheck(s: Session, command: Command, tags: Tags | null): boolean {
  if (tags === null || s.server.store === null || s.server.historyWriter === null) return false;
  return command === 'TAGMSG' ? reactionOf(tags) !== null : editOf(tags) !== null;
}

/** How a refusal reaches the sender: a numeric, or nothing at all for a NOTICE. */
export type ErrorReply = (code: string, ...params: string[]) => void;

/**
 * The destination of a message, with the same checks and numerics as a plain PRIVMSG
 * (403, 404 including +C for a CTCP `text`, 401); null when it cannot go there (the client
 * has been told why through `error`, which says nothing for a NOTICE: RFC 2812 §3.3.2).
 */
export function resolveDestination(
  s: Session,
  target: string,
  text: string | undefined,
  error: ErrorReply = (code, ...p) => s.numeric(code, ...p),
): Destination | null {
  const server = s.server;
  if (isChannelName(target)) {
    const channel = server.directory.findChannel(foldCase(target));
    if (channel === undefined) {
      error(N.ERR_NOSUCHCHANNEL, target, 'No such channel');
      return null;
    }
    const refusal = channel.sendRefusal(s);
    if (refusal !== null) {
      error(N.ERR_CANNOTSENDTOCHAN, channel.name, refusal);
      return null;
    }
    // The same +C rule as a plain message: an edit or a batch is no way around it.
    if (channel.noCtcp && text !== undefined && isBlockedCtcp(text)) {
      error(N.ERR_CANNOTSENDTOCHAN, channel.name, 'Cannot send to channel (+C: no CTCP)');
      return null;
    }
    return { kind: 'channel', name: channel.name, conversation: channel.folded, channel };
  }
  const user = server.directory.findUser(foldCase(target));
  if (user === undefined || !user.registered) {
    error(N.ERR_NOSUCHNICK, target, 'No such nick/channel');
    return null;
  }
  return { kind: 'user', name: user.nick, conversation: dm(s.identity, user.identity), user };
}

/** Fan-out of a message the sender sent: recipients, then the sender's echo (as messaging.ts). */
function deliver(s: Session, to: Destination, out: Outgoing, command: Command): void {
  const server = s.server;
  if (to.kind === 'channel') {
    server.metrics.deliveriesOut += to.channel.broadcast(out, s);
  } else {
    const user = to.user;
    if (command !== 'TAGMSG' || user.caps & Cap.messageTags) {
      if (user === s.person) s.deliverUnlabeled(out);
      else user.deliver(out);
      server.metrics.deliveriesOut++;
    }
    if (command === 'PRIVMSG' && user.away !== null) s.numeric(N.RPL_AWAY, user.nick, user.away);
  }
  if (s.hasCap(Cap.echoMessage)) s.deliver(out);
}

interface Refusal {
  code: string;
  text: string;
  context: string[];
}

/**
 * Runs a durable change, then delivers, or tells the client why not (never for a NOTICE,
 * RFC 2812 §3.3.2: no error reply to a notice). `work` resolves to a refusal, to false
 * (nothing changed: no delivery), or to true.
 *
 * The command is accepted now, so it takes its place in the order of deliveries now
 * (docs/ARCHITECTURE.md "Order of deliveries"): a server-wide gate, like a PRIVMSG waiting
 * for its history write. Whatever the server accepts after it (the sender's next message, a
 * NICK on another connection) reaches every connection after it, and it reaches them after
 * everything accepted before it, however long its history checks take.
 */
function afterDurable(s: Session, command: string, work: Promise<Refusal | boolean>, then: () => void): void {
  const quiet = command === 'NOTICE';
  const gate = s.server.output.openGate();
  let outcome: Refusal | boolean = false;
  s.deferUntil(
    work.then((r) => {
      outcome = r;
    }),
    () => {
      writeFailures(s.server).succeeded();
      if (outcome === true) then();
      else if (outcome !== false && !quiet)
        s.sendFail(command, outcome.code, outcome.text, ...outcome.context);
    },
    (err) => {
      writeFailures(s.server).failed(err); // one line per condition, not per message
      if (quiet) return;
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

/** Reactions and edits to one target (called by messaging.ts when needsHistoryCheck). */
export function sendWithHistoryCheck(
  s: Session,
  command: Command,
  targets: readonly string[],
  text: string | undefined,
  tags: Tags,
  error: ErrorReply,
): void {
  if (targets.length !== 1) {
    error(N.ERR_TOOMANYTARGETS, targets.join(','), 'Reactions and edits go to one target at a time');
    return;
  }
  const to = resolveDestination(s, targets[0]!, command === 'TAGMSG' ? undefined : text, error);
  if (to === null) return;
  s.idleSince = Date.now();
  s.server.metrics.messagesIn++;
  if (command === 'TAGMSG') sendReaction(s, to, tags, reactionOf(tags)!);
  else sendMessage(s, command, to, text!, tags, false);
}

function sendReaction(s: Session, to: Destination, tags: Tags, ref: ReactionRef): void {
  const store = s.server.store!;
  if (ref.emoji.length > MAX_REACTION_LENGTH) {
    s.sendFail(
      'TAGMSG',
      'INVALID_REACTION',
      `A reaction is at most ${MAX_REACTION_LENGTH} characters`,
      to.name,
    );
    return;
  }
  const now = Date.now();
  const out = new Outgoing(s.mask, 'TAGMSG', [to.name], serverTime(now), newMsgid(now), s.account, tags);
  rememberSent(s, out.msgid!);
  const work: Promise<Refusal | boolean> =
    ref.kind === 'react'
      ? store
          .addReaction({
            message: storedMessage(s, out, to.conversation, now, null),
            to: ref.to,
            identity: s.identity,
            emoji: ref.emoji,
          })
          // A reaction to a message this server does not know is relayed but not stored:
          // client tags are the clients' business (message-tags §Client-only tags).
          .then((r) => r === 'unknown' || r === 'added')
      : store.removeReaction(to.conversation, ref.to, s.identity, ref.emoji);
  afterDurable(s, 'TAGMSG', work, () => deliver(s, to, out, 'TAGMSG'));
}

/**
 * A PRIVMSG or NOTICE through the checked path: an edit (checked against the message it
 * replaces) or a multiline message (one stored message, delivered as a batch or as lines).
 */
export function sendMessage(
  s: Session,
  command: 'PRIVMSG' | 'NOTICE',
  to: Destination,
  text: string,
  tags: Tags | null,
  multiline: boolean,
  /** A client batch's lines (multiline.ts), relayed as sent to clients with the capability. */
  lines: readonly Piece[] | null = null,
): void {
  const server = s.server;
  const now = Date.now();
  const time = serverTime(now);
  const msgid = newMsgid(now);
  const out = multiline
    ? new MultilineOutgoing(s.mask, to.name, text, time, msgid, s.account, tags, server.newBatchId(), lines)
    : new Outgoing(
        s.mask,
        command,
        [to.name, fitText(s.mask, command, to.name, text)],
        time,
        msgid,
        s.account,
        tags,
      );
  const store = server.store;
  const writer = server.historyWriter;
  if (store === null || writer === null) {
    deliver(s, to, out, command);
    return;
  }
  rememberSent(s, msgid);
  const edited = editOf(tags);
  const check = edited === null ? Promise.resolve(null) : checkEdit(s, store, to, edited);
  const work = check.then(async (refusal): Promise<Refusal | boolean> => {
    if (refusal !== null) return refusal;
    await writer.write(storedMessage(s, out, to.conversation, now, multiline ? text : out.params[1]!));
    return true;
  });
  afterDurable(s, command, work, () => deliver(s, to, out, command));
}

/** Whether `s` may replace the message `msgid` of this conversation (null: yes). */
async function checkEdit(s: Session, store: Store, to: Destination, msgid: string): Promise<Refusal | null> {
  const original = await store.findMessage(msgid);
  if (original === null || original.conversation !== to.conversation) {
    return {
      code: 'UNKNOWN_MSGID',
      text: 'This message does not exist or is too old',
      context: [to.name, msgid],
    };
  }
  if (original.command === 'TAGMSG' || editOf(original.clientTags) !== null) {
    return {
      code: 'INVALID_EDIT',
      text: 'Only an original message can be edited',
      context: [to.name, msgid],
    };
  }
  if (!isAuthor(s, original)) {
    return {
      code: 'EDIT_FORBIDDEN',
      text: 'You are not authorised to edit this message',
      context: [to.name, msgid],
    };
  }
  return null;
}

// ------------------------------------------------------------------ REDACT

/** REDACT <target> <msgid> [:reason] (IRCv3 draft/message-redaction §Command). */
function redact(s: Session, msg: IrcMessage): void {
  const server = s.server;
  const [target, msgid] = msg.params as [string, string];
  const reason = msg.params[2] === undefined || msg.params[2] === '' ? null : msg.params[2];
  const store = server.store;
  if (store === null || server.historyWriter === null) {
    s.sendFail('REDACT', 'UNKNOWN_MSGID', 'This server keeps no history to redact', target, msgid);
    return;
  }
  let channel: Channel | null = null;
  let peer: User | null = null;
  let conversation: string;
  let name = target;
  if (isChannelName(target)) {
    channel = server.directory.findChannel(foldCase(target)) ?? null;
    if (channel === null || !channel.members.has(s)) {
      s.sendFail('REDACT', 'INVALID_TARGET', `You cannot delete messages from ${target}`, target);
      return;
    }
    conversation = channel.folded;
    name = channel.name;
  } else {
    const found = server.directory.findUser(foldCase(target));
    peer = found?.registered ? found : null;
    conversation = dm(s.identity, peer !== null ? peer.identity : `a:${foldCase(target)}`);
    if (peer !== null) name = peer.nick;
  }
  const now = Date.now();
  const out = new Outgoing(
    s.mask,
    'REDACT',
    reason === null ? [name, msgid] : [name, msgid, reason],
    serverTime(now),
    newMsgid(now),
    s.account,
  );
  const work = (async (): Promise<Refusal | boolean> => {
    const found = (await store.findMessage(msgid)) ?? (await store.findReaction(msgid))?.message ?? null;
    // Not revealing whether a msgid exists elsewhere (redaction §Server implementation considerations).
    if (found === null || found.conversation !== conversation) {
      return {
        code: 'UNKNOWN_MSGID',
        text: 'This message does not exist or is too old',
        context: [name, msgid],
      };
    }
    // Someone else's message needs authority that outlives a connection (docs/PERMISSIONS.md):
    // the room's founder or an operator they named, or a server operator. Channel ops held by
    // whoever happens to be there cover modes, kicks and topic, never history.
    const lasting = channel !== null && server.channelHooks?.holdsAuthority(s, channel.folded) === true;
    const allowed = isAuthor(s, found) || lasting || s.isOper;
    if (!allowed) {
      return {
        code: 'REDACT_FORBIDDEN',
        text: 'You are not authorised to delete this message',
        context: [name, msgid],
      };
    }
    return store.redact({
      msgid: out.msgid!,
      redacted: msgid,
      conversation,
      target: name,
      time: now,
      sender: s.mask,
      senderAccount: s.account,
      reason,
    });
  })();
  afterDurable(s, 'REDACT', work, () => {
    // Only to clients with the capability (redaction §Command); the others keep what they saw.
    if (channel !== null) channel.broadcast(out, s, Cap.messageRedaction);
    else if (peer !== null && peer !== s.person && peer.caps & Cap.messageRedaction) peer.deliver(out);
    if (s.hasCap(Cap.messageRedaction)) s.deliver(out);
  });
}
