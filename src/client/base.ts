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
import { parseLine, serializeMessage } from '../protocol/message.js';
import type { Tags } from '../protocol/tags.js';
import { utf8Length } from '../protocol/utf8.js';
import { TypedEmitter } from './emitter.js';
import type { ChatClientEvents, ChatMessage, HistoryTarget, NamesEntry, RoomListing } from './events.js';
import { request, requestHistory } from './history.js';
import type { ClientOptions } from './options.js';
import { fetchProfile, setProfile } from './profile-requests.js';
import { type Profile, type ProfileField, Profiles } from './profiles.js';
import { handle, NICK_PROBE, type Receiver, TARGETS } from './receive/index.js';
import { type SearchHit, type SearchOptions, SearchQueue, searchAttributes } from './search.js';
import { type SessionList, SessionsReader } from './sessions.js';
import { ClientState } from './state.js';
import { base64Utf8, fold, isChannel, splitText } from './text.js';
import { type Timer, unref } from './timer.js';
import type { Connector, LineTransport } from './transport.js';

// The types and helpers that used to live here, for imports of './base.js'.
export type { ChatClientEvents, ChatMessage, HistoryTarget, NamesEntry, RoomListing } from './events.js';
export { CLIENT_CAPS, type ClientOptions } from './options.js';
export { base64Utf8, fold, isChannel, splitText } from './text.js';

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
  private reconnectTimer: Timer | null = null;
  private pingTimer: Timer | null = null;
  private lastReceived = 0;
  private readonly sessionsReader = new SessionsReader();
  private closeWaiters: Array<() => void> = [];
  /** What the client knows and waits for; shared with the handlers in receive/. */
  private readonly state = new ClientState();
  /** This client as the handlers of server lines (receive/) see it. */
  private readonly receiver: Receiver;

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
    this.receiver = {
      client: this,
      state: this.state,
      opts: this.opts,
      profiles: this.profiles,
      sessionsReader: this.sessionsReader,
      searches: this.searches,
      emit: (event, payload) => this.emit(event, payload),
      proposeNick: (nick) => this.proposeNick(nick),
      sendUser: () => this.sendUser(),
    };
  }

  // ------------------------------------------------------------------ connection

  /** Connects and registers; resolves once registered (after the welcome and MOTD). */
  connect(): Promise<void> {
    this.quitting = false;
    this.state.endedElsewhere = false;
    return new Promise((resolve, reject) => {
      this.state.connectWaiter = { resolve, reject };
      this.open();
    });
  }

  private open(): void {
    this.registered = false;
    this.account = null;
    this.state.welcomed = false;
    this.state.capEnded = false;
    this.caps.clear();
    this.state.offered.clear();
    this.state.channels.clear();
    this.state.batches.clear();
    this.transport = this.connector({
      open: () => {
        this.connected = true;
        this.lastReceived = Date.now();
        this.register();
      },
      line: (line) => {
        this.lastReceived = Date.now();
        const parsed = parseLine(line);
        if (parsed.ok) handle(this.receiver, parsed.message);
      },
      close: (reason) => this.onClosed(reason),
    });
  }

  private register(): void {
    this.state.userSent = false;
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
    this.state.nickRefused = false;
    this.send('NICK', nick);
    if (!this.state.userSent) this.send('PING', NICK_PROBE);
  }

  private sendUser(): void {
    this.state.userSent = true;
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
    for (const req of [...this.state.labeled.values(), ...this.state.unlabeled]) {
      clearTimeout(req.timer);
      req.reject(new Error('disconnected'));
    }
    this.state.labeled.clear();
    this.state.unlabeled.length = 0;
    this.searches.abort('disconnected');
    for (const w of this.closeWaiters.splice(0)) w();
    if (this.state.registerWaiter) {
      this.state.registerWaiter.reject(new Error('disconnected'));
      this.state.registerWaiter = null;
    }
    const max = this.opts.reconnectMaxAttempts ?? Number.POSITIVE_INFINITY;
    const ended = this.state.endedElsewhere;
    const willReconnect =
      !this.quitting &&
      !ended &&
      this.opts.reconnect !== false &&
      this.state.everRegistered &&
      this.state.attempt < max;
    this.emit('disconnected', { reason, willReconnect, ended });
    if (this.state.connectWaiter && !willReconnect) {
      this.state.connectWaiter.reject(new Error(`could not connect: ${reason}`));
      this.state.connectWaiter = null;
    }
    if (willReconnect) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.state.attempt++;
    const min = this.opts.reconnectMinMs ?? 1000;
    const max = this.opts.reconnectMaxMs ?? 60_000;
    const base = Math.min(max, min * 2 ** (this.state.attempt - 1));
    // "Equal jitter": half fixed, half random, so many clients do not return in lockstep.
    const delayMs = Math.round(base / 2 + Math.random() * (base / 2));
    this.emit('reconnecting', { attempt: this.state.attempt, delayMs });
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
    this.state.wanted.set(fold(channel), channel);
    if (key === undefined) this.send('JOIN', channel);
    else this.send('JOIN', channel, key);
  }

  part(channel: string, reason?: string): void {
    this.state.wanted.delete(fold(channel));
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
    return [...this.state.channels.values()].map((c) => c.name);
  }

  /** Who is in a room, as last known. */
  users(channel: string): NamesEntry[] {
    return [...(this.state.channels.get(fold(channel))?.users.values() ?? [])];
  }

  topicOf(channel: string): string | undefined {
    return this.state.channels.get(fold(channel))?.topic;
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
      ? requestHistory(this.receiver, target, false, 'LATEST', target, '*', limit)
      : requestHistory(this.receiver, target, false, 'BEFORE', target, ref, limit);
  }

  /**
   * Searches the history this user may read with `SEARCH` (soju.im/search; see search.ts):
   * the newest matches (at most `limit`), oldest first, each with highlight ranges. Rejects
   * with the server's reason for a bad query, or when the server has no search.
   */
  search(text: string, opts: SearchOptions = {}): Promise<SearchHit[]> {
    if (!this.state.offered.has('soju.im/search') || !this.caps.has('batch'))
      return Promise.reject(new Error('the server offers no search (soju.im/search)'));
    const result = this.searches.add(text);
    this.send('SEARCH', searchAttributes(text, opts));
    return result;
  }

  /** The value a capability was offered with in CAP LS (`draft/webpush` → `vapid=…`), or null. */
  capValue(name: string): string | null {
    return this.state.offered.get(name) ?? null;
  }

  private readonly searches = new SearchQueue();

  /**
   * Conversations with messages between two times (CHATHISTORY TARGETS): the rooms we are
   * in and, for an account, its private conversations; oldest activity first.
   */
  async targets(from: Date, to: Date, limit = 50): Promise<HistoryTarget[]> {
    const result = await request(
      this.receiver,
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
    if (this.state.registerWaiter) return Promise.reject(new Error('a registration is already in progress'));
    return new Promise((resolve, reject) => {
      this.state.registerWaiter = { account, password, resolve, reject };
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
    return setProfile(this.receiver, field, value);
  }

  /** Asks the server for someone's profile (METADATA GET) and resolves with it. */
  fetchProfile(nick: string, timeoutMs = 10_000): Promise<Profile> {
    return fetchProfile(this.receiver, nick, timeoutMs);
  }
}
