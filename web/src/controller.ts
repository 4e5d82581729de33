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
  sameOriginWebSocketUrl,
  UploadError,
} from '../../src/client/browser.js';
import { loadConversations, type SavedSession, saveConversations, saveSession } from './session.js';
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
import type { Entry, EntryKind, State } from './state/model.js';
import { Store } from './store.js';

/** Messages fetched per history page. */
export const PAGE_SIZE = 50;
/** How often an `active` typing notice is repeated while typing (typing spec: at most every 3 s). */
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
    this.identity = session.account ?? session.nick;
    this.bind();
    this.restoreConversations();
    this.cleanups.push(this.store.subscribe((s) => this.afterChange(s)));
    const onVisible = (): void => this.markActiveRead();
    document.addEventListener('visibilitychange', onVisible);
    this.cleanups.push(() => document.removeEventListener('visibilitychange', onVisible));
    // Leave cleanly when the page goes away, so a reload can take the same nick at once.
    const onHide = (): void => {
      this.client.quit('Page closed').catch(() => {});
    };
    window.addEventListener('pagehide', onHide);
    this.cleanups.push(() => window.removeEventListener('pagehide', onHide));
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
      if (conv !== undefined && conv.entries.length === 0) this.loadLatest(e.channel);
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
        next = renameUser(next, e.oldNick, e.newNick);
        return e.self ? { ...next, me: e.newNick } : next;
      });
    });
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
        connection: e.willReconnect ? 'reconnecting' : 'offline',
        conversations: Object.fromEntries(
          Object.entries(s.conversations).map(([k, conv]) => [
            k,
            conv.kind === 'room' ? { ...conv, joined: false } : conv,
          ]),
        ),
      }));
    });
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

  private restoreConversations(): void {
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

  // ------------------------------------------------------------------ history

  loadLatest(name: string): void {
    this.fetchHistory(name, undefined);
  }

  /** Fetches the page before the oldest message shown (CHATHISTORY BEFORE). */
  loadOlder(name: string): void {
    const conv = this.state.conversations[fold(name)];
    if (conv === undefined || conv.history !== 'more') return;
    const oldest = conv.entries.find((e) => e.msgid !== undefined);
    this.fetchHistory(name, oldest?.msgid ?? new Date(conv.entries[0]?.time ?? Date.now()));
  }

  private fetchHistory(name: string, before: string | Date | undefined): void {
    if (!this.client.caps.has('draft/chathistory')) {
      this.update((s) => updateConversation(s, name, (conv) => ({ ...conv, history: 'complete' })));
      return;
    }
    this.update((s) => updateConversation(s, name, (conv) => ({ ...conv, history: 'loading' })));
    this.client
      .history(name, before === undefined ? { limit: PAGE_SIZE } : { before, limit: PAGE_SIZE })
      .then((messages) => {
        const entries = messages.map((m) => entryFromMessage(m, 'message'));
        this.update((s) =>
          updateConversation(addEntries(s, name, entries, Date.now()), name, (conv) => ({
            ...conv,
            history: messages.length < PAGE_SIZE ? 'complete' : 'more',
          })),
        );
      })
      .catch(() => {
        this.update((s) => updateConversation(s, name, (conv) => ({ ...conv, history: 'more' })));
      });
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
    this.client.say(name, trimmed.startsWith('//') ? trimmed.slice(1) : trimmed);
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

  // ------------------------------------------------------------------ around the chat

  private notify(m: ChatMessage): void {
    const hidden = document.visibilityState !== 'visible';
    const elsewhere = this.state.active !== fold(m.conversation);
    if (!hidden && !elsewhere) return;
    if (!hidden || typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
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
    await this.client.quit('Logged out');
  }
}
