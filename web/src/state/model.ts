/**
 * The web client's state, as plain data: conversations with their entries (messages and
 * quiet events), members, read markers, drafts and scroll positions. Everything here is
 * immutable by convention: updates (conversations.ts) return new objects, so components
 * re-render by reference and tests compare values.
 */
import type { Profile } from '../../../src/client/profiles.js';

/** What an entry in a conversation is. Messages count as unread; the others are shown quietly. */
export type EntryKind =
  | 'message'
  | 'action'
  | 'notice'
  | 'join'
  | 'part'
  | 'quit'
  | 'nick'
  | 'topic'
  /** A service's line about a room (ChanServ's notices, by their `tertulia/notice` code). */
  | 'service';

export interface Entry {
  /**
   * Stable key: the server's msgid when there is one (so history pages, live delivery and
   * catch-up after a reconnection merge without duplicates), else a local id. Replies,
   * reactions, edits and deletions will find their message by this key.
   */
  id: string;
  kind: EntryKind;
  /** Sender (messages) or subject (events). */
  from: string;
  text: string;
  /** Milliseconds since the epoch (server-time when the server gave one). */
  time: number;
  self: boolean;
  msgid: string | undefined;
  /** The message's IRCv3 tags (+draft/reply, +draft/edit...). */
  tags: Readonly<Record<string, string | undefined>>;
  /** Shown with a correction's text (features.ts foldEdits sets it; never stored). */
  edited?: boolean;
}

/** Reactions to one message, per emoji (what MessageFeatures.reactionsTo gives). */
export interface Reaction {
  emoji: string;
  count: number;
  /** Nicks of who reacted. */
  who: readonly string[];
  /** Whether we are among them. */
  mine: boolean;
}

/** What the composer of a conversation is doing besides writing a new message. */
export type ComposeMode = { kind: 'reply'; msgid: string } | { kind: 'edit'; msgid: string } | null;

export interface Member {
  nick: string;
  /** Channel-membership prefixes, highest first ('@', '+'). */
  prefixes: string;
}

export type ConversationKind = 'room' | 'private';

export interface Conversation {
  /** Folded name (ASCII lower case): the key in State.conversations. */
  key: string;
  /** The name as the server spells it (a room) or the other person's nick. */
  name: string;
  kind: ConversationKind;
  /** Oldest first, each id once. */
  entries: readonly Entry[];
  /** Everything up to this time has been read (draft/read-marker), or null when unknown. */
  readMarker: number | null;
  /**
   * When this client started following the conversation: without a read marker, history
   * older than this is not counted as unread (a guest has no markers).
   */
  openedAt: number;
  topic: string;
  /** Room members by folded nick (rooms only). */
  members: Readonly<Record<string, Member>>;
  /** We are in the room (false after leaving or being kicked, and while reconnecting). */
  joined: boolean;
  /** Older history: 'more' to fetch, 'loading', or 'complete' when the beginning was reached. */
  history: 'more' | 'loading' | 'complete';
  /** What the person had typed here and not sent yet. */
  draft: string;
  /** Scroll position to restore when coming back; null: follow the newest message. */
  scrollTop: number | null;
  /** Who is typing here: folded nick → { nick, until (ms) }. */
  typing: Readonly<Record<string, { nick: string; until: number }>>;
  /** Reactions by msgid of the message reacted to. */
  reactions: Readonly<Record<string, readonly Reaction[]>>;
  /** msgids deleted (REDACT): never shown again, even if a late page brings them. */
  redacted: Readonly<Record<string, true>>;
  /** Replying to or editing a message. */
  compose: ComposeMode;
}

/** A request to show one message: scrolled to and highlighted, or said to be unavailable. */
export interface Jump {
  conversation: string;
  msgid: string;
  status: 'loading' | 'found' | 'missing';
  /** Distinguishes two jumps to the same message (each flashes it again). */
  seq: number;
}

export type ConnectionState = 'connecting' | 'online' | 'reconnecting' | 'offline' | 'ended';

export interface State {
  /** Our nick as the server knows it. */
  me: string;
  /** The account we are logged in to, or null for a guest. */
  account: string | null;
  connection: ConnectionState;
  conversations: Readonly<Record<string, Conversation>>;
  /** The conversation on screen (its key), or null. */
  active: string | null;
  /** Away people by folded nick (away-notify), shared by every conversation. */
  away: Readonly<Record<string, boolean>>;
  /** Files being sent (or that failed), shown above the composer of their conversation. */
  uploads: readonly Upload[];
  /** The message being jumped to (a reply's original, a search hit), or null. */
  jump: Jump | null;
  /** People's profiles (draft/metadata-2) by folded nick: display name, avatar, status. */
  profiles: Readonly<Record<string, Profile>>;
}

export interface Upload {
  id: string;
  /** Folded name of the conversation the file goes to. */
  conversation: string;
  name: string;
  size: number;
  /** 0..1 */
  progress: number;
  /** Why it failed, for the person to read; undefined while it is going. */
  error: string | undefined;
  /** The server refused it for its size (HTTP 413). */
  tooLarge: boolean;
}
