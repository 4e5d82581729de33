/**
 * One client connection: registration state, capabilities and the inbound command pipeline
 * (validation → flood control → dispatch). Its output goes through a `SendQueue`
 * (core/send-queue.ts: coalesced per event-loop turn, bounded by the send-queue limit).
 *
 * A Session is also a `User`, whose identity (nick, names, account, modes, rooms) is its
 * person's (person.ts): a person may have several sessions, and the directory and the rooms
 * hold the person. What stays here is the connection's own: capabilities, away, queues.
 */
import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { foldCase } from '../protocol/casemapping.js';
import { type IrcMessage, MAX_BODY_BYTES, MAX_CLIENT_TAGS_BYTES, parseLine } from '../protocol/message.js';
import * as N from '../protocol/numerics.js';
import { Cap } from './caps.js';
import type { Channel } from './channel.js';
import type { OpenMultiline } from './commands/multiline.js';
import { TokenBucket } from './flood.js';
import { MULTILINE_MAX_LINES } from './multiline-limits.js';
import { Outgoing } from './outgoing.js';
import { Person } from './person.js';
import { noteLeft } from './replay.js';
import { type Gate, SendQueue, type SendQueueOwner, type Slot } from './send-queue.js';
import type { ChatServer } from './server.js';
import type { Transport } from './transport.js';
import type { User } from './user.js';

export enum State {
  Registering = 0,
  Registered = 1,
  Closed = 2,
}

interface Capture {
  label: string;
  items: Outgoing[];
}

/** A labeled-response capture taken off one command to be finished by a later one. */
export type DetachedLabel = Capture;

let nextSessionId = 1;

/** Commands that may run while this client's earlier messages are still being stored. */
const PIPELINED = new Set(['PRIVMSG', 'NOTICE', 'TAGMSG']);

/**
 * Bytes of input that may wait, however few the lines: a line can be 8.7 KB, so a line
 * count alone would let one client park megabytes.
 */
const BACKLOG_MAX_BYTES = 256 * 1024;

/** Lines that may wait behind a slow command (or from an operator) before the client is cut off. */
const BUSY_BACKLOG_LIMIT = 1000;

/** Whether a raw line carries a `batch` tag (a line of a client multiline batch). */
function isBatchLine(bytes: Buffer): boolean {
  if (bytes[0] !== 0x40) return false; // '@'
  const space = bytes.indexOf(0x20);
  return (space === -1 ? bytes : bytes.subarray(0, space)).indexOf('batch=') !== -1;
}

export class Session implements User, SendQueueOwner {
  readonly id = nextSessionId++;
  state = State.Registering;
  readonly ip: string;
  /**
   * The person this connection belongs to (person.ts): its own until registration, another
   * connection's when it logs in to an account already on the network (attach). Nick, names,
   * account, modes and rooms are the person's; capabilities, away and the queues are this
   * connection's.
   */
  person: Person;
  /** This connection's own AWAY message; the person is away only when every connection is. */
  ownAway: string | null = null;
  caps = 0;
  /** CAP LS version (302 enables values and cap-notify). */
  capVersion = 0;
  /** True between CAP LS/REQ and CAP END: registration waits. */
  capNegotiating = false;
  /** Sent with PASS before registration. */
  password: string | null = null;
  userGiven = false;
  /** Before registration: the NICK given is someone's account nick, held until login decides (attach). */
  nickHeld = false;
  /** A PASS account:password check is running: registration waits for it. */
  loginPending = false;
  /** MONITOR list: folded nick → the nick as the client wrote it. */
  monitoring: Map<string, string> | null = null;
  /** When this connection was opened (SESSIONS); the person's own signon time is WHOIS's. */
  readonly connectedAt = Date.now();
  /** Last time anything arrived; drives PING and Ping timeout. */
  lastSeen = Date.now();
  pingSentAt = 0;

  private readonly bucket: TokenBucket;
  /** Lines waiting for flood tokens or for an async command to finish. */
  private backlog: Buffer[] | null = null;
  private backlogBytes = 0;
  private drainTimer: NodeJS.Timeout | null = null;
  private capture: Capture | null = null;
  /** What this connection has been sent and its transport has not taken yet. */
  readonly sendQueue: SendQueue;
  quitReason: string | null = null;
  /** Dropped for SendQ (it stopped reading): its transport may discard what it holds. */
  droppedForSendq = false;
  /** The client's open draft/multiline batch (commands/multiline.ts), if any. */
  multiline: OpenMultiline | null = null;
  /**
   * Set when this connection became a relay to the node holding its person (cluster mode,
   * src/cluster/relay-connection.ts): every line the client sends goes there, unprocessed.
   */
  relay: ((line: Buffer) => void) | null = null;

  constructor(
    readonly server: ChatServer,
    readonly transport: Transport,
  ) {
    this.ip = transport.remoteAddress;
    this.person = new Person(server.census, server.config.serverName, transport.remoteAddress);
    this.person.attach(this);
    this.bucket = new TokenBucket(server.config.floodBurst, server.config.floodRate, Date.now());
    this.sendQueue = new SendQueue(server.output, transport, this);
  }

  /** Drawn the first time it is needed: most connections never ask for it. */
  private guestTokenValue: string | null = null;

  /** Random per-connection token: a guest's identity for private history. */
  get guestToken(): string {
    this.guestTokenValue ??= randomBytes(9).toString('base64url');
    return this.guestTokenValue;
  }

  get identity(): string {
    return this.person.identity;
  }

  /** Always a connection to this process (a prototype getter: no field in every session). */
  get local(): true {
    return true;
  }

  // The person's state, read and written through the connection the command came from.
  get nick(): string {
    return this.person.nick;
  }
  set nick(value: string) {
    this.person.nick = value;
  }
  get folded(): string {
    return this.person.folded;
  }
  set folded(value: string) {
    this.person.folded = value;
  }
  get username(): string {
    return this.person.username;
  }
  set username(value: string) {
    this.person.username = value;
  }
  get realname(): string {
    return this.person.realname;
  }
  set realname(value: string) {
    this.person.realname = value;
  }
  get host(): string {
    return this.person.host;
  }
  set host(value: string) {
    this.person.host = value;
  }
  get account(): string | null {
    return this.person.account;
  }
  set account(value: string | null) {
    this.person.account = value;
  }
  get wallops(): boolean {
    return this.person.wallops;
  }
  set wallops(value: boolean) {
    this.person.wallops = value;
  }
  get signonAt(): number {
    return this.person.signonAt;
  }
  get idleSince(): number {
    return this.person.idleSince;
  }
  set idleSince(value: number) {
    this.person.idleSince = value;
  }
  get operName(): string | null {
    return this.person.operName;
  }
  set operName(value: string | null) {
    this.person.operName = value;
  }

  /** This connection's away (AWAY); the person's is `person.away`. */
  get away(): string | null {
    return this.ownAway;
  }
  set away(value: string | null) {
    this.ownAway = value;
  }

  /** The person's other connections (their devices besides this one). */
  otherConnections(): Session[] {
    // Only sessions ever attach to a person (person.ts keeps the narrow Connection type).
    return (this.person.connections as Session[]).filter((c) => c !== this);
  }

  get channels(): ReadonlySet<Channel> {
    return this.person.channels;
  }

  /** Records a membership (the room's member list is the caller's). */
  joinedChannel(channel: Channel): void {
    this.person.joinedChannel(channel);
  }

  leftChannel(channel: Channel): void {
    this.person.leftChannel(channel);
    noteLeft(this, foldCase(channel.name)); // what a re-join does not replay again
  }

  get isOper(): boolean {
    return this.person.isOper;
  }

  set isOper(value: boolean) {
    this.person.isOper = value;
  }

  get invisible(): boolean {
    return this.person.invisible;
  }

  set invisible(value: boolean) {
    this.person.invisible = value;
  }

  get registered(): boolean {
    return this.state === State.Registered;
  }

  get secure(): boolean {
    return this.transport.secure;
  }

  /** SHA-256 fingerprint of the TLS client certificate (lowercase hex), or null. */
  get certFingerprint(): string | null {
    return this.transport.certFingerprint ?? null;
  }

  get serverName(): string {
    return this.server.config.serverName;
  }

  get mask(): string {
    return this.nick + '!' + this.username + '@' + this.host;
  }

  hasCap(bit: number): boolean {
    return (this.caps & bit) !== 0;
  }

  // ---------------------------------------------------------------- input

  /**
   * One complete line from the gateway (without CR/LF). The bytes may be a view of the
   * gateway's read buffer, valid only during this call: they are copied if they are kept.
   */
  receiveLine(bytes: Buffer): void {
    if (this.state === State.Closed || this.quitReason !== null) return;
    if (this.relay !== null) {
      // The holding node runs this connection's commands (and its flood rules).
      this.relay(bytes);
      return;
    }
    this.lastSeen = Date.now();
    this.pingSentAt = 0;
    if (this.busy) {
      // Waiting behind a slow command is not flooding: only a memory bound applies here,
      // and the flood bucket is still charged when the line is taken from the backlog.
      this.enqueue(bytes, BUSY_BACKLOG_LIMIT);
      return;
    }
    if (
      this.backlog !== null ||
      (!this.isOper && !this.multilineLine() && !this.bucket.take(this.lastSeen))
    ) {
      // A multiline batch's lines may queue behind it like an operator's: the batch has
      // its own limits, and the bucket still applies if no batch turns out to be open.
      const limit = this.isOper || isBatchLine(bytes) ? BUSY_BACKLOG_LIMIT : this.server.config.floodQueue;
      this.enqueue(bytes, limit);
      return;
    }
    this.processLine(bytes);
  }

  /**
   * Lines inside an open multiline batch arrive all at once by design, so they are not
   * charged to the flood bucket (the BATCH command is), up to the batch's line limit.
   */
  private multilineLine(): boolean {
    const open = this.multiline;
    return open !== null && ++open.received <= MULTILINE_MAX_LINES + 1;
  }

  /** The gateway dropped a line longer than any valid message. */
  receiveOverlong(): void {
    if (this.state === State.Closed || this.quitReason !== null) return;
    this.lastSeen = Date.now();
    this.numeric(N.ERR_INPUTTOOLONG, 'Input line was too long');
  }

  /**
   * Turns this connection into a relay (cluster/relay-connection.ts): lines still waiting
   * here go to `to` first, in order, then every line that arrives.
   */
  relayTo(to: (line: Buffer) => void): void {
    if (this.drainTimer !== null) clearTimeout(this.drainTimer);
    this.drainTimer = null;
    const waiting = this.backlog ?? [];
    this.backlog = null;
    this.backlogBytes = 0;
    this.relay = to;
    for (const line of waiting) to(line);
  }

  private enqueue(bytes: Buffer, limit: number): void {
    this.backlog ??= [];
    if (this.backlog.length >= limit || this.backlogBytes + bytes.length > BACKLOG_MAX_BYTES) {
      this.server.metrics.floodDisconnects++;
      this.server.disconnect(this, 'Excess Flood');
      return;
    }
    this.backlog.push(Buffer.from(bytes));
    this.backlogBytes += bytes.length;
    this.scheduleDrain();
  }

  private scheduleDrain(): void {
    if (this.drainTimer !== null || this.busy || this.backlog === null) return;
    const wait = this.isOper ? 0 : this.bucket.waitMs(Date.now());
    this.drainTimer = setTimeout(() => {
      this.drainTimer = null;
      this.drain();
    }, wait);
  }

  private drain(): void {
    while (this.backlog !== null && !this.busy && this.state !== State.Closed) {
      if (!this.isOper && !this.multilineLine() && !this.bucket.take(Date.now())) break;
      const next = this.backlog.shift()!;
      this.backlogBytes -= next.length;
      if (this.backlog.length === 0) this.backlog = null;
      this.processLine(next);
    }
    if (this.backlog !== null && this.state !== State.Closed) this.scheduleDrain();
  }

  private processLine(bytes: Buffer): void {
    if (this.quitReason !== null) return;
    if (bytes.includes(0)) {
      this.numeric(N.ERR_UNKNOWNERROR, '*', 'Message contains a NUL byte and was ignored');
      return;
    }
    if (!isUtf8(bytes)) {
      // UTF8ONLY (ircv3 utf8-only): reject, never forward mis-encoded text to others.
      this.sendFail('*', 'INVALID_UTF8', 'Message rejected: this server only accepts UTF-8');
      return;
    }
    const parsed = parseLine(bytes.toString('utf8'));
    if (!parsed.ok) return; // blank or command-less lines are ignored, as most servers do
    const msg = parsed.message;
    if (bytes.length - parsed.tagBytes > MAX_BODY_BYTES - 2) {
      this.numeric(N.ERR_INPUTTOOLONG, 'Input line was too long');
      return;
    }
    if (parsed.tagBytes - 2 > MAX_CLIENT_TAGS_BYTES) {
      // message-tags "Size limit": a client's tag data (with or without the + prefix),
      // plus '@' and the space, may not exceed 4094 bytes; never truncate, reject.
      this.numeric(N.ERR_INPUTTOOLONG, 'Input line was too long (tags)');
      return;
    }
    if (this.inFlight > 0 && (this.barriers > 0 || !PIPELINED.has(msg.command))) {
      this.held = msg;
      return;
    }
    this.dispatch(msg);
  }

  private dispatch(msg: IrcMessage): void {
    const label = msg.tags['label'];
    if (label !== undefined && this.hasCap(Cap.labeledResponse) && label.length <= 64) {
      this.capture = { label, items: [] };
    }
    let result: void | Promise<void>;
    try {
      result = this.server.commands.run(this, msg);
    } catch (err) {
      this.server.log.error({ event: 'command.error', command: msg.command, err }, 'command failed');
      this.numeric(N.ERR_UNKNOWNERROR, msg.command, 'Internal error');
      result = undefined;
    }
    const capture = this.capture;
    this.capture = null;
    if (result instanceof Promise) {
      this.asyncRunning = true;
      // Until it settles, `resume` lets the handler reply inside its label.
      this.pendingCapture = capture;
      result
        .catch((err: unknown) => {
          this.server.log.error({ event: 'command.error', command: msg.command, err }, 'command failed');
        })
        .finally(() => {
          this.asyncRunning = false;
          this.pendingCapture = null;
          this.finishCapture(capture);
          this.afterWait();
        });
      return;
    }
    if (this.deferred) {
      this.deferred = false; // deferUntil finishes the labeled response later
      return;
    }
    this.finishCapture(capture);
  }

  /** An async command handler is running (OPER's password check). */
  private asyncRunning = false;
  /** A command that must wait until this client's earlier messages are durable. */
  private held: IrcMessage | null = null;
  /** Messages accepted from this client whose durable write has not finished. */
  private inFlight = 0;
  /** Deferred commands in flight that every later command must wait for. */
  private barriers = 0;
  /** Set by deferUntil during a dispatch. */
  private deferred = false;
  private pendingCapture: Capture | null = null;

  /** Later lines wait (in order) while a command runs or a held command waits. */
  private get busy(): boolean {
    return this.asyncRunning || this.held !== null;
  }

  /**
   * Runs `then` when `work` (a durable write) completes, or `failed` if it fails, inside
   * the current command's labeled response, which is finished afterwards. Commands other
   * than messages wait until every such write of this client completes, so whatever this
   * client does is seen by others in the order it was sent; consecutive messages pipeline.
   */
  deferUntil(
    work: Promise<unknown>,
    then: () => void,
    failed: (err: unknown) => void,
    /** Every later command waits, messages too (JOIN: nothing may go to a room not yet joined). */
    barrier = false,
    /**
     * The server-wide gate of a message not yet durable (OutputScheduler.openGate): `then`
     * or `failed` runs when it is released, in the order the gates were opened.
     */
    gate: Gate | null = null,
  ): void {
    const capture = this.capture;
    this.deferred = true;
    this.inFlight++;
    if (barrier) this.barriers++;
    // The reply's place in this connection's output is taken now, when the command is
    // accepted: whatever is sent to this client meanwhile waits behind it (send-queue.ts).
    const slot = this.sendQueue.reserve();
    const output = this.server.output;
    const inOrder = (fn: () => void): void => {
      if (gate === null) fn();
      else output.settle(gate, fn);
    };
    work
      .then(
        () => inOrder(() => this.runCaptured(capture, slot, then)),
        (err: unknown) => inOrder(() => this.runCaptured(capture, slot, () => failed(err))),
      )
      .finally(() => {
        this.inFlight--;
        if (barrier) this.barriers--;
        this.afterWait();
      });
  }

  private runCaptured(capture: Capture | null, slot: Slot, fn: () => void): void {
    const saved = this.capture;
    this.capture = capture;
    this.sendQueue.fill(slot, () => {
      try {
        fn();
      } catch (err) {
        this.server.log.error({ event: 'command.error', err }, 'deferred command failed');
      } finally {
        this.capture = saved;
      }
      this.finishCapture(capture);
    });
    this.sendQueue.release(slot);
  }

  /** Resumes input after an async command or durable writes complete. */
  private afterWait(): void {
    if (this.state === State.Closed) return;
    if (this.held !== null && this.inFlight === 0 && !this.asyncRunning) {
      const msg = this.held;
      this.held = null;
      this.dispatch(msg);
    }
    if (!this.busy && this.backlog !== null) this.drain();
  }

  /**
   * For async handlers: runs `fn` (which sends replies) inside the command's labeled
   * response, so replies sent after an await are still labeled.
   */
  resume(fn: () => void): void {
    const saved = this.capture;
    this.capture = this.pendingCapture;
    try {
      fn();
    } finally {
      this.capture = saved;
    }
  }

  /**
   * Takes the running command's labeled response away from it, so that a later command
   * answers the label (the label of a client batch is on its opening BATCH command).
   */
  detachLabel(): DetachedLabel | null {
    const capture = this.capture;
    this.capture = null;
    return capture;
  }

  /** Makes a detached label the running command's, replacing its own. */
  adoptLabel(label: DetachedLabel | null): void {
    if (label !== null) this.capture = label;
  }

  /** labeled-response: one reply gets the label, several a batch, none an ACK. */
  private finishCapture(capture: Capture | null): void {
    if (capture === null || this.isClosedForOutput) return;
    const { label, items } = capture;
    const caps = this.caps;
    if (items.length === 0) {
      this.write(new Outgoing(this.server.config.serverName, 'ACK', []).bytesWith(caps, { label }));
    } else if (items.length === 1) {
      this.write(items[0]!.bytesWith(caps, { label }));
    } else if (!this.hasCap(Cap.batch)) {
      this.write(items[0]!.bytesWith(caps, { label }));
      for (let i = 1; i < items.length; i++) this.write(items[i]!.bytesFor(caps));
    } else {
      const id = this.server.newBatchId();
      const name = this.server.config.serverName;
      this.write(new Outgoing(name, 'BATCH', ['+' + id, 'labeled-response']).bytesWith(caps, { label }));
      for (const item of items) this.write(item.bytesWith(caps, { batch: id }));
      this.write(new Outgoing(name, 'BATCH', ['-' + id]).bytesFor(caps));
    }
  }

  // ---------------------------------------------------------------- output

  /**
   * Closed, and not writing a reply it still owed (an echo of a message others were shown,
   * written into its reserved place while the connection closes: send-queue.ts `finish`).
   */
  private get isClosedForOutput(): boolean {
    return this.state === State.Closed && !this.sendQueue.filling;
  }

  /** Delivers a message (fan-out path); see User.deliver for `lazy`. */
  deliver(out: Outgoing, lazy = false): void {
    if (this.isClosedForOutput) return;
    if (this.capture !== null) {
      this.capture.items.push(out);
      return;
    }
    this.write(out.bytesFor(this.caps), lazy);
  }

  /** Delivers outside any labeled-response capture (side effects of one's own command). */
  deliverUnlabeled(out: Outgoing): void {
    if (!this.isClosedForOutput) this.write(out.bytesFor(this.caps));
  }

  /** Sends a reply from the server: `:server CMD params…`. */
  reply(command: string, params: string[]): void {
    this.deliver(new Outgoing(this.server.config.serverName, command, params));
  }

  /** Sends a numeric addressed to this client: `:server 123 nick params…`. */
  numeric(code: string, ...params: string[]): void {
    this.deliver(new Outgoing(this.server.config.serverName, code, [this.nick, ...params]));
  }

  /** IRCv3 standard-replies FAIL. */
  sendFail(command: string, code: string, text: string, ...context: string[]): void {
    this.reply('FAIL', [command, code, ...context, text]);
  }

  private write(bytes: Buffer, lazy = false): void {
    this.sendQueue.write(bytes, lazy);
  }

  /** For the send queue: nothing more is queued once the session closed. */
  get closed(): boolean {
    return this.state === State.Closed;
  }

  /** For the send queue: this client stopped reading. */
  sendqExceeded(reason: string): void {
    this.droppedForSendq = true;
    this.server.metrics.sendqDrops++;
    this.server.memoryGiveBack.noteDrop();
    this.server.disconnect(this, reason);
  }

  /** The transport took all it held (see Transport.writeMany). */
  transportDrained(): void {
    this.sendQueue.drained();
  }

  /** Hands the coalesced output to the transport now. */
  flush(): void {
    this.sendQueue.flush();
  }

  /** Stops timers; called once when the session closes. */
  dispose(): void {
    this.state = State.Closed;
    if (this.drainTimer !== null) clearTimeout(this.drainTimer);
    this.drainTimer = null;
    this.backlog = null;
    this.capture = null;
    this.pendingCapture = null;
  }

  /**
   * The final ERROR line (written even though the session is closing), after any reply still
   * owed; then `then` (the transport's end).
   */
  writeFinal(out: Outgoing | null, then: () => void = () => {}): void {
    this.sendQueue.finish(out === null ? Buffer.alloc(0) : out.bytesFor(this.caps), then);
  }
}
