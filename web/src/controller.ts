/**
 * Connects the client library to the state: library events become state updates
 * (state/conversations.ts), and what the person does (send, join, scroll back, upload)
 * becomes library calls. Also the browser bits around a chat: notifications, the title
 * badge, saving the open conversations.
 */
import {
  BrowserChatClient,
  type ChatMessage,
  isChannel,
  type RoomListing,
  type SessionList,
  sameOriginWebSocketUrl,
  UploadError,
} from '../../src/client/browser.js';
import { MessageFeatures } from '../../src/client/message-features.js';
import { searchApi } from '../../src/client/search.js';
import {
  applicationServerKey,
  registerWebPush,
  unregisterWebPush,
  vapidKey,
} from '../../src/client/webpush.js';
import {
  hasSavedConversations,
  loadConversations,
  loadPage,
  SAVED_PAGE_ENTRIES,
  type SavedSession,
  saveConversations,
  savePage,
  saveSession,
} from './session.js';
import {
  addEntries,
  addMember,
  ensureConversation,
  fold,
  initialState,
  markAllRead,
  removeConversation,
  removeMember,
  removeUpload,
  renameUser,
  replaceSavedPage,
  setActive,
  setAway,
  setMembers,
  setReadMarker,
  setTyping,
  startUpload,
  totalUnread,
  updateConversation,
  updateUpload,
} from './state/conversations.js';
import {
  clearJump,
  foldEdits,
  redactMessage,
  setCompose,
  setReactions,
  settleJump,
  startJump,
  togglesOn,
} from './state/features.js';
import type { ComposeMode, Entry, EntryKind, State } from './state/model.js';
import { renameProfile, setProfile } from './state/profiles.js';
import { Store } from './store.js';

/** Messages fetched per history page. */
export const PAGE_SIZE = 50;
/** Most history pages fetched looking for a message to jump to. */
const JUMP_MAX_PAGES = 20;
/** Search results per page. */
export const SEARCH_PAGE = 20;
const PUSH_KEY = 'tertulia.push';
/** `off` when the person turned the page's notifications off (guests; accounts use PUSH_KEY). */
const NOTIFY_KEY = 'tertulia.notify';

/** One search result, from either search (IRC SEARCH or GET /api/search). */
export interface SearchResult {
  msgid: string;
  conversation: string;
  from: string;
  time: number;
  text: string;
  highlights: Array<[number, number]>;
}

/** Where the next page of a search starts (null: no more). */
export type SearchCursor = { kind: 'api'; cursor: string } | { kind: 'irc'; before: number };

export interface SearchPage {
  results: SearchResult[];
  next: SearchCursor | null;
}

/** How an `active` typing notice is repeated while typing (typing spec: at most every 3 s). */
const TYPING_REPEAT_MS = 3000;

export type LoginMode = 'guest' | 'login' | 'register';

export interface LoginRequest {
  mode: LoginMode;
  nick: string;
  password: string;
  remember: boolean;
}

/** Why logging in failed, for the login form. */
export type LoginFailure =
  | { kind: 'nickInUse'; nick: string }
  | { kind: 'nickRegistered'; nick: string }
  | { kind: 'invalidNick'; nick: string }
  | { kind: 'auth' }
  | { kind: 'unreachable'; reason: string }
  | { kind: 'register'; reason: string };

export class LoginError extends Error {
  constructor(readonly failure: LoginFailure) {
    super(failure.kind);
  }
}

let localSeq = 0;
function localId(): string {
  return `local-${++localSeq}`;
}

function entryFromMessage(m: ChatMessage, kind: EntryKind): Entry {
  return {
    id: m.msgid ?? localId(),
    kind: m.action ? 'action' : kind,
    from: m.from,
    text: m.text,
    time: m.time.getTime(),
    self: m.self,
    msgid: m.msgid,
    tags: m.tags,
  };
}

/**
 * The room a service's private NOTICE is about, when the server said so: IRCv3
 * `+draft/channel-context` with a `tertulia/notice` code (a server tag, which no client can
 * send, so another user cannot put lines in a room this way). Null for any other notice.
 */
function serviceNoticeRoom(m: ChatMessage): string | null {
  const room = m.tags['+draft/channel-context'];
  if (!m.private || m.tags['tertulia/notice'] === undefined || room === undefined || !isChannel(room))
    return null;
  return room;
}

function event(kind: EntryKind, from: string, text = ''): Entry {
  return { id: localId(), kind, from, text, time: Date.now(), self: false, msgid: undefined, tags: {} };
}

/** Logs in (guest, account, or new account) and resolves with a running controller. */
export async function login(req: LoginRequest): Promise<Controller> {
  const url = sameOriginWebSocketUrl(window.location);
  const withPassword = req.mode === 'login';
  const client = new BrowserChatClient({
    url,
    nick: req.nick,
    ...(withPassword ? { password: req.password, account: req.nick } : {}),
    reconnectMinMs: 500,
    reconnectMaxMs: 15_000,
  });
  let failure: LoginFailure | null = null;
  let variant = 0;
  const onNick = (e: { nick: string; reason: 'in-use' | 'invalid'; registered: boolean }): void => {
    if (e.registered) return;
    // Logged in to an account (SASL comes first), the nick may be held by another of our
    // devices: take a variant; the account, not the nick, carries the conversations.
    if (withPassword && e.reason === 'in-use' && variant < 9) {
      client.nick(`${req.nick.slice(0, 27)}_${++variant}`);
      return;
    }
    failure =
      e.reason === 'invalid' ? { kind: 'invalidNick', nick: e.nick } : { kind: 'nickInUse', nick: e.nick };
    client.destroy();
  };
  const onError = (e: { command: string }): void => {
    // 904 ERR_SASLFAIL: a wrong password; registration would go on as a guest, so stop.
    if (withPassword && (e.command === '904' || e.command === '902')) {
      failure = { kind: 'auth' };
      client.destroy();
    }
  };
  client.on('nickInUse', onNick);
  client.on('error', onError);
  try {
    await client.connect();
  } catch (err) {
    throw new LoginError(failure ?? { kind: 'unreachable', reason: (err as Error).message });
  } finally {
    client.off('nickInUse', onNick);
    client.off('error', onError);
  }
  // Asked for without logging in, a registered nick is never lent: the server welcomed us
  // under a guest nick instead. Say so on the login form, where "Log in" is one click away.
  if (!withPassword && fold(client.currentNick) !== fold(req.nick)) {
    client.destroy();
    throw new LoginError({ kind: 'nickRegistered', nick: req.nick });
  }
  if (req.mode === 'register') {
    try {
      await client.registerAccount(req.nick, req.password);
    } catch (err) {
      client.destroy();
      throw new LoginError({ kind: 'register', reason: (err as Error).message });
    }
  }
  const session: SavedSession =
    req.mode === 'guest'
      ? { nick: req.nick, remember: req.remember }
      : { nick: req.nick, account: req.nick, password: req.password, remember: req.remember };
  saveSession(session);
  return new Controller(client, session);
}

/** Logs in again with what was saved (a reload); a taken nick gets a variant rather than failing. */
export function restore(saved: SavedSession): Promise<Controller> {
  return login({
    mode: saved.password !== undefined ? 'login' : 'guest',
    nick: saved.nick,
    password: saved.password ?? '',
    remember: saved.remember,
  });
}

export class Controller {
  readonly store: Store;
  readonly features: MessageFeatures;
  /** Whether the message list shows its newest message (set by the list as it scrolls). */
  atBottom = true;
  private lastTyping = new Map<string, number>();
  private uploads = new Map<string, { abort(): void }>();
  private readonly identity: string;
  private disposed = false;
  private readonly cleanups: Array<() => void> = [];

  constructor(
    readonly client: BrowserChatClient,
    readonly session: SavedSession,
  ) {
    this.store = new Store({ ...initialState(client.currentNick, client.account), connection: 'online' });
    this.features = new MessageFeatures(client);
    this.identity = session.account ?? session.nick;
    this.bind();
    this.showSavedPage();
    this.restoreConversations();
    this.cleanups.push(this.store.subscribe((s) => this.afterChange(s)));
    const onVisible = (): void => {
      this.markActiveRead();
      // A phone may discard a hidden tab without a pagehide: save while it is still here.
      if (document.visibilityState === 'hidden') this.saveActivePage();
    };
    document.addEventListener('visibilitychange', onVisible);
    this.cleanups.push(() => document.removeEventListener('visibilitychange', onVisible));
    // Leave cleanly when the page goes away, so a reload can take the same nick at once.
    const onHide = (): void => {
      this.saveActivePage();
      this.client.quit('Page closed').catch(() => {});
    };
    window.addEventListener('pagehide', onHide);
    this.cleanups.push(() => window.removeEventListener('pagehide', onHide));
    // A notification clicked while the app is open (sw.js posts it), or that opened it (#open=).
    const onWorkerMessage = (e: MessageEvent): void => {
      const data = e.data as { type?: string; conversation?: string; msgid?: string } | null;
      if (data?.type === 'tertulia.open' && typeof data.conversation === 'string')
        this.openFromNotification(data.conversation, data.msgid);
    };
    navigator.serviceWorker?.addEventListener('message', onWorkerMessage);
    this.cleanups.push(() => navigator.serviceWorker?.removeEventListener('message', onWorkerMessage));
    const hash = new URLSearchParams(window.location.hash.slice(1));
    const target = hash.get('open');
    if (target !== null && target !== '') {
      history.replaceState(null, '', window.location.pathname + window.location.search);
      this.openFromNotification(target, hash.get('msgid') ?? undefined);
    }
  }

  private openFromNotification(conversation: string, msgid: string | undefined): void {
    if (isChannel(conversation)) this.join(conversation);
    else this.openPrivate(conversation);
    // A room not joined yet has no history to look in: opening it is enough.
    const readable =
      !isChannel(conversation) || this.state.conversations[fold(conversation)]?.joined === true;
    if (msgid !== undefined && msgid !== '' && readable) void this.jumpTo(conversation, msgid);
  }

  get state(): State {
    return this.store.state;
  }

  private update(fn: (s: State) => State): void {
    this.store.update(fn);
  }

  // ------------------------------------------------------------------ library events

  private bind(): void {
    const c = this.client;
    c.on('message', (m) => this.onMessage(m, 'message'));
    c.on('notice', (m) => {
      // Server notices (no nick, or a server name) are not conversations.
      if (m.from === '' || m.from.includes('.')) return;
      const room = serviceNoticeRoom(m);
      if (room !== null) {
        // A service speaking about a room (ChanServ: "#room is new…"): a line in that room,
        // not a private conversation; the code is shown in the person's language.
        const line = { ...entryFromMessage(m, 'service'), self: false };
        this.update((s) => addEntries(s, room, [line], Date.now()));
        return;
      }
      this.onMessage(m, 'notice');
    });
    c.on('join', (e) => {
      if (e.self) {
        this.update((s) => {
          const opened = ensureConversation(s, e.channel, Date.now());
          return updateConversation(opened, e.channel, (conv) => ({
            ...conv,
            name: e.channel,
            joined: true,
          }));
        });
        if (this.pendingOpen === fold(e.channel)) {
          this.pendingOpen = null;
          this.open(e.channel);
        }
        return;
      }
      this.update((s) =>
        addMember(addEntries(s, e.channel, [event('join', e.nick)], Date.now()), e.channel, e.nick),
      );
    });
    c.on('names', (e) => {
      this.update((s) => setMembers(s, e.channel, e.users));
      // Who is away (WHO flag G), since away-notify only reports changes from now on.
      this.client.send('WHO', e.channel);
      const conv = this.state.conversations[fold(e.channel)];
      if (conv !== undefined && (conv.entries.length === 0 || this.savedPage.has(conv.key)))
        this.loadLatest(e.channel);
    });
    c.on('part', (e) => {
      if (e.self) {
        this.update((s) =>
          updateConversation(s, e.channel, (conv) => ({ ...conv, joined: false, members: {} })),
        );
        return;
      }
      this.update((s) =>
        removeMember(
          addEntries(s, e.channel, [event('part', e.nick, e.reason)], Date.now()),
          e.channel,
          e.nick,
        ),
      );
    });
    c.on('quit', (e) => {
      this.update((s) => {
        let next = s;
        for (const ch of e.channels)
          next = removeMember(
            addEntries(next, ch, [event('quit', e.nick, e.reason)], Date.now()),
            ch,
            e.nick,
          );
        return setAway(next, e.nick, false);
      });
    });
    c.on('nick', (e) => {
      this.update((s) => {
        let next = s;
        for (const conv of Object.values(s.conversations))
          if (conv.members[fold(e.oldNick)] !== undefined)
            next = addEntries(next, conv.name, [event('nick', e.oldNick, e.newNick)], Date.now());
        next = renameProfile(renameUser(next, e.oldNick, e.newNick), e.oldNick, e.newNick);
        return e.self ? { ...next, me: e.newNick } : next;
      });
    });
    c.on('profile', (e) => this.update((s) => setProfile(s, e.nick, e.profile)));
    c.on('topic', (e) => {
      this.update((s) => {
        const next = updateConversation(s, e.channel, (conv) => ({ ...conv, topic: e.topic }));
        return e.initial || e.setBy === undefined
          ? next
          : addEntries(next, e.channel, [event('topic', e.setBy, e.topic)], Date.now());
      });
    });
    c.on('away', (e) => this.update((s) => setAway(s, e.nick, e.away)));
    c.on('typing', (e) => {
      const where = isChannel(e.target) ? e.target : e.from;
      this.update((s) => setTyping(s, where, e.from, e.state, Date.now()));
    });
    c.on('readMarker', (e) => this.update((s) => setReadMarker(s, e.target, e.time?.getTime() ?? null)));
    c.on('raw', (m) => {
      // RPL_WHOREPLY <me> <channel> <user> <host> <server> <nick> <flags> :<hops> <realname>
      if (m.command === '352' && m.params[5] !== undefined)
        this.update((s) => setAway(s, m.params[5]!, (m.params[6] ?? '').startsWith('G')));
    });
    c.on('disconnected', (e) => {
      this.update((s) => ({
        ...s,
        connection: e.ended ? 'ended' : e.willReconnect ? 'reconnecting' : 'offline',
        conversations: Object.fromEntries(
          Object.entries(s.conversations).map(([k, conv]) => [
            k,
            conv.kind === 'room' ? { ...conv, joined: false } : conv,
          ]),
        ),
      }));
    });
    this.features.on('reaction', (e) =>
      this.update((s) => setReactions(s, e.conversation, e.to, this.features.reactionsTo(e.to))),
    );
    this.features.on('redact', (e) => this.update((s) => redactMessage(s, e.conversation, e.msgid)));
    c.on('reconnecting', () => this.update((s) => ({ ...s, connection: 'reconnecting' })));
    c.on('reconnected', (e) => {
      this.update((s) => ({ ...s, connection: 'online', me: e.nick }));
      // The library rejoins rooms and fetches what they missed; private conversations also
      // need their read markers again (rooms get theirs with the JOIN).
      for (const conv of Object.values(this.state.conversations))
        if (conv.kind === 'private') this.client.queryReadMarker(conv.name);
    });
  }

  private pendingOpen: string | null = null;

  private onMessage(m: ChatMessage, kind: EntryKind): void {
    const entry = entryFromMessage(m, kind);
    // A conversation this message opens starts just before it, so the message counts as unread.
    this.update((s) => addEntries(s, m.conversation, [entry], Math.min(Date.now(), entry.time - 1)));
    if (!m.self && !m.replay) this.notify(m);
  }

  // ------------------------------------------------------------------ start-up

  /** Ids of the messages shown from the saved page, by conversation, until the server's page comes. */
  private readonly savedPage = new Map<string, ReadonlySet<string>>();

  /**
   * The conversation that was on screen, with the messages this device saved of it, before
   * the server has sent anything: what the loading screen showed stays (the server's latest
   * page replaces or extends it, `replaceSavedPage`).
   */
  private showSavedPage(): void {
    const page = loadPage(this.identity);
    const active = loadConversations(this.identity).active;
    if (page === null || active === null || fold(page.conversation) !== fold(active)) return;
    if (!this.client.caps.has('draft/chathistory')) return; // nothing would replace it
    this.update((s) => addEntries(s, page.conversation, page.entries, Date.now()));
    this.savedPage.set(fold(page.conversation), new Set(page.entries.map((e) => e.id)));
    // On screen at once, as on the loading screen (a room opens again when joined).
    this.open(page.conversation);
  }

  /** Saves the newest messages of the conversation on screen (on pagehide, and when hidden). */
  private saveActivePage(): void {
    const s = this.state;
    const conv = s.active === null ? undefined : s.conversations[s.active];
    if (conv === undefined) return;
    const entries = conv.entries
      .filter((e) => e.msgid !== undefined)
      .slice(-SAVED_PAGE_ENTRIES)
      .map(({ edited: _, ...e }) => e);
    savePage(
      this.identity,
      { conversation: conv.name, fileHost: this.client.fileHost, entries },
      this.session.remember,
    );
  }

  private restoreConversations(): void {
    if (!hasSavedConversations(this.identity)) void this.joinServerRooms();
    const saved = loadConversations(this.identity);
    for (const name of saved.names) {
      if (isChannel(name)) this.client.join(name);
      else {
        this.update((s) => ensureConversation(s, name, Date.now()));
        this.loadLatest(name);
        this.client.queryReadMarker(name);
      }
    }
    if (saved.active !== null) {
      if (isChannel(saved.active)) this.pendingOpen = fold(saved.active);
      else this.open(saved.active);
    }
    // An account's private conversations live on the server: list them (draft/chathistory TARGETS).
    if (this.client.account !== null && this.client.caps.has('draft/chathistory')) {
      this.client
        .targets(new Date(0), new Date(Date.now() + 60_000), 100)
        .then((targets) => {
          for (const t of targets) {
            if (isChannel(t.target) || t.target === '*') continue;
            if (this.state.conversations[fold(t.target)] !== undefined) continue;
            this.update((s) => ensureConversation(s, t.target, Date.now()));
            this.loadLatest(t.target);
            this.client.queryReadMarker(t.target);
          }
        })
        .catch(() => {});
    }
  }

  /**
   * A first visit (nothing saved for this person on this device) lands in the server's rooms
   * (`server-rooms`, #lobby by default, from GET /api/server-rooms), as the text mode and the
   * terminal client do, with the first one open. Not when the person is already in a room
   * by then (an account whose rooms the server rejoined, or one joined by hand).
   */
  private async joinServerRooms(): Promise<void> {
    const rooms = await this.serverRooms();
    if (this.disposed || rooms.length === 0) return;
    if (Object.values(this.state.conversations).some((c) => c.kind === 'room')) return;
    if (this.state.active === null && this.pendingOpen === null) this.pendingOpen = fold(rooms[0]!);
    for (const room of rooms) this.client.join(room);
  }

  // ------------------------------------------------------------------ history

  loadLatest(name: string): void {
    void this.fetchHistory(name, undefined);
  }

  /** Fetches the page before the oldest message shown (CHATHISTORY BEFORE). */
  loadOlder(name: string): Promise<void> {
    const conv = this.state.conversations[fold(name)];
    if (conv === undefined) return Promise.resolve();
    if (conv.history === 'loading') return this.loading.get(conv.key) ?? Promise.resolve();
    if (conv.history !== 'more') return Promise.resolve();
    const oldest = conv.entries.find((e) => e.msgid !== undefined);
    return this.fetchHistory(name, oldest?.msgid ?? new Date(conv.entries[0]?.time ?? Date.now()));
  }

  /** History pages being fetched, by conversation key. */
  private readonly loading = new Map<string, Promise<void>>();

  private fetchHistory(name: string, before: string | Date | undefined): Promise<void> {
    if (!this.client.caps.has('draft/chathistory')) {
      this.update((s) => updateConversation(s, name, (conv) => ({ ...conv, history: 'complete' })));
      return Promise.resolve();
    }
    const key = fold(name);
    this.update((s) => updateConversation(s, name, (conv) => ({ ...conv, history: 'loading' })));
    const done = this.client
      .history(name, before === undefined ? { limit: PAGE_SIZE } : { before, limit: PAGE_SIZE })
      .then((messages) => {
        const entries = messages.map((m) => entryFromMessage(m, 'message'));
        const saved = before === undefined ? this.savedPage.get(key) : undefined;
        this.savedPage.delete(key);
        this.update((s) => {
          const merged =
            saved === undefined
              ? addEntries(s, name, entries, Date.now())
              : replaceSavedPage(s, name, saved, entries, Date.now());
          let next = updateConversation(merged, name, (conv) => ({
            ...conv,
            history: messages.length < PAGE_SIZE ? 'complete' : 'more',
          }));
          // Reactions replayed with the page (draft/event-playback), including those the
          // library had already counted live before this conversation was open.
          for (const e of entries)
            if (e.msgid !== undefined)
              next = setReactions(next, name, e.msgid, this.features.reactionsTo(e.msgid));
          return next;
        });
      })
      .catch(() => {
        this.update((s) => updateConversation(s, name, (conv) => ({ ...conv, history: 'more' })));
      })
      .finally(() => {
        if (this.loading.get(key) === done) this.loading.delete(key);
      });
    this.loading.set(key, done);
    return done;
  }

  /**
   * Shows one message: loads older history until it is there (or the beginning is
   * reached), then the message list scrolls to it and highlights it (state.jump).
   */
  async jumpTo(name: string, msgid: string): Promise<void> {
    if (this.state.active !== fold(name)) this.open(name);
    this.update((s) => startJump(s, name, msgid));
    const seq = this.state.jump!.seq;
    for (let page = 0; page <= JUMP_MAX_PAGES; page++) {
      if (this.state.jump?.seq !== seq) return;
      const conv = this.state.conversations[fold(name)];
      if (conv === undefined) break;
      if (conv.entries.some((e) => e.msgid === msgid)) {
        this.update((s) => settleJump(s, seq, 'found'));
        return;
      }
      if (conv.history === 'complete' || conv.redacted[msgid] !== undefined) break;
      await this.loadOlder(name);
    }
    this.update((s) => settleJump(s, seq, 'missing'));
  }

  /** The message list has shown the jump (or said it failed). */
  endJump(seq: number): void {
    this.update((s) => clearJump(s, seq));
  }

  // ------------------------------------------------------------------ actions

  open(name: string): void {
    this.update((s) => setActive(ensureConversation(s, name, Date.now()), name));
    this.atBottom = this.state.conversations[fold(name)]?.scrollTop === null;
    this.markActiveRead();
  }

  join(room: string): void {
    const name = isChannel(room) ? room : `#${room}`;
    if (this.state.conversations[fold(name)]?.joined) {
      this.open(name);
      return;
    }
    this.pendingOpen = fold(name);
    this.client.join(name);
  }

  private serverRoomList: Promise<string[]> | null = null;

  /** GET /api/server-rooms, asked once; none from an older server without the endpoint. */
  private serverRooms(): Promise<string[]> {
    this.serverRoomList ??= fetch(`${window.location.origin}/api/server-rooms`, {
      headers: { Accept: 'application/json' },
    })
      .then(async (res) => {
        if (!res.ok) return [];
        const body = (await res.json()) as { rooms?: unknown };
        return Array.isArray(body.rooms)
          ? body.rooms.filter((r): r is string => typeof r === 'string' && isChannel(r))
          : [];
      })
      .catch(() => []);
    return this.serverRoomList;
  }

  /**
   * The rooms for the room directory: what LIST shows, plus the server rooms (#lobby) when
   * they are empty — IRC lists only rooms with people in them, and a newcomer must always
   * find the server's own rooms.
   */
  async listRooms(): Promise<RoomListing[]> {
    const [listed, own] = await Promise.all([this.client.list(), this.serverRooms()]);
    const seen = new Set(listed.map((r) => fold(r.name)));
    const empty = own.filter((name) => !seen.has(fold(name))).map((name) => ({ name, users: 0, topic: '' }));
    return [...listed, ...empty];
  }

  /** The account's sessions and always-on switch (SESSIONS). */
  listSessions(): Promise<SessionList> {
    return this.client.sessions();
  }

  endSession(id: number): Promise<void> {
    return this.client.endSession(id);
  }

  setAlwaysOn(on: boolean): Promise<SessionList['alwaysOn']> {
    return this.client.setAlwaysOn(on);
  }

  openPrivate(nick: string): void {
    const known = this.state.conversations[fold(nick)] !== undefined;
    this.open(nick);
    if (!known) {
      this.loadLatest(nick);
      this.client.queryReadMarker(nick);
    }
  }

  /** Leaves a room, or closes a private conversation. */
  close(name: string): void {
    if (isChannel(name)) this.client.part(name);
    this.update((s) => removeConversation(s, name));
  }

  /** Sends what the person typed: text, or a command (/me, /join, /nick, /topic, /away, /msg). */
  send(name: string, text: string): void {
    const trimmed = text.replace(/\s+$/, '');
    if (trimmed === '') return;
    this.setTypingState(name, 'done');
    if (trimmed.startsWith('/') && !trimmed.startsWith('//')) {
      const [cmd = '', ...rest] = trimmed.slice(1).split(' ');
      const arg = rest.join(' ');
      switch (cmd.toLowerCase()) {
        case 'me':
          this.client.action(name, arg);
          return;
        case 'join':
          if (arg !== '') this.join(arg.split(' ')[0]!);
          return;
        case 'part':
        case 'leave':
          this.close(name);
          return;
        case 'nick':
          if (arg !== '') this.client.nick(arg.split(' ')[0]!);
          return;
        case 'topic':
          this.client.topic(name, arg);
          return;
        case 'away':
          this.client.away(arg === '' ? undefined : arg);
          return;
        case 'msg':
        case 'query': {
          const [to, ...words] = rest;
          if (to === undefined || to === '') return;
          this.openPrivate(to);
          if (words.length > 0) this.client.say(to, words.join(' '));
          return;
        }
      }
    }
    this.sendText(name, trimmed.startsWith('//') ? trimmed.slice(1) : trimmed);
  }

  /** Sends text as a new message, a reply or an edit (the composer's mode), with its line breaks. */
  private sendText(name: string, text: string): void {
    const conv = this.state.conversations[fold(name)];
    const mode = conv?.compose ?? null;
    const canTag = this.client.caps.has('message-tags');
    if (mode !== null) this.update((s) => setCompose(s, name, null));
    if (mode?.kind === 'reply' && canTag) this.features.reply(name, mode.msgid, text);
    else if (mode?.kind === 'edit' && canTag) {
      const original = foldEdits(conv!.entries).find((e) => e.msgid === mode.msgid);
      if (original?.text !== text) this.features.edit(name, mode.msgid, text);
    } else this.features.say(name, text);
  }

  /** Replies to or edits a message (the composer shows it), or goes back to plain writing. */
  compose(name: string, mode: ComposeMode): void {
    const conv = this.state.conversations[fold(name)];
    if (conv === undefined) return;
    if (mode?.kind === 'edit') {
      const original = foldEdits(conv.entries).find((e) => e.msgid === mode.msgid);
      if (original === undefined) return;
      this.update((s) => setCompose(s, name, mode));
      this.setDraft(name, original.text);
      return;
    }
    if (conv.compose?.kind === 'edit') this.setDraft(name, '');
    this.update((s) => setCompose(s, name, mode));
  }

  /** Adds our reaction with this emoji, or takes it back if we had reacted so. */
  toggleReaction(name: string, msgid: string, emoji: string): void {
    const conv = this.state.conversations[fold(name)];
    if (togglesOn(conv?.reactions[msgid], emoji)) this.features.react(name, msgid, emoji);
    else this.features.unreact(name, msgid, emoji);
  }

  /** Deletes a message (REDACT): ours, or any in a room we operate. */
  deleteMessage(name: string, msgid: string): void {
    this.features.redact(name, msgid);
  }

  get canRedact(): boolean {
    return this.features.canRedact;
  }

  // ------------------------------------------------------------------ search

  /**
   * One page of search results, best first. An account searches over HTTP (relevance order,
   * the server's highlights, cursor paging); a guest with SEARCH over its connection
   * (newest first, paged back in time).
   */
  async search(query: string, cursor: SearchCursor | null = null): Promise<SearchPage> {
    const { account, password } = this.session;
    if (account !== undefined && password !== undefined && cursor?.kind !== 'irc') {
      const page = await searchApi(
        window.location.origin,
        { account, password },
        { q: query, limit: SEARCH_PAGE, ...(cursor?.kind === 'api' ? { cursor: cursor.cursor } : {}) },
      );
      return {
        results: page.hits.map((h) => ({
          msgid: h.msgid,
          conversation: h.target,
          from: h.from,
          time: Date.parse(h.time),
          text: h.text,
          highlights: h.highlights,
        })),
        next: page.cursor === null ? null : { kind: 'api', cursor: page.cursor },
      };
    }
    const hits = await this.client.search(query, {
      limit: SEARCH_PAGE,
      ...(cursor?.kind === 'irc' ? { before: new Date(cursor.before) } : {}),
    });
    const results = hits
      .filter((h) => h.msgid !== undefined)
      .reverse()
      .map((h) => ({
        msgid: h.msgid!,
        conversation: h.conversation,
        from: h.from,
        time: h.time.getTime(),
        text: h.text,
        highlights: h.highlights,
      }));
    const oldest = results.at(-1);
    return {
      results,
      next: hits.length < SEARCH_PAGE || oldest === undefined ? null : { kind: 'irc', before: oldest.time },
    };
  }

  // ------------------------------------------------------------------ push notifications

  /** Whether this device can get notifications while the app is closed (draft/webpush). */
  get pushAvailable(): boolean {
    return (
      this.client.account !== null &&
      vapidKey(this.client) !== null &&
      'serviceWorker' in navigator &&
      typeof PushManager !== 'undefined' &&
      typeof Notification !== 'undefined'
    );
  }

  /** Whether push was turned on on this device (remembered per account). */
  get pushEnabled(): boolean {
    try {
      return localStorage.getItem(`${PUSH_KEY}.${this.identity}`) === 'on';
    } catch {
      return false;
    }
  }

  /**
   * Asks for permission, subscribes with the browser's push service using the server's
   * VAPID key, and registers the subscription (WEBPUSH REGISTER). Rejects with the reason.
   */
  async enablePush(): Promise<void> {
    const key = vapidKey(this.client);
    if (key === null) throw new Error('the server offers no push notifications');
    if ((await Notification.requestPermission()) !== 'granted') throw new Error('permission denied');
    const reg = await navigator.serviceWorker.ready;
    const sub =
      (await reg.pushManager.getSubscription()) ??
      (await reg.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: new Uint8Array(applicationServerKey(key)),
      }));
    await registerWebPush(this.client, sub.toJSON());
    this.rememberPush(true);
  }

  /** Unregisters this device's subscription (WEBPUSH UNREGISTER) and drops it. */
  async disablePush(): Promise<void> {
    this.rememberPush(false);
    if (!('serviceWorker' in navigator)) return;
    const reg = await navigator.serviceWorker.getRegistration();
    const sub = await reg?.pushManager.getSubscription();
    if (sub === null || sub === undefined) return;
    await unregisterWebPush(this.client, sub.endpoint).catch(() => {});
    await sub.unsubscribe();
  }

  /**
   * Whether this page shows notifications while it is open but hidden: the browser allows
   * them and the person did not turn them off here (the one "Notifications" switch).
   */
  get notificationsOn(): boolean {
    if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return false;
    if (this.pushAvailable) return this.pushEnabled;
    try {
      return localStorage.getItem(`${NOTIFY_KEY}.${this.identity}`) !== 'off';
    } catch {
      return true;
    }
  }

  /**
   * The one "Notifications" switch: for an account with Web Push, push on this device (the
   * page's own notifications follow it); otherwise the page's notifications, asking the
   * browser's permission when turned on. Rejects with the reason it could not turn on.
   */
  async setNotifications(on: boolean): Promise<void> {
    if (this.pushAvailable) {
      if (on) await this.enablePush();
      else await this.disablePush();
      return;
    }
    if (on && typeof Notification !== 'undefined' && (await Notification.requestPermission()) !== 'granted')
      throw new Error('permission denied');
    try {
      if (on) localStorage.removeItem(`${NOTIFY_KEY}.${this.identity}`);
      else localStorage.setItem(`${NOTIFY_KEY}.${this.identity}`, 'off');
    } catch {
      // not remembered: notifications follow the browser's permission after a reload
    }
  }

  private rememberPush(on: boolean): void {
    try {
      if (on) localStorage.setItem(`${PUSH_KEY}.${this.identity}`, 'on');
      else localStorage.removeItem(`${PUSH_KEY}.${this.identity}`);
    } catch {
      // not remembered: the toggle shows off after a reload
    }
  }

  setDraft(name: string, draft: string): void {
    this.update((s) =>
      updateConversation(s, name, (conv) => (conv.draft === draft ? conv : { ...conv, draft })),
    );
    this.setTypingState(name, draft === '' ? 'done' : 'active');
  }

  private setTypingState(name: string, state: 'active' | 'done'): void {
    const key = fold(name);
    const last = this.lastTyping.get(key);
    if (state === 'active') {
      if (last !== undefined && Date.now() - last < TYPING_REPEAT_MS) return;
      this.lastTyping.set(key, Date.now());
    } else {
      if (last === undefined) return;
      this.lastTyping.delete(key);
    }
    this.client.typing(name, state);
  }

  saveScroll(name: string, scrollTop: number | null): void {
    this.update((s) =>
      updateConversation(s, name, (conv) => (conv.scrollTop === scrollTop ? conv : { ...conv, scrollTop })),
    );
  }

  setAtBottom(atBottom: boolean): void {
    this.atBottom = atBottom;
    if (atBottom) this.markActiveRead();
  }

  setTopic(name: string, topic: string): void {
    this.client.topic(name, topic);
  }

  setAwayMessage(message: string | undefined): void {
    this.client.away(message);
  }

  /** Moves the read marker of the conversation on screen to its newest message. */
  markActiveRead(): void {
    const active = this.state.active;
    if (active === null || !this.atBottom || document.visibilityState !== 'visible') return;
    const { state, marker } = markAllRead(this.state, active);
    if (marker === null) return;
    this.store.update(() => state);
    const conv = this.state.conversations[active];
    if (conv !== undefined) this.client.markRead(conv.name, new Date(marker));
  }

  // ------------------------------------------------------------------ files

  /** Why files cannot be sent here, or null when they can. */
  get uploadBlocker(): 'guest' | 'unavailable' | null {
    if (this.client.fileHost === null) return 'unavailable';
    if (!this.client.canUpload) return 'guest';
    return null;
  }

  sendFiles(name: string, files: readonly File[]): void {
    if (this.uploadBlocker !== null) return;
    for (const file of files) {
      const id = localId();
      this.update((s) => startUpload(s, { id, conversation: fold(name), name: file.name, size: file.size }));
      const handle = this.client.uploadBlob(
        file,
        file.name,
        (progress) => this.update((s) => updateUpload(s, id, { progress })),
        window.location.origin,
      );
      this.uploads.set(id, handle);
      handle.done
        .then((link) => {
          this.client.say(name, link);
          this.update((s) => removeUpload(s, id));
        })
        .catch((err: Error) => {
          const tooLarge = err instanceof UploadError && err.status === 413;
          this.update((s) => updateUpload(s, id, { error: err.message, tooLarge }));
        })
        .finally(() => this.uploads.delete(id));
    }
  }

  dismissUpload(id: string): void {
    this.uploads.get(id)?.abort();
    this.update((s) => removeUpload(s, id));
  }

  // ------------------------------------------------------------------ profile

  /** Whether the server keeps profiles (draft/metadata-2). */
  get profilesAvailable(): boolean {
    return this.client.profilesAvailable;
  }

  /** Saves one's display name and status ('' clears one); resolves when the server has both. */
  async saveProfile(displayName: string, status: string): Promise<void> {
    const mine = this.client.profileOf(this.state.me) ?? {};
    const name = displayName.trim();
    const text = status.trim();
    if ((mine.displayName ?? '') !== name) await this.client.setProfile('displayName', name);
    if ((mine.status ?? '') !== text) await this.client.setProfile('status', text);
  }

  /**
   * Uploads an image through the file host and makes its link one's avatar. Needs an account
   * (uploads do: `uploadBlocker`).
   */
  async setAvatar(file: File): Promise<void> {
    if (this.uploadBlocker !== null) throw new Error(this.uploadBlocker);
    const handle = this.client.uploadBlob(file, file.name, () => {}, window.location.origin);
    const link = await handle.done;
    await this.client.setProfile('avatar', link);
  }

  clearAvatar(): Promise<void> {
    return this.client.setProfile('avatar', null);
  }

  // ------------------------------------------------------------------ around the chat

  private notify(m: ChatMessage): void {
    const hidden = document.visibilityState !== 'visible';
    const elsewhere = this.state.active !== fold(m.conversation);
    if (!hidden && !elsewhere) return;
    if (!hidden || !this.notificationsOn) return;
    const n = new Notification(m.private ? m.from : `${m.from} · ${m.conversation}`, {
      body: m.action ? `* ${m.from} ${m.text}` : m.text,
      tag: fold(m.conversation),
    });
    n.onclick = () => {
      window.focus();
      this.open(m.conversation);
      n.close();
    };
  }

  private savedNames = '';

  private afterChange(s: State): void {
    const unread = totalUnread(s);
    document.title = unread > 0 ? `(${unread}) tertulia` : 'tertulia';
    const active = s.active === null ? null : (s.conversations[s.active]?.name ?? null);
    const names = Object.values(s.conversations).map((c) => c.name);
    const key = JSON.stringify([names, active]);
    if (key !== this.savedNames) {
      this.savedNames = key;
      saveConversations(this.identity, { names, active }, this.session.remember);
    }
    if (s.active !== null && s.conversations[s.active]?.entries.at(-1) !== undefined) this.markActiveRead();
  }

  async logout(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const c of this.cleanups) c();
    for (const u of this.uploads.values()) u.abort();
    // Logging out of this device: it should not be notified for the account any more.
    if (this.pushEnabled) await this.disablePush().catch(() => {});
    await this.client.quit('Logged out');
  }
}
