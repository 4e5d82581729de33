/**
 * What a client knows and waits for while connected: the rooms and who is in them, the
 * registration and capability steps, open batches and pending history requests. The
 * connection code (base.ts) and the handlers of what the server sends (receive/) share it.
 */
import type { NamesEntry, RoomListing } from './events.js';
import type { HistoryRequest, OpenBatch } from './pending.js';

export class ClientState {
  attempt = 0;
  everRegistered = false;
  /** USER went out (it waits for the nick to be accepted, see proposeNick). */
  userSent = false;
  /** A NICK was refused since the last one proposed. */
  nickRefused = false;
  offered = new Map<string, string | null>();
  capEnded = false;
  readonly channels = new Map<string, { name: string; topic: string; users: Map<string, NamesEntry> }>();
  /** Rooms this client wants to be in (rejoined after reconnecting), by folded name. */
  readonly wanted = new Map<string, string>();
  readonly namesBuffer = new Map<string, NamesEntry[]>();
  listBuffer: RoomListing[] = [];
  /** The server said this session was ended from another (FAIL * SESSION_ENDED): stay closed. */
  endedElsewhere = false;
  /** Last msgid seen per conversation (folded), for catch-up. */
  readonly lastMsgid = new Map<string, string>();
  readonly seen = new Set<string>();
  readonly batches = new Map<string, OpenBatch>();
  readonly labeled = new Map<string, HistoryRequest>();
  readonly unlabeled: HistoryRequest[] = [];
  /** The last label given to a history request (labeled-response). */
  labelSeq = 0;
  connectWaiter: { resolve: () => void; reject: (err: Error) => void } | null = null;
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
