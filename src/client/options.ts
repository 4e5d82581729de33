/** What a client is told at construction: who to be, which capabilities to ask for, how to reconnect. */

/** The capabilities this client understands and requests when offered. */
export const CLIENT_CAPS = [
  'message-tags',
  'server-time',
  'echo-message',
  'batch',
  'labeled-response',
  'draft/chathistory',
  'away-notify',
  'account-tag',
  'extended-join',
  'multi-prefix',
  'draft/read-marker',
  'draft/account-registration',
  'sasl',
  // Message features (message-features.ts): received as events, sent with its methods.
  'draft/multiline',
  'draft/message-redaction',
  'draft/event-playback',
  'soju.im/search',
  'draft/webpush',
  // Profiles (profiles.ts): display name, avatar and status of people.
  'draft/metadata-2',
] as const;

/** Everything but the transport: who to be, what to ask for, how to reconnect. */
export interface ClientOptions {
  nick: string;
  username?: string;
  realname?: string;
  /** Password for SASL PLAIN (account name: `account`, else the nick). */
  password?: string;
  account?: string;
  /** Capabilities to request (default: CLIENT_CAPS; `sasl` only with a password). */
  caps?: string[];
  /** Reconnect after an unexpected disconnection (default true). */
  reconnect?: boolean;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Give up after this many failed attempts in a row (default: never). */
  reconnectMaxAttempts?: number;
  /** Idle time before a keepalive PING; the link is dropped after twice as long in silence. */
  pingIntervalMs?: number;
  /** Most messages fetched per room when catching up after a reconnection. */
  catchUpLimit?: number;
}
