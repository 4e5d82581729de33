/** What the client keeps while a reply is outstanding: open batches and history requests. */
import type { IrcMessage } from '../protocol/message.js';
import type { ChatMessage, HistoryTarget } from './events.js';
import type { Timer } from './timer.js';

export interface OpenBatch {
  type: string;
  params: string[];
  label: string | undefined;
  parent: string | undefined;
  messages: ChatMessage[];
  targets: HistoryTarget[];
  /** A draft/multiline batch: its opening line (source, msgid, tags) and its PRIVMSG lines. */
  opening?: IrcMessage;
  lines?: IrcMessage[];
}

export interface HistoryResult {
  messages: ChatMessage[];
  targets: HistoryTarget[];
}

export interface HistoryRequest {
  target: string;
  resolve: (result: HistoryResult) => void;
  reject: (err: Error) => void;
  timer: Timer;
  /** Catch-up requests emit their messages as events (deduplicated). */
  catchUp: boolean;
}
