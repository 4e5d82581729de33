/**
 * The storage interface: durable history, accounts, registered channels and read markers.
 * Two back ends implement it (SQLite embedded by default, PostgreSQL with --database
 * postgres://...), and the whole storage test suite runs against both.
 *
 * The core only ever talks to this interface.
 */
import type { ParsedQuery } from '../protocol/search-query.js';

export type HistoryCommand = 'PRIVMSG' | 'NOTICE' | 'TAGMSG';

/** One message as stored. */
export interface StoredMessage {
  msgid: string;
  /** Server time in milliseconds since the epoch. */
  time: number;
  command: HistoryCommand;
  /**
   * Conversation key: the case-folded channel name (`#lobby`) for rooms, or for private
   * messages `dm:` + the two participant identities sorted and joined by a space
   * (an identity is `a:<folded account>` or `g:<guest session token>`).
   */
  conversation: string;
  /** The target as the sender wrote it (channel name or recipient nick). */
  target: string;
  /** nick!user@host of the sender at the time. */
  sender: string;
  senderAccount: string | null;
  /** Message text; null for TAGMSG. */
  text: string | null;
  /** Client-only (+) tags that were relayed with it, or null. */
  clientTags: Record<string, string> | null;
}

/**
 * Where a history query starts or ends: a message (by msgid) or a point in time.
 * Messages are ordered by (time, insertion order). A msgid bound is looked up in the queried
 * conversation only: a msgid that is unknown there (or belongs to another conversation) makes
 * the query return []. Bounds are exclusive: neither the bound message nor, for a time bound,
 * messages at exactly that millisecond are returned (AROUND is the exception, see there).
 */
export type HistoryBound = { msgid: string } | { time: number };

export interface ConversationSummary {
  conversation: string;
  /** The latest target spelling seen for it (for DMs, the peer nick is derived by the caller). */
  target: string;
  /** Time of the latest message in it. */
  latest: number;
}

export interface HistoryStore {
  /**
   * Appends messages in one transaction. When the promise resolves they are durable
   * (committed and synced). Callers batch (see group-commit.ts); order is kept.
   * A msgid that is already stored fails the whole batch (nothing of it is stored).
   */
  append(messages: readonly StoredMessage[]): Promise<void>;
  /** The newest `limit` messages, returned oldest first; `after` excludes everything up to that bound. */
  latest(conversation: string, limit: number, after?: HistoryBound): Promise<StoredMessage[]>;
  /** Messages strictly before the bound, newest `limit` of them, returned oldest first. */
  before(conversation: string, bound: HistoryBound, limit: number): Promise<StoredMessage[]>;
  /** Messages strictly after the bound, oldest `limit` of them, oldest first. */
  after(conversation: string, bound: HistoryBound, limit: number): Promise<StoredMessage[]>;
  /**
   * Up to `limit` messages around the bound (about half before, half after), oldest first.
   * A msgid bound is the centre and is included (floor(limit/2) before it, the rest from it
   * on); for a time bound, messages at that millisecond count as "after". When one side has
   * fewer messages, the other side fills the page.
   */
  around(conversation: string, bound: HistoryBound, limit: number): Promise<StoredMessage[]>;
  /**
   * Messages strictly between two bounds (either order), at most `limit`, oldest first;
   * when the first bound is the later one, the newest `limit` are returned.
   */
  between(conversation: string, a: HistoryBound, b: HistoryBound, limit: number): Promise<StoredMessage[]>;
  /**
   * Conversations among `candidates` (room keys) or whose key contains `identity` (DMs),
   * with a message between the two times (exclusive), ordered by latest message, at most `limit`.
   * Precisely: the conversation's latest message time is strictly between `from` and `to`;
   * results are ascending by latest (ties by key). With from <= to the earliest `limit` are
   * returned, with from > to the newest `limit` (still ascending). DMs match on a whole
   * participant identity; `dm:` keys in `rooms` are ignored, so DMs are only ever listed to
   * their participants. `identity` null: rooms only.
   */
  conversations(
    identity: string | null,
    rooms: readonly string[],
    from: number,
    to: number,
    limit: number,
  ): Promise<ConversationSummary[]>;
  /** The stored message with this msgid, if any. */
  findMessage(msgid: string): Promise<StoredMessage | null>;
  /**
   * Deletes messages older than the time; returns how many. Deletes in chunks so writes go on
   * meanwhile; conversations left without messages drop out of conversations().
   */
  prune(olderThan: number): Promise<number>;
}

/**
 * A reaction: a TAGMSG with `+draft/react=<emoji>` replying (`+draft/reply` or `+reply`) to a
 * stored message. Kept apart from the message timeline so that a person holds each emoji once
 * per message, an unreact removes it, and history replays every current reaction right after
 * the message it belongs to (see docs/MESSAGE-FEATURES.md).
 */
export interface StoredReaction {
  /** The TAGMSG as it was relayed: its own msgid, time, sender, and client tags. */
  message: StoredMessage;
  /** msgid of the message reacted to (in the same conversation). */
  to: string;
  /** Who reacted: a history identity (`a:<folded account>` or `g:<guest token>`). */
  identity: string;
  emoji: string;
}

/**
 * The record a redaction (IRCv3 draft/message-redaction) leaves behind. The redacted message's
 * text and tags are deleted; this tombstone keeps who removed which msgid when (and why), so
 * clients catching up through CHATHISTORY learn of it, and nothing of what was said.
 */
export interface Redaction {
  /** The REDACT event's own msgid. */
  msgid: string;
  /** msgid of the message (or reaction) removed. */
  redacted: string;
  conversation: string;
  /** The target as the redacting client wrote it. */
  target: string;
  time: number;
  /** nick!user@host of whoever redacted it. */
  sender: string;
  senderAccount: string | null;
  reason: string | null;
}

/** A room's TOPIC as it was sent (draft/event-playback: an event history replays). */
export interface TopicChange {
  /** The TOPIC line's msgid. */
  msgid: string;
  /** The room's folded name (its history conversation). */
  conversation: string;
  /** The room's name as shown. */
  target: string;
  time: number;
  /** nick!user@host of whoever set it. */
  sender: string;
  senderAccount: string | null;
  /** The new topic; empty when it was cleared. */
  text: string;
}

export type ReactionResult = 'added' | 'duplicate' | 'unknown';

export interface MessageEventStore {
  /**
   * Stores a reaction to a message of the same conversation, durably. 'duplicate' when this
   * identity already reacted to it with that emoji (nothing stored), 'unknown' when the
   * message is not in that conversation's history.
   */
  addReaction(reaction: StoredReaction): Promise<ReactionResult>;
  /** Removes an identity's reaction with an emoji; false when there was none. */
  removeReaction(conversation: string, to: string, identity: string, emoji: string): Promise<boolean>;
  /** The current reactions to these messages of a conversation, oldest first. */
  reactionsTo(conversation: string, msgids: readonly string[]): Promise<StoredReaction[]>;
  /** A stored reaction by its own msgid. */
  findReaction(msgid: string): Promise<StoredReaction | null>;
  /**
   * Redacts a message or a reaction of `redaction.conversation` in one transaction: the row is
   * deleted, and with a message its reactions and its edits (messages carrying
   * `+draft/edit=<msgid>`) too; the tombstone is recorded. False when nothing had that msgid.
   */
  redact(redaction: Redaction): Promise<boolean>;
  /** Tombstones of a conversation with `from <= time <= to`, oldest first, at most `limit`. */
  redactions(conversation: string, from: number, to: number, limit: number): Promise<Redaction[]>;
  /** Records a topic change, durably. */
  addTopicChange(change: TopicChange): Promise<void>;
  /** Topic changes of a room with `from <= time <= to`, oldest first, at most `limit`. */
  topicChanges(conversation: string, from: number, to: number, limit: number): Promise<TopicChange[]>;
}

export interface AccountRecord {
  /** Account name as registered (display form). */
  name: string;
  /** Case-folded name, the key. */
  folded: string;
  /** Self-describing password hash (see crypto/password.ts). */
  passwordHash: string;
  /** SCRAM-SHA-256 credentials (RFC 7677), stored instead of anything reversible. */
  scram: { salt: string; iterations: number; storedKey: string; serverKey: string } | null;
  email: string | null;
  createdAt: number;
  /**
   * SHA-256 fingerprints of TLS client certificates allowed to log in (SASL EXTERNAL), stored
   * as given (callers normalize, e.g. lowercase hex) and returned sorted. A fingerprint belongs
   * to at most one account.
   */
  certFingerprints: string[];
}

export interface AccountStore {
  /**
   * Creates an account; false if the folded name is taken. Rejects (creating nothing) when
   * one of its certificate fingerprints already belongs to another account.
   */
  createAccount(account: AccountRecord): Promise<boolean>;
  getAccount(folded: string): Promise<AccountRecord | null>;
  /** Replaces every field and the certificate list; does nothing if the account does not exist. */
  updateAccount(account: AccountRecord): Promise<void>;
  findAccountByCert(fingerprint: string): Promise<AccountRecord | null>;
}

export interface RegisteredChannel {
  /** Case-folded channel name, the key. */
  folded: string;
  name: string;
  /** Folded account name of the founder. */
  founder: string;
  registeredAt: number;
  topic: { text: string; setBy: string; setAt: number } | null;
  /** Channel modes as a mode string with parameters, e.g. ["+ntk", "key"]. */
  modes: string[];
  /** Folded accounts that get operator status (+o) on join. */
  operators: string[];
  /** Ban masks (+b). */
  bans: ListEntryRecord[];
  /** Ban exceptions (+e). */
  exceptions: ListEntryRecord[];
  /** Invite exceptions (+I). */
  inviteExceptions: ListEntryRecord[];
}

/** One mask of a room's list (+b, +e, +I), with who set it and when. */
export interface ListEntryRecord {
  mask: string;
  setBy: string;
  setAt: number;
}

export interface ChannelStore {
  /** Registers a channel; false if it already is. */
  registerChannel(channel: RegisteredChannel): Promise<boolean>;
  getChannel(folded: string): Promise<RegisteredChannel | null>;
  /** Replaces every field; does nothing if the channel is not registered (e.g. just dropped). */
  updateChannel(channel: RegisteredChannel): Promise<void>;
  /** Unregisters it; dropping an unregistered channel is a no-op. */
  dropChannel(folded: string): Promise<void>;
  /** Every registered channel, ordered by folded name. */
  listChannels(): Promise<RegisteredChannel[]>;
}

export interface ReadMarkerStore {
  /** The read marker (ms timestamp) of an account in a conversation target, or null. */
  getReadMarker(account: string, target: string): Promise<number | null>;
  /** Sets the marker if it moves forward; returns the marker now in force. */
  setReadMarker(account: string, target: string, time: number): Promise<number>;
}

/** An account's always-on state as stored (migration 8). */
export interface AlwaysOnRecord {
  /** Folded account name. */
  account: string;
  /** The account name as registered. */
  name: string;
  /** The nick it had when it last joined a room or went offline. */
  nick: string;
  /** false: the person turned always-on off for the account. */
  enabled: boolean;
  /** Names of the rooms it is in (empty when turned off). */
  rooms: string[];
  /** When its last connection closed (ms), or null when not recorded (migration 12). */
  offlineAt: number | null;
}

export interface AlwaysOnStore {
  /**
   * Records that an always-on account is in a room (and its nick now); a no-op when it is
   * already recorded there. Does not turn always-on back on for an account that turned it off.
   */
  addMembership(account: string, nick: string, channel: string, name: string): Promise<void>;
  /** Forgets one room of an account (PART, KICK); a no-op when it was not recorded. */
  removeMembership(account: string, channel: string): Promise<void>;
  /**
   * Sets the account's switch and nick; turning it off also forgets every room (one
   * transaction).
   */
  setAlwaysOn(account: string, nick: string, enabled: boolean): Promise<void>;
  /**
   * The always-on person changed its nick (NICK): kept at once, so a restart after a crash
   * brings it back under the nick it had; a no-op for an account with no stored state.
   */
  nickChanged(account: string, nick: string): Promise<void>;
  /** The always-on person's last connection closed at `time` (ms) with this nick. */
  wentOffline(account: string, nick: string, time: number): Promise<void>;
  /**
   * A room was renamed (RENAME): every account's stored membership of `channel` moves to
   * `newChannel` (folded) named `newName`, in one transaction.
   */
  renameMemberships(channel: string, newChannel: string, newName: string): Promise<void>;
  /** Every account with a stored state, with its rooms, in one query (start-up); no order. */
  loadAlwaysOn(): Promise<AlwaysOnRecord[]>;
}

/**
 * IRCv3 draft/metadata-2 keys and values (migration 11), of a target named `a:<folded account>`
 * or `c:<folded room>` (metadataTarget in core/metadata.ts). Keys are valid metadata keys
 * (lowercase), values at most the configured max-value-bytes: the caller checks both.
 */
export interface MetadataStore {
  /** Every key of the target with its value, sorted by key. */
  getMetadata(target: string): Promise<Array<[key: string, value: string]>>;
  /**
   * Every key of every target whose name starts with `prefix` (`a:`: all accounts), sorted by
   * target then key: one query where a start-up would otherwise ask once per account.
   */
  metadataWithPrefix(prefix: string): Promise<Array<[target: string, key: string, value: string]>>;
  /** Sets a key (insert or replace), or deletes it with value null (a no-op when unset). */
  setMetadata(target: string, key: string, value: string | null): Promise<void>;
  /** Deletes every key of the target. */
  clearMetadata(target: string): Promise<void>;
}

/** Metadata of an uploaded file; the bytes are stored by content hash, never by name. */
export interface UploadRecord {
  /** Random, unguessable id (URL-safe, at least 128 bits). */
  id: string;
  /** Lowercase hex SHA-256 of the content. */
  sha256: string;
  size: number;
  /** The original file name, as the uploader gave it (display only, never a path). */
  name: string;
  contentType: string;
  /** Folded account name of the uploader. */
  account: string;
  createdAt: number;
}

export interface UploadStore {
  /** Records an upload; rejects if the id exists. */
  addUpload(upload: UploadRecord): Promise<void>;
  getUpload(id: string): Promise<UploadRecord | null>;
  /** Total size of everything the (folded) account has uploaded; 0 when nothing. */
  uploadBytesByAccount(account: string): Promise<number>;
}

/** How search hits are ordered. */
export type SearchOrder = 'relevance' | 'newest' | 'oldest';

/**
 * Where a page of search hits ends: the last hit's score, time and id. The next page is
 * everything strictly after it in the same order (keyset paging: pages never overlap).
 */
export interface SearchPosition {
  score: number;
  time: number;
  id: number;
}

export interface SearchRequest {
  /** What to find (protocol/search-query.ts); only PRIVMSG and NOTICE text is indexed. */
  query: ParsedQuery;
  /**
   * Conversation keys searched (rooms or DMs). The caller has decided the user may read
   * each of them (core/commands/chathistory.ts `readableScope`); the store only filters.
   */
  conversations: readonly string[];
  /** Also every private conversation this identity takes part in; null for none. */
  identity: string | null;
  /** Only messages sent with this nick (case-folded); null for anyone. */
  fromNick: string | null;
  /** Only messages at or after / at or before these times (ms); null for no bound. */
  after: number | null;
  before: number | null;
  order: SearchOrder;
  /** At most this many hits (the caller bounds it). */
  limit: number;
  /** Continue after this hit of an earlier page (same query and order); null for the first. */
  from: SearchPosition | null;
}

export interface SearchHit {
  message: StoredMessage;
  /**
   * Relevance, higher is better: FTS5 bm25 negated on SQLite (which weighs terms by how rare
   * they are in the whole index), ts_rank on PostgreSQL (which looks at the message alone).
   * Comparable only within one back end and one query.
   */
  score: number;
  /** Where this hit sits, for the next page. */
  position: SearchPosition;
}

export interface SearchStore {
  /** Full-text search over stored history; see SearchRequest. */
  search(request: SearchRequest): Promise<SearchHit[]>;
}

/** A Web Push subscription (IRCv3 draft/webpush `WEBPUSH REGISTER`). */
export interface PushSubscriptionRecord {
  /** The push service URL; unique (a new registration of it replaces the old one). */
  endpoint: string;
  /** Folded account name of the owner. */
  account: string;
  /** The browser's P-256 ECDH public key (RFC 8291), URL-safe base64. */
  p256dh: string;
  /** The 16-byte authentication secret, URL-safe base64. */
  auth: string;
  /** Capability bits (message-tags, server-time, account-tag) the payload is serialized for. */
  caps: number;
  createdAt: number;
}

export interface PushSubscriptionStore {
  /** Adds a subscription, replacing any with the same endpoint (whoever owned it). */
  addPushSubscription(subscription: PushSubscriptionRecord): Promise<void>;
  /**
   * Removes the subscription with this endpoint; with an account, only if that account owns
   * it. Returns whether one was removed.
   */
  removePushSubscription(endpoint: string, account: string | null): Promise<boolean>;
  /** The account's subscriptions, oldest first. */
  pushSubscriptions(account: string): Promise<PushSubscriptionRecord[]>;
  /** Every account with at least one subscription (folded, sorted). */
  pushAccounts(): Promise<string[]>;
}

export interface Store
  extends HistoryStore,
    MessageEventStore,
    AccountStore,
    ChannelStore,
    ReadMarkerStore,
    UploadStore,
    SearchStore,
    PushSubscriptionStore,
    AlwaysOnStore,
    MetadataStore {
  /** 'sqlite' or 'postgres'. */
  readonly kind: string;
  /** Schema version after migrations ran. */
  readonly schemaVersion: number;
  /** Closes it (idempotent); every call afterwards rejects. */
  close(): Promise<void>;
}
