/**
 * Seams for network services (NickServ, ChanServ) and for anything that must react to
 * channel life (registered channels restoring their topic, modes and operators).
 * The core calls these; the accounts layer implements them.
 */
import type { Channel } from './channel.js';
import type { ChatServer } from './server.js';
import type { Session } from './session.js';
import type { User } from './user.js';

/** A service pseudo-user that answers PRIVMSG/NOTICE sent to its nick. */
export interface Service {
  /** Nick shown as the source of its replies (e.g. NickServ). */
  readonly nick: string;
  /** Shown as its real name in WHOIS/WHO (e.g. "Nickname services"). */
  readonly realname?: string;
  /** Handles one message addressed to the service (never delivered anywhere else). */
  receive(session: Session, command: 'PRIVMSG' | 'NOTICE', text: string): void | Promise<void>;
}

export interface ChannelHooks {
  /** A channel was just created in memory (first join): restore persisted state into it. */
  created(channel: Channel): void | Promise<void>;
  /** A user joined; may grant prefix modes (e.g. founder gets +o). Called before the JOIN is announced. */
  joining(user: User, channel: Channel): void;
  /** Topic or modes changed: persist them if the channel is registered. */
  changed(channel: Channel): void;
  /** Whether a folded room name is registered (RENAME refuses to move registered rooms). */
  isRegistered?(folded: string): boolean;
  /**
   * Whether `user` holds lasting authority over the room named `folded` (its founder or an
   * operator the founder named, by account): what removing other people's history needs.
   */
  holdsAuthority(user: User, folded: string): boolean;
}

/** What the core asks of the accounts layer (SASL, nick protection); null without it. */
export interface AccountHooks {
  /** Connection registration is about to complete: an unfinished SASL exchange is aborted (906). */
  beforeWelcome(session: Session): void;
  /**
   * Registration is about to complete: null when it may go on now, or a promise after which
   * it is tried again (a registered nick asked for without logging in is a guest nick by then).
   */
  admitNick(session: Session): Promise<void> | null;
  /**
   * A registered session asks for `folded` with NICK: null when it may take it now, or a
   * promise of whether it may (false: the refusal has been sent).
   */
  nickAllowed(session: Session, nick: string, folded: string): Promise<boolean> | null;
  /** A registered session now uses this nick (after the welcome, or after NICK): protect registered nicks. */
  nickSettled(session: Session): void;
}

/**
 * A service as a read-only user, so WHOIS, WHO, ISON, USERHOST and MONITOR answer for it
 * (`NickServ!services@<server>`). It is not in the directory: it never joins channels and
 * is not counted by LUSERS.
 */
export function serviceUser(server: ChatServer, folded: string): User | undefined {
  const service = server.services.get(folded);
  if (service === undefined) return undefined;
  const host = server.config.serverName;
  const at = server.createdAt.getTime();
  return {
    nick: service.nick,
    folded,
    username: 'services',
    host,
    ip: host,
    realname: service.realname ?? 'Network service',
    account: null,
    away: null,
    isOper: false,
    invisible: false,
    wallops: false,
    secure: false,
    serverName: host,
    signonAt: at,
    idleSince: Date.now(),
    caps: 0,
    channels: new Set<Channel>(),
    mask: `${service.nick}!services@${host}`,
    identity: `s:${folded}`,
    registered: true,
    local: true,
    leftChannel: () => {},
    deliver: () => {},
  };
}
