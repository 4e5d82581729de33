/** The typed events of the client library and the values they carry. */
import type { IrcMessage } from '../protocol/message.js';
import type { Tags } from '../protocol/tags.js';
import type { Profile } from './profiles.js';
import type { SessionList } from './sessions.js';

export interface ChatMessage {
  /** Sender's nick ('' for the server). */
  from: string;
  /** Where it was sent: a room, or a nick for a private message. */
  target: string;
  /** The conversation it belongs to: the room, or the other person for a private message. */
  conversation: string;
  text: string;
  time: Date;
  msgid: string | undefined;
  /** Sent by this client. */
  self: boolean;
  private: boolean;
  /** A /me action (CTCP ACTION); `text` is without the wrapper. */
  action: boolean;
  /** Came from history (catch-up after reconnecting, or history()). */
  replay: boolean;
  account: string | undefined;
  tags: Tags;
}

export interface NamesEntry {
  nick: string;
  /** Channel-membership prefixes, highest first ('@', '+'...). */
  prefixes: string;
}

/** One room from LIST (322 RPL_LIST): its name, how many are in it, and its topic. */
export interface RoomListing {
  name: string;
  users: number;
  topic: string;
}

export interface ChatClientEvents {
  registered: { nick: string };
  /** Server text worth showing a person: the welcome, the MOTD, replies to queries. */
  info: { command: string; text: string; params: string[] };
  message: ChatMessage;
  notice: ChatMessage;
  join: {
    nick: string;
    channel: string;
    self: boolean;
    account: string | undefined;
    realname: string | undefined;
  };
  part: { nick: string; channel: string; self: boolean; reason: string; kickedBy: string | undefined };
  quit: { nick: string; reason: string; channels: string[] };
  nick: { oldNick: string; newNick: string; self: boolean };
  topic: { channel: string; topic: string; setBy: string | undefined; initial: boolean };
  names: { channel: string; users: NamesEntry[] };
  /** The rooms a LIST returned (everything between 321 and 323). */
  list: { rooms: RoomListing[] };
  away: { nick: string; away: boolean; message: string };
  typing: { from: string; target: string; state: string };
  /** A read marker (draft/read-marker): everything up to `time` in `target` has been read. */
  readMarker: { target: string; time: Date | null };
  /** Someone's profile (draft/metadata-2) is known or changed: their display name, avatar, status. */
  profile: { nick: string; profile: Profile; live: boolean };
  /** The nick asked for was refused; call `nick()` with another, or it stays as it was. */
  nickInUse: { nick: string; reason: 'in-use' | 'invalid'; registered: boolean };
  error: { message: string; command: string; params: string[] };
  /** `ended`: the person ended this session from another one (SESSIONS END); no reconnecting. */
  disconnected: { reason: string; willReconnect: boolean; ended: boolean };
  reconnecting: { attempt: number; delayMs: number };
  reconnected: { nick: string };
  /** A SESSIONS listing (sessions()), or the always-on switch after setAlwaysOn(). */
  sessions: SessionList;
  alwaysOn: { state: SessionList['alwaysOn'] };
  /** One of the person's sessions was ended (endSession()). */
  sessionEnded: { id: number };
  /** Every parsed line from the server (for debugging or extensions). */
  raw: IrcMessage;
}

/** One conversation from CHATHISTORY TARGETS: its name and its latest message's time. */
export interface HistoryTarget {
  target: string;
  latest: Date;
}
