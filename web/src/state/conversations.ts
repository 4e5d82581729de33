/**
 * Pure updates of the web client's state (model.ts). Each takes a state and returns the
 * next one (or the same object when nothing changed); the controller feeds them the client
 * library's events, and the unit tests (test/web/) feed them by hand.
 */
import type { Conversation, ConversationKind, Entry, Member, State, Upload } from './model.js';

/** ASCII case folding, as the server does (CASEMAPPING=ascii). */
export function fold(name: string): string {
  return name.toLowerCase();
}

export function isRoom(name: string): boolean {
  return /^[#&+!]/.test(name);
}

export function initialState(me: string, account: string | null = null): State {
  return {
    me,
    account,
    connection: 'connecting',
    conversations: {},
    active: null,
    away: {},
    uploads: [],
    jump: null,
    profiles: {},
  };
}

export function newConversation(name: string, now: number, kind?: ConversationKind): Conversation {
  return {
    key: fold(name),
    name,
    kind: kind ?? (isRoom(name) ? 'room' : 'private'),
    entries: [],
    readMarker: null,
    openedAt: now,
    topic: '',
    members: {},
    joined: false,
    history: 'more',
    draft: '',
    scrollTop: null,
    typing: {},
    reactions: {},
    redacted: {},
    compose: null,
  };
}

function put(state: State, conv: Conversation): State {
  return { ...state, conversations: { ...state.conversations, [conv.key]: conv } };
}

/** Applies `fn` to a conversation if it exists. */
export function updateConversation(
  state: State,
  name: string,
  fn: (conv: Conversation) => Conversation,
): State {
  const conv = state.conversations[fold(name)];
  if (conv === undefined) return state;
  const next = fn(conv);
  return next === conv ? state : put(state, next);
}

/** Makes sure a conversation exists (opening it in the list); `now` marks when it was opened. */
export function ensureConversation(state: State, name: string, now: number): State {
  if (state.conversations[fold(name)] !== undefined) return state;
  return put(state, newConversation(name, now));
}

export function removeConversation(state: State, name: string): State {
  const key = fold(name);
  if (state.conversations[key] === undefined) return state;
  const conversations = { ...state.conversations };
  delete conversations[key];
  const active =
    state.active === key ? (sortedConversations({ ...state, conversations })[0]?.key ?? null) : state.active;
  return { ...state, conversations, active };
}

/**
 * Merges entries into a list sorted by time, each id once. Live messages, history pages
 * (older or newer) and a reconnection's catch-up all come through here, in any order and
 * overlapping: an id already present is kept as it is.
 */
export function mergeEntries(existing: readonly Entry[], incoming: readonly Entry[]): readonly Entry[] {
  if (incoming.length === 0) return existing;
  const ids = new Set(existing.map((e) => e.id));
  const fresh: Entry[] = [];
  for (const e of incoming) {
    if (ids.has(e.id)) continue;
    ids.add(e.id);
    fresh.push(e);
  }
  if (fresh.length === 0) return existing;
  const last = existing.at(-1);
  fresh.sort((a, b) => a.time - b.time);
  // The common case, a new message: append without re-sorting.
  if (last === undefined || fresh[0]!.time >= last.time) return [...existing, ...fresh];
  // A stable merge: on equal times, what we had comes first.
  const out: Entry[] = [];
  let i = 0;
  let j = 0;
  while (i < existing.length || j < fresh.length) {
    if (j >= fresh.length || (i < existing.length && existing[i]!.time <= fresh[j]!.time))
      out.push(existing[i++]!);
    else out.push(fresh[j++]!);
  }
  return out;
}

/**
 * The server's latest page arriving in a conversation first shown from the page this device
 * saved (`session.ts` `SavedPage`, shown at once on a reload). When the page and what was
 * saved share a message, they are one stretch of history: merge. When they do not, more was
 * said meanwhile than a page holds, so the saved messages are dropped: keeping them would
 * leave a silent gap that scrolling back never fills.
 */
export function replaceSavedPage(
  state: State,
  name: string,
  saved: ReadonlySet<string>,
  page: readonly Entry[],
  now: number,
): State {
  const overlaps = page.some((e) => saved.has(e.id));
  const trimmed = overlaps
    ? state
    : updateConversation(state, name, (conv) => ({
        ...conv,
        entries: conv.entries.filter((e) => !saved.has(e.id)),
      }));
  return addEntries(trimmed, name, page, now);
}

/** Adds entries to a conversation, opening it if needed (a private message opens one). */
export function addEntries(state: State, name: string, entries: readonly Entry[], now: number): State {
  const opened = ensureConversation(state, name, now);
  return updateConversation(opened, name, (conv) => {
    const kept = entries.filter((e) => e.msgid === undefined || conv.redacted[e.msgid] === undefined);
    const merged = mergeEntries(conv.entries, kept);
    if (merged === conv.entries) return conv;
    // A message from someone ends their typing indicator.
    const typers = kept.filter((e) => isMessage(e) && conv.typing[fold(e.from)] !== undefined);
    if (typers.length === 0) return { ...conv, entries: merged };
    const typing = { ...conv.typing };
    for (const e of typers) delete typing[fold(e.from)];
    return { ...conv, entries: merged, typing };
  });
}

/** Entries that count as unread and show in the conversation list's preview. */
export function isMessage(e: Entry): boolean {
  return e.kind === 'message' || e.kind === 'action' || e.kind === 'notice';
}

/** Messages from others after the read marker (or after opening, without one). */
export function unreadCount(conv: Conversation): number {
  const since = conv.readMarker ?? conv.openedAt;
  let n = 0;
  for (let i = conv.entries.length - 1; i >= 0; i--) {
    const e = conv.entries[i]!;
    if (e.time <= since) break;
    if (isMessage(e) && !e.self && e.tags['+draft/edit'] === undefined) n++;
  }
  return n;
}

export function totalUnread(state: State): number {
  let n = 0;
  for (const conv of Object.values(state.conversations)) n += unreadCount(conv);
  return n;
}

export function lastMessage(conv: Conversation): Entry | undefined {
  for (let i = conv.entries.length - 1; i >= 0; i--) if (isMessage(conv.entries[i]!)) return conv.entries[i];
  return undefined;
}

/** Time of the latest activity (for ordering the list): the last message, else when opened. */
export function lastActivity(conv: Conversation): number {
  return lastMessage(conv)?.time ?? conv.openedAt;
}

/** The conversation list: most recent activity first, ties by name. */
export function sortedConversations(state: State): Conversation[] {
  return Object.values(state.conversations).sort(
    (a, b) => lastActivity(b) - lastActivity(a) || a.key.localeCompare(b.key),
  );
}

/** Moves a read marker forward (never back: markers only advance, draft/read-marker). */
export function setReadMarker(state: State, name: string, time: number | null): State {
  if (time === null) return state;
  return updateConversation(state, name, (conv) =>
    conv.readMarker !== null && conv.readMarker >= time ? conv : { ...conv, readMarker: time },
  );
}

/**
 * Marks everything in a conversation as read; returns the new state and the marker time to
 * tell the server, or null when nothing moved.
 */
export function markAllRead(state: State, name: string): { state: State; marker: number | null } {
  const conv = state.conversations[fold(name)];
  const last = conv?.entries.at(-1);
  if (conv === undefined || last === undefined) return { state, marker: null };
  if (conv.readMarker !== null && conv.readMarker >= last.time) return { state, marker: null };
  return { state: setReadMarker(state, name, last.time), marker: last.time };
}

export function setActive(state: State, name: string | null): State {
  const key = name === null ? null : fold(name);
  if (key !== null && state.conversations[key] === undefined) return state;
  return key === state.active ? state : { ...state, active: key };
}

/** The next or previous conversation in list order (Alt+Down / Alt+Up), wrapping around. */
export function neighbour(state: State, step: 1 | -1): string | null {
  const list = sortedConversations(state);
  if (list.length === 0) return null;
  const i = list.findIndex((c) => c.key === state.active);
  const next = i === -1 ? 0 : (i + step + list.length) % list.length;
  return list[next]!.key;
}

// ------------------------------------------------------------------ members and presence

export function setMembers(state: State, room: string, members: readonly Member[]): State {
  return updateConversation(state, room, (conv) => ({
    ...conv,
    members: Object.fromEntries(members.map((m) => [fold(m.nick), m])),
  }));
}

export function addMember(state: State, room: string, nick: string): State {
  return updateConversation(state, room, (conv) =>
    conv.members[fold(nick)] !== undefined
      ? conv
      : { ...conv, members: { ...conv.members, [fold(nick)]: { nick, prefixes: '' } } },
  );
}

export function removeMember(state: State, room: string, nick: string): State {
  return updateConversation(state, room, (conv) => {
    if (conv.members[fold(nick)] === undefined) return conv;
    const members = { ...conv.members };
    delete members[fold(nick)];
    return { ...conv, members };
  });
}

/** A nick change: members, the private conversation with them, and who is away follow it. */
export function renameUser(state: State, oldNick: string, newNick: string): State {
  const from = fold(oldNick);
  const to = fold(newNick);
  let next = state;
  for (const conv of Object.values(state.conversations)) {
    const m = conv.members[from];
    if (m === undefined) continue;
    const members = { ...conv.members };
    delete members[from];
    members[to] = { ...m, nick: newNick };
    next = put(next, { ...conv, members });
  }
  const dm = next.conversations[from];
  if (dm !== undefined && dm.kind === 'private' && next.conversations[to] === undefined) {
    const conversations = { ...next.conversations };
    delete conversations[from];
    conversations[to] = { ...dm, key: to, name: newNick };
    next = { ...next, conversations, active: next.active === from ? to : next.active };
  }
  if (next.away[from] !== undefined) {
    const away = { ...next.away, [to]: next.away[from]! };
    delete away[from];
    next = { ...next, away };
  }
  return next;
}

export function setAway(state: State, nick: string, away: boolean): State {
  const k = fold(nick);
  if ((state.away[k] ?? false) === away) return state;
  const next = { ...state.away };
  if (away) next[k] = true;
  else delete next[k];
  return { ...state, away: next };
}

// ------------------------------------------------------------------ typing

/**
 * How long an `active` typing notice lasts without a refresh (IRCv3 typing client tag:
 * receivers treat it as ended after 6 seconds). `paused` and `done` end it at once: the
 * person is no longer typing, which is what the indicator says.
 */
export const TYPING_ACTIVE_MS = 6000;

export function setTyping(state: State, name: string, nick: string, typingState: string, now: number): State {
  return updateConversation(state, name, (conv) => {
    const k = fold(nick);
    const typing = { ...conv.typing };
    if (typingState === 'active') typing[k] = { nick, until: now + TYPING_ACTIVE_MS };
    else if (typing[k] !== undefined) delete typing[k];
    else return conv;
    return { ...conv, typing };
  });
}

/** Who is typing in a conversation now (those whose notice has not expired). */
export function typingNow(conv: Conversation, now: number): string[] {
  return Object.values(conv.typing)
    .filter((t) => t.until > now)
    .map((t) => t.nick);
}

// ------------------------------------------------------------------ uploads

export function startUpload(state: State, upload: Omit<Upload, 'progress' | 'error' | 'tooLarge'>): State {
  return {
    ...state,
    uploads: [...state.uploads, { ...upload, progress: 0, error: undefined, tooLarge: false }],
  };
}

export function updateUpload(state: State, id: string, change: Partial<Upload>): State {
  if (!state.uploads.some((u) => u.id === id)) return state;
  return { ...state, uploads: state.uploads.map((u) => (u.id === id ? { ...u, ...change } : u)) };
}

export function removeUpload(state: State, id: string): State {
  return { ...state, uploads: state.uploads.filter((u) => u.id !== id) };
}
