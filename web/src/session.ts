/**
 * What survives a reload: who the person is (and their password only when they asked to be
 * remembered, in localStorage; otherwise in sessionStorage, which lasts as long as the tab)
 * and which conversations they had open.
 */

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

const SESSION_KEY = 'tertulia.session';
const CONVERSATIONS_KEY = 'tertulia.conversations';

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

export function clearSession(): void {
  for (const s of storages()) {
    try {
      for (const key of Object.keys(s)) if (key.startsWith('tertulia.')) s.removeItem(key);
    } catch {
      // nothing to clear
    }
  }
}
