/**
 * The protocol side of the client library, independent of how lines travel: it negotiates
 * capabilities (CAP LS 302), logs in with SASL PLAIN, and turns the wire into typed events.
 * It reconnects with exponential backoff and jitter, rejoins its rooms and fetches what was
 * said meanwhile (CHATHISTORY AFTER the last msgid seen), deduplicating by msgid.
 *
 * It runs in Node and in browsers alike: no Node modules, no Buffer. A `Connector`
 * (transport.ts) supplies the connection; `ChatClient` (client.ts) picks TCP, TLS or `ws` in
 * Node, and `BrowserChatClient` (browser.ts) the page's WebSocket.
 */
import { type IrcMessage, parseLine, serializeMessage } from '../protocol/message.js';
import type { Tags } from '../protocol/tags.js';
import { utf8Length } from '../protocol/utf8.js';
import { TypedEmitter } from './emitter.js';
import type { ChatClientEvents, ChatMessage, HistoryTarget, NamesEntry, RoomListing } from './events.js';
import { CLIENT_CAPS, type ClientOptions } from './options.js';
import type { HistoryRequest, HistoryResult, OpenBatch } from './pending.js';
import { PROFILE_KEYS, type Profile, type ProfileField, Profiles } from './profiles.js';
import { SEARCH_BATCH, type SearchHit, type SearchOptions, SearchQueue, searchAttributes } from './search.js';
import { type SessionList, SessionsReader } from './sessions.js';
import { base64Utf8, fold, isChannel, nickOf, splitText } from './text.js';
import { type Timer, unref } from './timer.js';
import type { Connector, LineTransport } from './transport.js';

// The types and helpers that used to live here, for imports of './base.js'.
export type { ChatClientEvents, ChatMessage, HistoryTarget, NamesEntry, RoomListing } from './events.js';
export { CLIENT_CAPS, type ClientOptions } from './options.js';
export { base64Utf8, fold, isChannel, splitText } from './text.js';

/** The pending-request key of a CHATHISTORY TARGETS request (no conversation is named so). */
const TARGETS = ' targets';
/** The PING token whose PONG says the proposed nick was not refused (see proposeNick). */
const NICK_PROBE = 'tertulia-nick-check';

export class ChatClientBase extends TypedEmitter<ChatClientEvents> {
  /** The nick the server knows us by (the wanted one before registration). */
  currentNick: string;
  /** Capabilities the server acknowledged. */
  readonly caps = new Set<string>();
  private readonly profiles = new Profiles();
  registered = false;
  connected = false;
  /** The account we are logged in to (SASL or REGISTER), or null. */
  account: string | null = null;

  protected readonly opts: ClientOptions;
  private readonly connector: Connector;
  private transport: LineTransport | null = null;
  private quitting = false;
  private attempt = 0;
  private everRegistered = false;
  /** USER went out (it waits for the nick to be accepted, see proposeNick). */
  private userSent = false;
  /** A NICK was refused since the last one proposed. */
  private nickRefused = false;
  private reconnectTimer: Timer | null = null;
  private pingTimer: Timer | null = null;
  private lastReceived = 0;
  private offered = new Map<string, string | null>();
  private capEnded = false;
  private readonly channels = new Map<
    string,
    { name: string; topic: string; users: Map<string, NamesEntry> }
  >();
  /** Rooms this client wants to be in (rejoined after reconnecting), by folded name. */
  private readonly wanted = new Map<string, string>();
  private readonly namesBuffer = new Map<string, NamesEntry[]>();
  private listBuffer: RoomListing[] = [];
  private readonly sessionsReader = new SessionsReader();
  /** The server said this session was ended from another (FAIL * SESSION_ENDED): stay closed. */
  private endedElsewhere = false;
  /** Last msgid seen per conversation (folded), for catch-up. */
  private readonly lastMsgid = new Map<string, string>();
  private readonly seen = new Set<string>();
  private readonly batches = new Map<string, OpenBatch>();
  private readonly labeled = new Map<string, HistoryRequest>();
  private readonly unlabeled: HistoryRequest[] = [];
  private labelSeq = 0;
  private connectWaiter: { resolve: () => void; reject: (err: Error) => void } | null = null;
  private closeWaiters: Array<() => void> = [];
  private registerWaiter: {
    account: string;
    password: string;
    resolve: () => void;
    reject: (err: Error) => void;
  } | null = null;

  /** The server's RPL_ISUPPORT tokens (value '' for tokens without one). */
  readonly isupport = new Map<string, string>();

  /** Where files are uploaded (IRCv3 draft/FILEHOST or soju.im/FILEHOST), if the server offers it. */
  get fileHost(): string | null {
    return this.isupport.get('draft/FILEHOST') ?? this.isupport.get('soju.im/FILEHOST') ?? null;
  }

  /** Whether uploading is possible: the server has a file host and we have a password. */
  get canUpload(): boolean {
    return this.fileHost !== null && this.opts.password !== undefined;
  }

  /**
   * The request that uploads a file named `name` to the server's file host with this
   * client's account and password (HTTP Basic): where to POST and which headers to send.
   * The body is the file's bytes; a 201 answer's `Location` is the link to share.
   */
  uploadRequest(name: string, contentType: string): { url: string; headers: Record<string, string> } {
    const host = this.fileHost;
    if (host === null) throw new Error('this server does not offer file uploads');
    if (this.opts.password === undefined)
      throw new Error('uploading needs an account: log in with a password');
    const account = this.opts.account ?? this.opts.nick;
    return {
      url: host,
      headers: {
        Authorization: `Basic ${base64Utf8(`${account}:${this.opts.password}`)}`,
        'Content-Type': contentType,
        'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}`,
      },
    };
  }

  constructor(options: ClientOptions, connector: Connector) {
    super();
    // A copy: registering an account fills in `account` and `password` for reconnections.
    this.opts = { ...options };
    this.connector = connector;
    this.currentNick = options.nick;
  }

  // ------------------------------------------------------------------ connection

  /** Connects and registers; resolves once registered (after the welcome and MOTD). */
  connect(): Promise<void> {
    this.quitting = false;
    this.endedElsewhere = false;
    return new Promise((resolve, reject) => {
      this.connectWaiter = { resolve, reject };
      this.open();
    });
  }

  private open(): void {
    this.registered = false;
    this.account = null;
    this.welcomed = false;
    this.capEnded = false;
    this.caps.clear();
    this.offered.clear();
    this.channels.clear();
    this.batches.clear();
    this.transport = this.connector({
      open: () => {
        this.connected = true;
        this.lastReceived = Date.now();
        this.register();
      },
      line: (line) => {
        this.lastReceived = Date.now();
        const parsed = parseLine(line);
        if (parsed.ok) this.handle(parsed.message);
      },
      close: (reason) => this.onClosed(reason),
    });
  }

  private register(): void {
    this.userSent = false;
    this.send('CAP', 'LS', '302');
    this.proposeNick(this.currentNick);
    this.startPing();
  }

  /**
   * NICK before registration, then a PING: its PONG comes after any refusal (433), and only
   * then does USER go, so the user and real name derived from the nick are the accepted
   * nick's, never a refused one's.
   */
  private proposeNick(nick: string): void {
    this.nickRefused = false;
    this.send('NICK', nick);
    if (!this.userSent) this.send('PING', NICK_PROBE);
  }

  private sendUser(): void {
    this.userSent = true;
    const derived =
      this.currentNick
        .toLowerCase()
        .replace(/[^a-z0-9]/g, '')
        .slice(0, 10) || 'user';
    this.send('USER', this.opts.username ?? derived, '0', '*', this.opts.realname ?? this.currentNick);
  }

  private startPing(): void {
    this.stopPing();
    const interval = this.opts.pingIntervalMs ?? 60_000;
    this.pingTimer = setInterval(
      () => {
        const idle = Date.now() - this.lastReceived;
        if (idle > interval * 2) this.transport?.destroy();
        else if (idle >= interval) this.send('PING', `keepalive${Date.now()}`);
      },
      Math.max(250, Math.floor(interval / 2)),
    );
    unref(this.pingTimer);
  }

  private stopPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  private onClosed(reason: string): void {
    this.connected = false;
    this.registered = false;
    this.transport = null;
    this.stopPing();
    for (const req of [...this.labeled.values(), ...this.unlabeled]) {
      clearTimeout(req.timer);
      req.reject(new Error('disconnected'));
    }
    this.labeled.clear();
    this.unlabeled.length = 0;
    this.searches.abort('disconnected');
    for (const w of this.closeWaiters.splice(0)) w();
    if (this.registerWaiter) {
      this.registerWaiter.reject(new Error('disconnected'));
      this.registerWaiter = null;
    }
    const max = this.opts.reconnectMaxAttempts ?? Number.POSITIVE_INFINITY;
    const ended = this.endedElsewhere;
    const willReconnect =
      !this.quitting && !ended && this.opts.reconnect !== false && this.everRegistered && this.attempt < max;
    this.emit('disconnected', { reason, willReconnect, ended });
    if (this.connectWaiter && !willReconnect) {
      this.connectWaiter.reject(new Error(`could not connect: ${reason}`));
      this.connectWaiter = null;
    }
    if (willReconnect) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.attempt++;
    const min = this.opts.reconnectMinMs ?? 1000;
    const max = this.opts.reconnectMaxMs ?? 60_000;
    const base = Math.min(max, min * 2 ** (this.attempt - 1));
    // "Equal jitter": half fixed, half random, so many clients do not return in lockstep.
    const delayMs = Math.round(base / 2 + Math.random() * (base / 2));
    this.emit('reconnecting', { attempt: this.attempt, delayMs });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.quitting) this.open();
    }, delayMs);
  }

  // ------------------------------------------------------------------ sending

  /** Sends one message; the last parameter may contain spaces. */
  send(command: string, ...params: string[]): void {
    this.sendTagged({}, command, ...params);
  }

  sendTagged(tags: Tags, command: string, ...params: string[]): void {
    if (this.transport === null) return;
    this.transport.write(serializeMessage({ tags, source: null, command, params }));
  }

  /** Sends a raw line (without CR LF). */
  raw(line: string): void {
    this.transport?.write(line + '\r\n');
  }

  join(channel: string, key?: string): void {
    this.wanted.set(fold(channel), channel);
    if (key === undefined) this.send('JOIN', channel);
    else this.send('JOIN', channel, key);
  }

  part(channel: string, reason?: string): void {
    this.wanted.delete(fold(channel));
    if (reason === undefined) this.send('PART', channel);
    else this.send('PART', channel, reason);
  }

  /** Bytes left for text in `PRIVMSG target :text` once the server adds our full source. */
  private textBudget(command: string, target: string): number {
    // :nick!user@host — host up to 63 bytes, user up to 10 plus '~'.
    const sourceBytes = 1 + utf8Length(this.currentNick) + 1 + 11 + 1 + 63 + 1;
    return 510 - sourceBytes - command.length - 1 - utf8Length(target) - 2;
  }

  /** Sends text to a room or a person; long text is split into several messages. */
  say(target: string, text: string): void {
    for (const piece of splitText(text, this.textBudget('PRIVMSG', target)))
      this.sendText('PRIVMSG', target, piece, false);
  }

  action(target: string, text: string): void {
    for (const piece of splitText(text, this.textBudget('PRIVMSG', target) - 9))
      this.sendText('PRIVMSG', target, piece, true);
  }

  notice(target: string, text: string): void {
    for (const piece of splitText(text, this.textBudget('NOTICE', target)))
      this.sendText('NOTICE', target, piece, false);
  }

  private sendText(command: 'PRIVMSG' | 'NOTICE', target: string, text: string, action: boolean): void {
    this.send(command, target, action ? `\x01ACTION ${text}\x01` : text);
    if (!this.caps.has('echo-message')) {
      // Without echo-message the server never shows us our own message: show it locally.
      const priv = !isChannel(target);
      this.emit(command === 'PRIVMSG' ? 'message' : 'notice', {
        from: this.currentNick,
        target,
        conversation: target,
        text,
        time: new Date(),
        msgid: undefined,
        self: true,
        private: priv,
        action,
        replay: false,
        account: undefined,
        tags: {},
      });
    }
  }

  /** Sends a typing notification (active, paused or done) when message-tags is on. */
  typing(target: string, state: 'active' | 'paused' | 'done'): void {
    if (this.caps.has('message-tags')) this.sendTagged({ '+typing': state }, 'TAGMSG', target);
  }

  nick(newNick: string): void {
    if (this.registered) {
      this.send('NICK', newNick);
      return;
    }
    this.currentNick = newNick;
    this.proposeNick(newNick);
  }

  /** Marks us away with a message, or back without one. */
  away(message?: string): void {
    if (message === undefined || message === '') this.send('AWAY');
    else this.send('AWAY', message);
  }

  /** Sets a room's topic, or asks for it without `text`. */
  topic(channel: string, text?: string): void {
    if (text === undefined) this.send('TOPIC', channel);
    else this.send('TOPIC', channel, text);
  }

  /** Asks for a room's member list; resolves with the `names` event's users. */
  names(channel: string, timeoutMs = 10_000): Promise<NamesEntry[]> {
    const p = this.next('names', (e) => fold(e.channel) === fold(channel), timeoutMs).then((e) => e.users);
    this.send('NAMES', channel);
    return p;
  }

  /**
   * The server's room directory (LIST, RFC 2812 §3.2.6): each visible room with its member
   * count and topic. `filter` is passed as LIST's argument, e.g. a mask like `*cafe*` (the
   * server's ELIST=M) or `>5`; the topic comes without the `[+modes]` prefix servers add.
   */
  list(filter?: string, timeoutMs = 10_000): Promise<RoomListing[]> {
    const p = this.next('list', () => true, timeoutMs).then((e) => e.rooms);
    if (filter === undefined || filter === '') this.send('LIST');
    else this.send('LIST', filter);
    return p;
  }

  /**
   * The account's connections now (client, address, since; SESSIONS), with its always-on
   * switch. Rejects for a guest (the server's reason).
   */
  sessions(timeoutMs = 10_000): Promise<SessionList> {
    const p = this.nextOrFail('sessions', 'SESSIONS', timeoutMs);
    this.send('SESSIONS', 'LIST');
    return p;
  }

  /** Ends one of the account's connections (its id from sessions()). */
  endSession(id: number, timeoutMs = 10_000): Promise<void> {
    const p = this.nextOrFail('sessionEnded', 'SESSIONS', timeoutMs).then(() => undefined);
    this.send('SESSIONS', 'END', String(id));
    return p;
  }

  /** Turns the account's always-on on or off; resolves with the switch as it is now. */
  setAlwaysOn(on: boolean, timeoutMs = 10_000): Promise<SessionList['alwaysOn']> {
    const p = this.nextOrFail('alwaysOn', 'SESSIONS', timeoutMs).then((e) => e.state);
    this.send('SESSIONS', 'ALWAYS-ON', on ? 'ON' : 'OFF');
    return p;
  }

  /** The next `event`, or a rejection with the text of a FAIL for `command` first. */
  private nextOrFail<K extends 'sessions' | 'alwaysOn' | 'sessionEnded'>(
    event: K,
    command: string,
    timeoutMs: number,
  ): Promise<ChatClientEvents[K]> {
    const failed = this.next('error', (e) => e.command === 'FAIL' && e.params[0] === command, timeoutMs);
    return Promise.race([
      this.next(event, () => true, timeoutMs),
      failed.then((e) => Promise.reject(new Error(e.message))),
    ]);
  }

  /** Rooms we are in (their names as the server spells them). */
  get rooms(): string[] {
    return [...this.channels.values()].map((c) => c.name);
  }

  /** Who is in a room, as last known. */
  users(channel: string): NamesEntry[] {
    return [...(this.channels.get(fold(channel))?.users.values() ?? [])];
  }

  topicOf(channel: string): string | undefined {
    return this.channels.get(fold(channel))?.topic;
  }

  /**
   * Fetches history (oldest first) with CHATHISTORY: the latest `limit` messages, or those
   * before a msgid or a Date. Rejects when the server has no history or refuses.
   */
  history(target: string, opts: { before?: string | Date; limit?: number } = {}): Promise<ChatMessage[]> {
    const limit = String(opts.limit ?? 50);
    const before = opts.before;
    const ref =
      before === undefined
        ? undefined
        : before instanceof Date
          ? `timestamp=${before.toISOString()}`
          : `msgid=${before}`;
    return ref === undefined
      ? this.requestHistory(target, false, 'LATEST', target, '*', limit)
      : this.requestHistory(target, false, 'BEFORE', target, ref, limit);
  }

  /**
   * Searches the history this user may read with `SEARCH` (soju.im/search; see search.ts):
   * the newest matches (at most `limit`), oldest first, each with highlight ranges. Rejects
   * with the server's reason for a bad query, or when the server has no search.
   */
  search(text: string, opts: SearchOptions = {}): Promise<SearchHit[]> {
    if (!this.offered.has('soju.im/search') || !this.caps.has('batch'))
      return Promise.reject(new Error('the server offers no search (soju.im/search)'));
    const result = this.searches.add(text);
    this.send('SEARCH', searchAttributes(text, opts));
    return result;
  }

  /** The value a capability was offered with in CAP LS (`draft/webpush` → `vapid=…`), or null. */
  capValue(name: string): string | null {
    return this.offered.get(name) ?? null;
  }

  private readonly searches = new SearchQueue();

  private async requestHistory(
    target: string,
    catchUp: boolean,
    ...params: string[]
  ): Promise<ChatMessage[]> {
    return (await this.request(target, catchUp, ...params)).messages;
  }

  /** Sends a CHATHISTORY request and resolves with its batch (labeled when the server can). */
  private request(target: string, catchUp: boolean, ...params: string[]): Promise<HistoryResult> {
    if (!this.caps.has('draft/chathistory') || !this.caps.has('batch'))
      return Promise.reject(new Error('the server offers no history (draft/chathistory)'));
    return new Promise((resolve, reject) => {
      const req: HistoryRequest = {
        target,
        resolve,
        reject,
        catchUp,
        timer: setTimeout(() => {
          this.unlabeled.splice(this.unlabeled.indexOf(req) >>> 0, 1);
          for (const [k, v] of this.labeled) if (v === req) this.labeled.delete(k);
          reject(new Error('history request timed out'));
        }, 15_000),
      };
      if (this.caps.has('labeled-response')) {
        const label = `h${++this.labelSeq}`;
        this.labeled.set(label, req);
        this.sendTagged({ label }, 'CHATHISTORY', ...params);
      } else {
        this.unlabeled.push(req);
        this.send('CHATHISTORY', ...params);
      }
    });
  }

  /**
   * Conversations with messages between two times (CHATHISTORY TARGETS): the rooms we are
   * in and, for an account, its private conversations; oldest activity first.
   */
  async targets(from: Date, to: Date, limit = 50): Promise<HistoryTarget[]> {
    const result = await this.request(
      TARGETS,
      false,
      'TARGETS',
      `timestamp=${from.toISOString()}`,
      `timestamp=${to.toISOString()}`,
      String(limit),
    );
    return result.targets;
  }

  /** Moves our read marker in `target` to `time` (draft/read-marker; needs an account). */
  markRead(target: string, time: Date): void {
    if (this.caps.has('draft/read-marker') && this.account !== null)
      this.send('MARKREAD', target, `timestamp=${time.toISOString()}`);
  }

  /** Asks for our read marker in `target`; it arrives as a `readMarker` event. */
  queryReadMarker(target: string): void {
    if (this.caps.has('draft/read-marker') && this.account !== null) this.send('MARKREAD', target);
  }

  /**
   * Registers an account (draft/account-registration `REGISTER <account> <email> <password>`)
   * and logs in to it; later reconnections log in with it too. Rejects with the server's
   * reason (the error's `code` is the FAIL code, e.g. ACCOUNT_EXISTS).
   */
  registerAccount(account: string, password: string, email = '*'): Promise<void> {
    if (!this.caps.has('draft/account-registration'))
      return Promise.reject(new Error('this server does not offer account registration'));
    if (this.registerWaiter) return Promise.reject(new Error('a registration is already in progress'));
    return new Promise((resolve, reject) => {
      this.registerWaiter = { account, password, resolve, reject };
      this.send('REGISTER', account, email, password);
    });
  }

  /** Sends QUIT and resolves once the connection is closed (or after `timeoutMs`). */
  quit(reason = 'Leaving'): Promise<void> {
    this.quitting = true;
    if (this.reconnectTimer) {
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = null;
    }
    const transport = this.transport;
    if (transport === null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        transport.destroy();
        resolve();
      }, 2000);
      this.closeWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
      this.send('QUIT', reason);
    });
  }

  /** Drops the connection at once (no QUIT, no reconnection). */
  destroy(): void {
    this.quitting = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.transport?.destroy();
    this.stopPing();
  }

  // ------------------------------------------------------------------ profiles

  /** What is known of someone's profile (draft/metadata-2), or undefined. */
  profileOf(nick: string): Profile | undefined {
    return this.profiles.get(nick);
  }

  /** Whether the server keeps profiles (it offered draft/metadata-2). */
  get profilesAvailable(): boolean {
    return this.caps.has('draft/metadata-2');
  }

  /**
   * Sets a field of one's own profile, or clears it with null or ''. Resolves once the
   * server took it (its RPL_KEYVALUE or RPL_KEYNOTSET); rejects with the server's reason.
   */
  setProfile(field: ProfileField, value: string | null): Promise<void> {
    const key = PROFILE_KEYS[field];
    const clearing = value === null || value === '';
    if (clearing && this.profiles.get(this.currentNick)?.[field] === undefined) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => {
      const onRaw = (m: IrcMessage): void => {
        const ours = m.params[2] === key || (m.command === 'FAIL' && m.params[0] === 'METADATA');
        if (!ours) return;
        if (m.command === '761' || m.command === '766') {
          this.off('raw', onRaw);
          resolve();
        } else if (m.command === 'FAIL') {
          this.off('raw', onRaw);
          reject(new Error(m.params.at(-1) ?? 'the server refused the change'));
        }
      };
      this.on('raw', onRaw);
    });
    if (clearing) this.send('METADATA', '*', 'SET', key);
    else this.send('METADATA', '*', 'SET', key, value);
    return done;
  }

  /** Asks the server for someone's profile (METADATA GET) and resolves with it. */
  fetchProfile(nick: string, timeoutMs = 10_000): Promise<Profile> {
    if (!this.profilesAvailable) return Promise.resolve({});
    const keys: string[] = Object.values(PROFILE_KEYS);
    return new Promise<Profile>((resolve, reject) => {
      const pending = new Set(keys);
      const finish = (err: Error | null): void => {
        this.off('raw', onRaw);
        clearTimeout(timer);
        // The line that completed it is stored once its own handling runs, right after 'raw'.
        if (err === null) queueMicrotask(() => resolve(this.profiles.get(nick) ?? {}));
        else reject(err);
      };
      const onRaw = (m: IrcMessage): void => {
        if ((m.command === '761' || m.command === '766') && fold(m.params[1] ?? '') === fold(nick)) {
          pending.delete(m.params[2] ?? '');
          if (pending.size === 0) finish(null);
        } else if (m.command === 'FAIL' && m.params[0] === 'METADATA' && m.params[1] === 'INVALID_TARGET') {
          finish(new Error(`${nick} is not on the network`));
        }
      };
      const timer = unref(setTimeout(() => finish(new Error('no answer from the server')), timeoutMs));
      this.on('raw', onRaw);
      this.send('METADATA', nick, 'GET', ...keys);
    });
  }

  // ------------------------------------------------------------------ receiving

  private isMe(nick: string): boolean {
    return fold(nick) === fold(this.currentNick);
  }

  private handle(msg: IrcMessage): void {
    this.emit('raw', msg);
    const batchId = msg.tags['batch'];
    const batch = batchId === undefined ? undefined : this.batches.get(batchId);
    if (batch?.lines !== undefined && msg.command !== 'BATCH') {
      batch.lines.push(msg); // a line of a multiline message, combined at BATCH -
      return;
    }
    if (
      batch &&
      (batch.type === 'chathistory' || batch.type === 'draft/chathistory' || batch.type === SEARCH_BATCH) &&
      msg.command !== 'BATCH'
    ) {
      if (msg.command === 'PRIVMSG' || msg.command === 'NOTICE') {
        const m = this.toMessage(msg, true);
        if (m) batch.messages.push(m);
      }
      return;
    }
    if (batch?.type === 'draft/chathistory-targets' && msg.command === 'CHATHISTORY') {
      // CHATHISTORY TARGETS <target> <timestamp> (draft/chathistory §TARGETS)
      const latest = new Date(msg.params[2] ?? '');
      if (msg.params[0] === 'TARGETS' && msg.params[1] !== undefined && !Number.isNaN(latest.getTime()))
        batch.targets.push({ target: msg.params[1], latest });
      return;
    }
    const p = msg.params;
    switch (msg.command) {
      case 'PING':
        this.send('PONG', ...p);
        return;
      case 'METADATA':
      case '761':
      case '766': {
        const change = this.profiles.handle(msg);
        if (change !== null) this.emit('profile', change);
        return;
      }
      case 'PONG':
        if (p.at(-1) === NICK_PROBE && !this.userSent && !this.nickRefused) this.sendUser();
        return;
      case 'CAP':
        this.onCap(p);
        return;
      case 'AUTHENTICATE':
        if (p[0] === '+') {
          const account = this.opts.account ?? this.opts.nick;
          const token = base64Utf8(`${account}\0${account}\0${this.opts.password ?? ''}`);
          for (let i = 0; i < token.length; i += 400) this.send('AUTHENTICATE', token.slice(i, i + 400));
          if (token.length % 400 === 0) this.send('AUTHENTICATE', '+');
        }
        return;
      case '900':
        // RPL_LOGGEDIN <nick> <mask> <account> :text
        this.account = p[2] ?? null;
        return;
      case '901':
        this.account = null;
        return;
      case 'REGISTER': {
        // draft/account-registration: REGISTER SUCCESS <account> :message logs us in.
        if (p[0] === 'SUCCESS') {
          this.account = p[1] ?? null;
          const waiter = this.registerWaiter;
          this.registerWaiter = null;
          if (waiter) {
            this.opts.account = waiter.account;
            this.opts.password = waiter.password;
            waiter.resolve();
          }
        }
        return;
      }
      case 'MARKREAD': {
        // draft/read-marker: MARKREAD <target> timestamp=… | *
        const stamp = p[1] ?? '*';
        const time = stamp.startsWith('timestamp=') ? new Date(stamp.slice(10)) : null;
        this.emit('readMarker', {
          target: p[0] ?? '',
          time: time !== null && !Number.isNaN(time.getTime()) ? time : null,
        });
        return;
      }
      case '903':
      case '907':
        this.endCap();
        return;
      case '902':
      case '904':
      case '905':
      case '906':
        this.emit('error', {
          message: p.at(-1) ?? 'SASL authentication failed',
          command: msg.command,
          params: p,
        });
        this.endCap();
        return;
      case '001':
        this.registered = true;
        this.currentNick = p[0] ?? this.currentNick;
        this.emit('info', { command: msg.command, text: p.at(-1) ?? '', params: p });
        return;
      case '376':
      case '422':
        this.emit('info', { command: msg.command, text: p.at(-1) ?? '', params: p });
        this.onWelcomeDone();
        return;
      case '005':
        // RPL_ISUPPORT: KEY=value tokens between the nick and the trailing text.
        for (const token of p.slice(1, -1)) {
          const eq = token.indexOf('=');
          if (token.startsWith('-')) this.isupport.delete(token.slice(1));
          else if (eq === -1) this.isupport.set(token, '');
          else this.isupport.set(token.slice(0, eq), token.slice(eq + 1));
        }
        return;
      case '432':
      case '433':
      case '436': {
        const nick = p[1] ?? this.currentNick;
        const reason = msg.command === '432' ? 'invalid' : 'in-use';
        if (!this.registered) this.nickRefused = true;
        if (!this.registered && this.everRegistered) {
          // Reconnecting while our old session still holds the nick: take a variant.
          this.currentNick = `${this.opts.nick.slice(0, 28)}_${Math.floor(Math.random() * 100)}`;
          this.proposeNick(this.currentNick);
          return;
        }
        if (!this.registered && this.listenerCount('nickInUse') === 0) {
          this.currentNick = `${nick}_`;
          this.proposeNick(this.currentNick);
          return;
        }
        this.emit('nickInUse', { nick, reason, registered: this.registered });
        return;
      }
      case 'NICK': {
        const oldNick = nickOf(msg.source);
        const newNick = p[0] ?? '';
        const self = this.isMe(oldNick);
        if (self) this.currentNick = newNick;
        this.profiles.rename(oldNick, newNick);
        for (const ch of this.channels.values()) {
          const entry = ch.users.get(fold(oldNick));
          if (entry) {
            ch.users.delete(fold(oldNick));
            ch.users.set(fold(newNick), { ...entry, nick: newNick });
          }
        }
        this.emit('nick', { oldNick, newNick, self });
        return;
      }
      case 'JOIN': {
        const nick = nickOf(msg.source);
        const channel = p[0] ?? '';
        const self = this.isMe(nick);
        if (self) {
          this.channels.set(fold(channel), { name: channel, topic: '', users: new Map() });
          this.wanted.set(fold(channel), channel);
        }
        this.channels.get(fold(channel))?.users.set(fold(nick), { nick, prefixes: '' });
        const account =
          this.caps.has('extended-join') && p[1] !== undefined && p[1] !== '*' ? p[1] : undefined;
        this.emit('join', {
          nick,
          channel,
          self,
          account,
          realname: this.caps.has('extended-join') ? p[2] : undefined,
        });
        if (self && this.pendingCatchUp.has(fold(channel))) {
          this.pendingCatchUp.delete(fold(channel));
          this.catchUp(channel);
        }
        return;
      }
      case 'PART':
      case 'KICK': {
        const kick = msg.command === 'KICK';
        const nick = kick ? (p[1] ?? '') : nickOf(msg.source);
        const channel = p[0] ?? '';
        const self = this.isMe(nick);
        if (self) {
          this.channels.delete(fold(channel));
          this.wanted.delete(fold(channel));
        } else this.channels.get(fold(channel))?.users.delete(fold(nick));
        this.emit('part', {
          nick,
          channel,
          self,
          reason: (kick ? p[2] : p[1]) ?? '',
          kickedBy: kick ? nickOf(msg.source) : undefined,
        });
        return;
      }
      case 'QUIT': {
        const nick = nickOf(msg.source);
        const channels: string[] = [];
        for (const ch of this.channels.values()) if (ch.users.delete(fold(nick))) channels.push(ch.name);
        this.profiles.forget(nick);
        this.emit('quit', { nick, reason: p[0] ?? '', channels });
        return;
      }
      case 'TOPIC': {
        const channel = p[0] ?? '';
        const ch = this.channels.get(fold(channel));
        if (ch) ch.topic = p[1] ?? '';
        this.emit('topic', { channel, topic: p[1] ?? '', setBy: nickOf(msg.source), initial: false });
        return;
      }
      case '332': {
        const channel = p[1] ?? '';
        const ch = this.channels.get(fold(channel));
        if (ch) ch.topic = p[2] ?? '';
        this.emit('topic', { channel, topic: p[2] ?? '', setBy: undefined, initial: true });
        return;
      }
      case '331':
        this.emit('topic', { channel: p[1] ?? '', topic: '', setBy: undefined, initial: true });
        return;
      case '333':
        return;
      case 'SESSIONS': {
        const event = this.sessionsReader.read(msg);
        if (event?.kind === 'list') this.emit('sessions', event.list);
        else if (event?.kind === 'alwaysOn') this.emit('alwaysOn', { state: event.state });
        else if (event?.kind === 'ended') this.emit('sessionEnded', { id: event.id });
        return;
      }
      case '321':
        this.listBuffer = [];
        return;
      case '322': {
        const users = Number.parseInt(p[2] ?? '0', 10);
        // Many servers (this one too) start the topic with the room's modes: `[+nt] text`.
        const topic = (p[3] ?? '').replace(/^\[\+[^\]]*\] ?/, '');
        this.listBuffer.push({ name: p[1] ?? '', users: Number.isFinite(users) ? users : 0, topic });
        return;
      }
      case '323': {
        const rooms = this.listBuffer;
        this.listBuffer = [];
        this.emit('list', { rooms });
        return;
      }
      case '353': {
        const channel = p[2] ?? '';
        const list = this.namesBuffer.get(fold(channel)) ?? [];
        for (const item of (p[3] ?? '').split(' ')) {
          if (item === '') continue;
          const m = /^([~&@%+]*)(.*)$/.exec(item)!;
          list.push({ nick: nickOf(m[2]!), prefixes: m[1]! });
        }
        this.namesBuffer.set(fold(channel), list);
        return;
      }
      case '366': {
        const channel = p[1] ?? '';
        const users = this.namesBuffer.get(fold(channel)) ?? [];
        this.namesBuffer.delete(fold(channel));
        const ch = this.channels.get(fold(channel));
        if (ch) {
          ch.users.clear();
          for (const u of users) ch.users.set(fold(u.nick), u);
        }
        this.emit('names', { channel: ch?.name ?? channel, users });
        return;
      }
      case 'AWAY': {
        const nick = nickOf(msg.source);
        this.emit('away', { nick, away: p[0] !== undefined, message: p[0] ?? '' });
        return;
      }
      case '305':
        this.emit('away', { nick: this.currentNick, away: false, message: '' });
        return;
      case '306':
        this.emit('away', { nick: this.currentNick, away: true, message: '' });
        return;
      case '301':
        this.emit('away', { nick: p[1] ?? '', away: true, message: p[2] ?? '' });
        return;
      case 'PRIVMSG':
      case 'NOTICE':
        this.onText(msg);
        return;
      case 'TAGMSG': {
        const state = msg.tags['+typing'] ?? msg.tags['+draft/typing'];
        if (state !== undefined && !this.isMe(nickOf(msg.source)))
          this.emit('typing', { from: nickOf(msg.source), target: p[0] ?? '', state });
        return;
      }
      case 'BATCH':
        this.onBatch(msg);
        return;
      case 'ACK': {
        const label = msg.tags['label'];
        const req = label === undefined ? undefined : this.labeled.get(label);
        if (req && label !== undefined) {
          this.labeled.delete(label);
          clearTimeout(req.timer);
          req.resolve({ messages: [], targets: [] });
        }
        return;
      }
      case 'FAIL': {
        const label = msg.tags['label'];
        const req =
          label !== undefined
            ? this.labeled.get(label)
            : p[0] === 'CHATHISTORY'
              ? this.unlabeled.shift()
              : undefined;
        if (req) {
          if (label !== undefined) this.labeled.delete(label);
          clearTimeout(req.timer);
          req.reject(new Error(p.at(-1) ?? 'history request failed'));
          return;
        }
        if (p[0] === 'REGISTER' && this.registerWaiter) {
          const waiter = this.registerWaiter;
          this.registerWaiter = null;
          waiter.reject(Object.assign(new Error(p.at(-1) ?? 'registration failed'), { code: p[1] ?? '' }));
          return;
        }
        if (p[0] === 'SEARCH' && this.searches.fail(p.at(-1) ?? 'search failed')) return;
        if (p[1] === 'SESSION_ENDED') this.endedElsewhere = true;
        this.emit('error', { message: p.at(-1) ?? '', command: 'FAIL', params: p });
        return;
      }
      case 'ERROR':
        this.emit('error', { message: p[0] ?? 'closing link', command: 'ERROR', params: p });
        return;
      default:
        if (/^[45]\d\d$/.test(msg.command)) {
          this.emit('error', { message: p.at(-1) ?? msg.command, command: msg.command, params: p });
          return;
        }
        if (/^\d\d\d$/.test(msg.command)) {
          // Numeric replies: drop our own nick; what is left is for a person to read.
          this.emit('info', { command: msg.command, text: p.slice(1).join(' '), params: p });
        }
    }
  }

  /** A PRIVMSG or NOTICE outside history: deduplicated by msgid, then emitted. */
  private onText(msg: IrcMessage): void {
    const m = this.toMessage(msg, false);
    if (m === null) return;
    if (m.msgid !== undefined) {
      if (this.seen.has(m.msgid)) return;
      this.remember(m);
    }
    this.emit(msg.command === 'PRIVMSG' ? 'message' : 'notice', m);
  }

  /**
   * A finished draft/multiline batch becomes one PRIVMSG whose text has the line breaks
   * (lines tagged draft/multiline-concat continue the previous one), with the tags of the
   * opening BATCH line; inside a history batch it joins that batch's messages.
   */
  private onMultiline(batch: OpenBatch): void {
    const opening = batch.opening!;
    let text = '';
    for (const [i, line] of batch.lines!.entries()) {
      const concat = line.tags['draft/multiline-concat'] !== undefined;
      text += (i === 0 || concat ? '' : '\n') + (line.params[1] ?? '');
    }
    const tags = { ...opening.tags };
    delete tags['batch'];
    const combined: IrcMessage = {
      tags,
      source: opening.source,
      command: 'PRIVMSG',
      params: [batch.params[0] ?? '', text],
    };
    const parent = batch.parent === undefined ? undefined : this.batches.get(batch.parent);
    if (parent !== undefined && (parent.type === 'chathistory' || parent.type === 'draft/chathistory')) {
      const m = this.toMessage(combined, true);
      if (m) parent.messages.push(m);
      return;
    }
    this.onText(combined);
  }

  private remember(m: ChatMessage): void {
    if (m.msgid === undefined) return;
    this.seen.add(m.msgid);
    if (this.seen.size > 10_000) {
      const first = this.seen.values().next().value;
      if (first !== undefined) this.seen.delete(first);
    }
    this.lastMsgid.set(fold(m.conversation), m.msgid);
  }

  private toMessage(msg: IrcMessage, replay: boolean): ChatMessage | null {
    const from = nickOf(msg.source);
    const target = msg.params[0] ?? '';
    let text = msg.params[1];
    if (text === undefined) return null;
    let action = false;
    if (text.startsWith('\x01')) {
      const inner = text.replace(/^\x01|\x01$/g, '');
      if (!inner.startsWith('ACTION')) return null; // other CTCP: not for display
      action = true;
      text = inner.slice(7);
    }
    const self = this.isMe(from);
    const priv = !isChannel(target);
    const time = msg.tags['time'] !== undefined ? new Date(msg.tags['time']) : new Date();
    return {
      from,
      target,
      conversation: priv ? (self ? target : from) : target,
      text,
      time: Number.isNaN(time.getTime()) ? new Date() : time,
      msgid: msg.tags['msgid'],
      self,
      private: priv,
      action,
      replay,
      account: msg.tags['account'],
      tags: msg.tags,
    };
  }

  private onBatch(msg: IrcMessage): void {
    const ref = msg.params[0] ?? '';
    if (ref.startsWith('+')) {
      this.batches.set(ref.slice(1), {
        type: msg.params[1] ?? '',
        params: msg.params.slice(2),
        label: msg.tags['label'],
        parent: msg.tags['batch'],
        messages: [],
        ...(msg.params[1] === 'draft/multiline' ? { opening: msg, lines: [] } : {}),
        targets: [],
      });
      return;
    }
    const id = ref.slice(1);
    const batch = this.batches.get(id);
    this.batches.delete(id);
    if (!batch) return;
    if (batch.lines !== undefined) {
      this.onMultiline(batch);
      return;
    }
    if (batch.type === 'labeled-response') {
      // A labeled batch that held no history batch: the request got nothing.
      const req = batch.label === undefined ? undefined : this.labeled.get(batch.label);
      if (req && batch.label !== undefined) {
        this.labeled.delete(batch.label);
        clearTimeout(req.timer);
        req.resolve({ messages: [], targets: [] });
      }
      return;
    }
    if (batch.type === SEARCH_BATCH) {
      this.searches.finish(batch.messages);
      return;
    }
    const targets = batch.type === 'draft/chathistory-targets';
    if (batch.type !== 'chathistory' && batch.type !== 'draft/chathistory' && !targets) return;
    const label =
      batch.label ?? (batch.parent !== undefined ? this.batches.get(batch.parent)?.label : undefined);
    let req: HistoryRequest | undefined;
    if (label !== undefined) {
      req = this.labeled.get(label);
      this.labeled.delete(label);
    } else {
      const want = targets ? TARGETS : fold(batch.params[0] ?? '');
      const i = this.unlabeled.findIndex((r) => fold(r.target) === want);
      if (i !== -1) req = this.unlabeled.splice(i, 1)[0];
    }
    if (!req) return;
    clearTimeout(req.timer);
    if (req.catchUp) {
      const fresh: ChatMessage[] = [];
      for (const m of batch.messages) {
        if (m.msgid !== undefined) {
          if (this.seen.has(m.msgid)) continue;
          this.remember(m);
        }
        fresh.push(m);
        this.emit('message', m);
      }
      req.resolve({ messages: fresh, targets: [] });
    } else req.resolve({ messages: batch.messages, targets: batch.targets });
  }

  private onCap(p: string[]): void {
    const sub = (p[1] ?? '').toUpperCase();
    if (sub === 'LS') {
      const more = p[2] === '*';
      for (const item of (more ? p[3] : p[2])?.split(' ') ?? []) {
        if (item === '') continue;
        const eq = item.indexOf('=');
        this.offered.set(eq === -1 ? item : item.slice(0, eq), eq === -1 ? null : item.slice(eq + 1));
      }
      if (more) return;
      const want = (this.opts.caps ?? [...CLIENT_CAPS]).filter(
        (c) => this.offered.has(c) && (c !== 'sasl' || this.opts.password !== undefined),
      );
      if (want.length === 0) this.endCap();
      else this.send('CAP', 'REQ', want.join(' '));
      return;
    }
    if (sub === 'ACK') {
      for (const c of (p[2] ?? '').split(' ')) {
        if (c === '') continue;
        if (c.startsWith('-')) this.caps.delete(c.slice(1));
        else this.caps.add(c);
      }
      if (this.capEnded) return;
      if (this.caps.has('sasl') && this.opts.password !== undefined) this.send('AUTHENTICATE', 'PLAIN');
      else this.endCap();
      return;
    }
    if (sub === 'NAK') {
      if (!this.capEnded) this.endCap();
    }
  }

  private endCap(): void {
    if (this.capEnded) return;
    this.capEnded = true;
    this.send('CAP', 'END');
  }

  private readonly pendingCatchUp = new Set<string>();
  private welcomed = false;

  private onWelcomeDone(): void {
    if (this.welcomed) return; // a later MOTD command ends with 376 too
    this.welcomed = true;
    const reconnecting = this.everRegistered;
    this.everRegistered = true;
    this.attempt = 0;
    // Before any JOIN, so each room's profiles come with it (metadata §Concepts).
    if (this.caps.has('draft/metadata-2')) this.send('METADATA', '*', 'SUB', ...Object.values(PROFILE_KEYS));
    this.emit('registered', { nick: this.currentNick });
    if (this.connectWaiter) {
      this.connectWaiter.resolve();
      this.connectWaiter = null;
    }
    if (reconnecting) {
      const rooms = [...this.wanted.values()];
      for (const room of rooms) {
        if (this.lastMsgid.has(fold(room))) this.pendingCatchUp.add(fold(room));
        this.send('JOIN', room);
      }
      // Private conversations need no JOIN: catch them up now (the server keeps them by
      // account, so this finds what was missed when logged in with a password).
      for (const conversation of this.lastMsgid.keys()) {
        if (!isChannel(conversation)) this.catchUp(conversation);
      }
      this.emit('reconnected', { nick: this.currentNick });
    }
  }

  /** Fetches what a room said after the last message we saw, emitting unseen ones as `message`. */
  private catchUp(channel: string): void {
    const last = this.lastMsgid.get(fold(channel));
    if (last === undefined) return;
    const limit = String(this.opts.catchUpLimit ?? 200);
    this.requestHistory(channel, true, 'AFTER', channel, `msgid=${last}`, limit).catch((err: Error) => {
      this.emit('error', {
        message: `could not fetch missed messages: ${err.message}`,
        command: 'CHATHISTORY',
        params: [],
      });
    });
  }
}
