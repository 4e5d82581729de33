/**
 * What the handlers of server lines (receive/*.ts) may touch of a client: its public side,
 * its shared state (state.ts), and the few private steps they trigger. ChatClientBase
 * builds one Receiver for itself, so its private members stay private; the history and
 * profile requests (history.ts, profile-requests.ts) work through it too.
 */
import type { IrcMessage } from '../../protocol/message.js';
import type { ChatClientBase } from '../base.js';
import type { ChatClientEvents } from '../events.js';
import type { ClientOptions } from '../options.js';
import type { Profiles } from '../profiles.js';
import type { SearchQueue } from '../search.js';
import type { SessionsReader } from '../sessions.js';
import type { ClientState } from '../state.js';
import { fold } from '../text.js';

export interface Receiver {
  /** The client's public side: send, caps, currentNick, registered, account, isupport. */
  readonly client: ChatClientBase;
  readonly state: ClientState;
  /** The client's options (REGISTER fills in account and password for reconnections). */
  readonly opts: ClientOptions;
  readonly profiles: Profiles;
  readonly sessionsReader: SessionsReader;
  readonly searches: SearchQueue;
  emit<K extends keyof ChatClientEvents & string>(event: K, payload: ChatClientEvents[K]): void;
  proposeNick(nick: string): void;
  sendUser(): void;
}

/** The handler of one command (or numeric) from the server. */
export type Handler = (r: Receiver, msg: IrcMessage) => void;
export type Handlers = Record<string, Handler>;

/** The pending-request key of a CHATHISTORY TARGETS request (no conversation is named so). */
export const TARGETS = ' targets';
/** The PING token whose PONG says the proposed nick was not refused (see proposeNick). */
export const NICK_PROBE = 'tertulia-nick-check';

export function isMe(r: Receiver, nick: string): boolean {
  return fold(nick) === fold(r.client.currentNick);
}
