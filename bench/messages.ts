/** What the coordinator and the load-generating worker threads say to each other. */
import type { HistogramSnapshot } from './histogram.js';

export interface ClientSpec {
  /** Global client id (the coordinator's). */
  id: number;
  nick: string;
  /** Capabilities to request; registration waits for the ACK or NAK. */
  caps: string[];
  /** A room to JOIN right after registration; the client is done once it sees 366. */
  join?: string;
  /** Source address to bind (several 127.0.0.x addresses for very many connections). */
  localAddress?: string;
}

export interface OpenCommand {
  op: 'open';
  host: string;
  port: number;
  clients: ClientSpec[];
  /** Connections in progress at once (0: all at once). */
  concurrency: number;
  /** New connections per second, open loop (0: closed loop with `concurrency`). */
  rate: number;
  timeoutMs: number;
}

export interface OpenResult {
  ok: number;
  failed: number;
  errors: string[];
  /** Shared-clock ms of the first connect() and of the last client done. */
  firstStart: number;
  lastDone: number;
  /** connect() → end of MOTD (and → 366 when joining), ms. */
  registerMs: HistogramSnapshot;
  /** Caps the server refused (CAP NAK), by name. */
  refusedCaps: string[];
}

export interface JoinCommand {
  op: 'join';
  ids: number[];
  room: string;
  concurrency: number;
  timeoutMs: number;
}

export interface JoinResult {
  ok: number;
  failed: number;
  errors: string[];
}

export interface SenderSpec {
  /** Sender index in the plan (0..S-1), written in every message. */
  sid: number;
  clientId: number;
  /** Worker that holds the client. */
  worker: number;
  /** Channel or nick the messages go to. */
  target: string;
  /** Client ids that receive each message (with echo-message, the sender too). */
  receivers: number[];
}

export interface TrafficPlan {
  /** Written in every message; receivers ignore other phases' stragglers. */
  phase: number;
  workers: number;
  senders: SenderSpec[];
  /** max: closed loop bounded by `window`; paced: open loop at `ratePerSender`. */
  mode: 'max' | 'paced';
  ratePerSender: number;
  /**
   * max mode: messages in flight per sender. With `ack: 'deliveries'` a message is in flight
   * until every receiver has it (counted in aggregate, like ircbench); with `ack: 'echo'`
   * until the sender sees its own echo (echo-message: the server's acknowledgement).
   */
  window: number;
  ack: 'deliveries' | 'echo';
  /** Most messages per sender (0: no limit); a sender that reached it is done. */
  limit: number;
  /** Shared-clock ms: sending starts at t0; deliveries are counted between tStart and tEnd; sending stops at tEnd. */
  t0: number;
  tStart: number;
  tEnd: number;
  /** Bytes of message text. */
  size: number;
  drainTimeoutMs: number;
  /** Keep every (receive time, latency) pair (low-rate traffic only: used for timelines). */
  samples: boolean;
  /** Shared counters: delivered[worker * S + sid] (Int32), sent[sid], blocked[sid], wake[worker], done[worker]. */
  shared: {
    delivered: SharedArrayBuffer;
    sent: SharedArrayBuffer;
    blocked: SharedArrayBuffer;
    wake: SharedArrayBuffer;
    done: SharedArrayBuffer;
  };
}

export interface TrafficCommand {
  op: 'traffic';
  plan: TrafficPlan;
}

/** Ends a running traffic phase early (at shared-clock time `at`). */
export interface StopCommand {
  op: 'stop';
  phase: number;
  at: number;
}

export interface TrafficResult {
  /** Messages sent in [tStart, tEnd] and in all, by this worker's senders. */
  sentInWindow: number;
  sentTotal: number;
  /** Deliveries to this worker's clients received in [tStart, tEnd] and in all. */
  deliveredInWindow: number;
  deliveredTotal: number;
  /** Deliveries expected after the drain but never received. */
  undelivered: number;
  /** Echoes of own messages received in [tStart, tEnd] (ack: 'echo'). */
  ackedInWindow: number;
  ackedTotal: number;
  latency: HistogramSnapshot;
  /** Send → echo, for ack: 'echo'. */
  ackLatency: HistogramSnapshot;
  /** [receive time, latency ms] pairs, flattened, when the plan asked for samples. */
  samples: number[];
  /** Clients of this worker that disconnected during the phase. */
  disconnects: number;
  drained: boolean;
}

export interface ReadPlan {
  phase: number;
  readers: number[];
  target: string;
  limit: number;
  /** Wall-clock ms range of the stored messages (BEFORE timestamps are drawn from it). */
  fromWall: number;
  toWall: number;
  t0: number;
  tStart: number;
  tEnd: number;
  timeoutMs: number;
}

export interface ReadsCommand {
  op: 'reads';
  plan: ReadPlan;
}

export interface ReadsResult {
  readsInWindow: number;
  linesInWindow: number;
  readsTotal: number;
  emptyReplies: number;
  failures: number;
  errors: string[];
  latency: HistogramSnapshot;
}

export interface CloseCommand {
  op: 'close';
  /** Client ids, or all of this worker's clients. */
  ids: number[] | 'all';
  /** quit: QUIT and wait for the server to close; destroy: drop the socket at once. */
  how: 'quit' | 'destroy';
  timeoutMs: number;
}

export interface CloseResult {
  closed: number;
}

export type Command = OpenCommand | JoinCommand | TrafficCommand | StopCommand | ReadsCommand | CloseCommand;

export type Request = Command & { req: number };

export type Reply =
  | { req: number; ok: true; data: unknown }
  | { req: number; ok: false; error: string }
  | { req: -1; ok: false; error: string; fatal: true };
