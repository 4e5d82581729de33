/**
 * What a client knows and waits for while connected: the rooms and who is in them, the
 * registration and capability steps, open batches and pending history requests. The
 * connection code (base.ts) and the handlers of what the server sends (receive/) share it.
 */
import type { NamesEntry, RoomListing } from './events.js';
import type { HistoryRequest, OpenBatch } from './pending.js';

export class ClientState {
  /** Reconnection attempts in a row (reset by a welcome). */
  attempt = 0;
  /** Registered once already: the next welcome is a reconnection. */
  everRegistered = false;
  /** USER went out (it waits for the nick to be accepted, see proposeNick). */
  userSent = false;
  /** A NICK was refused since the last one proposed. */
  nickRefused = false;
  /** Capabilities offered in CAP LS, with their values. */
  offered = new Map<string, string | null>();
  /** CAP END went out for this connection. */
  capEnded = false;
  /** Rooms we are in, by folded name: their name, topic and members. */
  readonly channels = new Map<string, { name: string; topic: string; users: Map<string, NamesEntry> }>();
  /** Rooms this client wants to be in (rejoined after reconnecting), by folded name. */
  readonly wanted = new Map<string, string>();
  /** NAMES replies (353) gathered until 366, by folded room name. */
  readonly namesBuffer = new Map<string, NamesEntry[]>();
  /** LIST replies (322) gathered until 323. */
  listBuffer: RoomListing[] = [];
  /** The server said this session was ended from another (FAIL * SESSION_ENDED): stay closed. */
  endedElsewhere = false;
  /** Last msgid seen per conversation (folded), for catch-up. */
  readonly lastMsgid = new Map<string, string>();
  /** Msgids already emitted (the latest 10,000), so a message is never shown twice. */
  readonly seen = new Set<string>();
  /** Open batches by reference. */
  readonly batches = new Map<string, OpenBatch>();
  /** History requests waiting for their reply, by label (labeled-response)... */
  readonly labeled = new Map<string, HistoryRequest>();
  /** ...or in the order sent, without labeled-response. */
  readonly unlabeled: HistoryRequest[] = [];
  /** The last label given to a history request (labeled-response). */
  labelSeq = 0;
  /** connect() waiting for the welcome. */
  connectWaiter: { resolve: () => void; reject: (err: Error) => void } | null = null;
  /** registerAccount() waiting for REGISTER SUCCESS or FAIL. */
  registerWaiter: {
    account: string;
    password: string;
    resolve: () => void;
    reject: (err: Error) => void;
  } | null = null;
  /** Rooms to catch up on once our JOIN of them is echoed (after a reconnection). */
  readonly pendingCatchUp = new Set<string>();
  /** The end of the MOTD was handled for this connection. */
  welcomed = false;
}
