/**
 * What survives a reload: who the person is (and their password only when they asked to be
 * remembered, in localStorage; otherwise in sessionStorage, which lasts as long as the tab)
 * and which conversations they had open, with the last messages of the one on screen
 * (`SavedPage`), so a reload shows them at once instead of after logging in again.
 */
import type { Entry } from './state/model.js';

export interface SavedSession {
  nick: string;
  /** Set when logged in to an account (SASL PLAIN on reconnect). */
  account?: string;
  password?: string;
  remember: boolean;
}

export interface SavedConversations {
  names: string[];
  active: string | null;
}

/** The newest messages of the conversation on screen when the page went away. */
export interface SavedPage {
  conversation: string;
  /** The server's file host then (so shared pictures show as pictures). */
  fileHost: string | null;
  entries: Entry[];
}

/** Messages kept per saved page: one screen and more, a few KB. */
export const SAVED_PAGE_ENTRIES = 50;

const SESSION_KEY = 'tertulia.session';
const CONVERSATIONS_KEY = 'tertulia.conversations';
const PAGE_KEY = 'tertulia.page';

function storages(): Storage[] {
  return [window.localStorage, window.sessionStorage];
}

function read<T>(key: string): T | null {
  for (const s of storages()) {
    try {
      const text = s.getItem(key);
      if (text !== null) return JSON.parse(text) as T;
    } catch {
      // Unreadable or blocked storage: behave as if nothing was saved.
    }
  }
  return null;
}

function write(key: string, value: unknown, remember: boolean): void {
  const [local, session] = storages();
  try {
    (remember ? local : session)!.setItem(key, JSON.stringify(value));
    (remember ? session : local)!.removeItem(key);
  } catch {
    // Storage full or blocked: the session simply does not survive a reload.
  }
}

export function loadSession(): SavedSession | null {
  const s = read<SavedSession>(SESSION_KEY);
  return s !== null && typeof s.nick === 'string' && s.nick !== '' ? s : null;
}

export function saveSession(s: SavedSession): void {
  write(SESSION_KEY, s, s.remember);
}

/** Conversations are saved per identity (account, else nick), beside the session. */
function conversationsKey(identity: string): string {
  return `${CONVERSATIONS_KEY}.${identity.toLowerCase()}`;
}

export function loadConversations(identity: string): SavedConversations {
  const c = read<SavedConversations>(conversationsKey(identity));
  return c !== null && Array.isArray(c.names) ? c : { names: [], active: null };
}

/** Whether this identity has used the web client on this device before (saved anything). */
export function hasSavedConversations(identity: string): boolean {
  return read<SavedConversations>(conversationsKey(identity)) !== null;
}

export function saveConversations(identity: string, c: SavedConversations, remember: boolean): void {
  write(conversationsKey(identity), c, remember);
}

/** Kept where the session is (localStorage only for "remember me"), cleared with it. */
export function savePage(identity: string, page: SavedPage, remember: boolean): void {
  write(`${PAGE_KEY}.${identity.toLowerCase()}`, page, remember);
}

export function loadPage(identity: string): SavedPage | null {
  const p = read<SavedPage>(`${PAGE_KEY}.${identity.toLowerCase()}`);
  return p !== null && typeof p.conversation === 'string' && Array.isArray(p.entries) ? p : null;
}

export function clearSession(): void {
  for (const s of storages()) {
    try {
      for (const key of Object.keys(s)) if (key.startsWith('tertulia.')) s.removeItem(key);
    } catch {
      // nothing to clear
    }
  }
}
