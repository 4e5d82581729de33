import { MULTILINE_MAX_BYTES, MULTILINE_MAX_LINES } from './multiline-limits.js';
import type { ChatServer } from './server.js';
import type { Session } from './session.js';

/**
 * The IRCv3 capabilities tertulia implements (https://ircv3.net/specs/extensions/capability-negotiation).
 * Each has a bit so a session's set is one integer and the "which tags does this recipient
 * get" decision is a table look-up during fan-out.
 */
export const Cap = {
  messageTags: 1 << 0,
  serverTime: 1 << 1,
  accountTag: 1 << 2,
  echoMessage: 1 << 3,
  batch: 1 << 4,
  labeledResponse: 1 << 5,
  multiPrefix: 1 << 6,
  userhostInNames: 1 << 7,
  extendedJoin: 1 << 8,
  awayNotify: 1 << 9,
  chghost: 1 << 10,
  setname: 1 << 11,
  inviteNotify: 1 << 12,
  capNotify: 1 << 13,
  accountNotify: 1 << 14,
  chathistory: 1 << 15,
  readMarker: 1 << 16,
  sasl: 1 << 17,
  accountRegistration: 1 << 18,
  messageRedaction: 1 << 19,
  multiline: 1 << 20,
  eventPlayback: 1 << 21,
  extendedMonitor: 1 << 22,
  channelRename: 1 << 23,
  metadata: 1 << 24,
} as const;

export interface CapDefinition {
  name: string;
  bit: number;
  /** Value shown in CAP LS 302 (e.g. sasl=PLAIN) to `session`; null for none. */
  value: (server: ChatServer, session?: Session) => string | null;
  /** Whether this server offers it now (e.g. history needs a store); absent means always. */
  available?: (server: ChatServer) => boolean;
}

const hasHistory = (server: ChatServer): boolean => server.store !== null && server.historyWriter !== null;
const hasStore = (server: ChatServer): boolean => server.store !== null;
/** sasl-3.2 §Advertisement: never offered when the authentication layer is unavailable. */
const hasAccounts = (server: ChatServer): boolean => server.store !== null && server.accountHooks !== null;

/** Only what is implemented (and available on this server) is advertised. */
export const CAPABILITIES: CapDefinition[] = [
  { name: 'message-tags', bit: Cap.messageTags, value: () => null },
  { name: 'server-time', bit: Cap.serverTime, value: () => null },
  { name: 'echo-message', bit: Cap.echoMessage, value: () => null },
  { name: 'batch', bit: Cap.batch, value: () => null },
  { name: 'labeled-response', bit: Cap.labeledResponse, value: () => null },
  { name: 'multi-prefix', bit: Cap.multiPrefix, value: () => null },
  { name: 'userhost-in-names', bit: Cap.userhostInNames, value: () => null },
  { name: 'extended-join', bit: Cap.extendedJoin, value: () => null },
  { name: 'away-notify', bit: Cap.awayNotify, value: () => null },
  { name: 'chghost', bit: Cap.chghost, value: () => null },
  { name: 'setname', bit: Cap.setname, value: () => null },
  { name: 'invite-notify', bit: Cap.inviteNotify, value: () => null },
  { name: 'cap-notify', bit: Cap.capNotify, value: () => null },
  // Accounts (src/core/accounts): account-tag, account-notify, sasl 3.1/3.2, draft/account-registration.
  { name: 'account-tag', bit: Cap.accountTag, value: () => null },
  { name: 'account-notify', bit: Cap.accountNotify, value: () => null },
  { name: 'sasl', bit: Cap.sasl, value: () => 'PLAIN,SCRAM-SHA-256,EXTERNAL', available: hasAccounts },
  // IRCv3 sts: plain connections learn the TLS port, secure ones the policy's duration.
  // Informational only (bit 0: a CAP REQ for it changes nothing).
  {
    name: 'sts',
    bit: 0,
    value: (server, session) =>
      session?.secure
        ? `duration=${server.config.stsDuration}`
        : `port=${server.tlsPort},duration=${server.config.stsDuration}`,
    available: (server) => server.config.stsDuration > 0 && server.tlsPort !== null,
  },
  {
    name: 'draft/account-registration',
    bit: Cap.accountRegistration,
    // before-connect only when REGISTER cannot bypass a server password (spec §Server considerations).
    value: (server) =>
      (server.config.serverPassword === null ? 'before-connect,' : '') + 'custom-account-name',
    available: (server) => hasAccounts(server) && server.config.accountRegistration,
  },
  { name: 'draft/chathistory', bit: Cap.chathistory, value: () => null, available: hasHistory },
  { name: 'draft/read-marker', bit: Cap.readMarker, value: () => null, available: hasStore },
  // Message features (docs/MESSAGE-FEATURES.md). Redaction needs history to know who wrote what.
  { name: 'draft/message-redaction', bit: Cap.messageRedaction, value: () => null, available: hasHistory },
  {
    name: 'draft/multiline',
    bit: Cap.multiline,
    value: () => `max-bytes=${MULTILINE_MAX_BYTES},max-lines=${MULTILINE_MAX_LINES}`,
  },
  // History replays reactions (TAGMSG) and redactions to clients that ask for events.
  { name: 'draft/event-playback', bit: Cap.eventPlayback, value: () => null, available: hasHistory },
  // draft/channel-rename: RENAME reaches the client as is, not as PART and JOIN (rename.ts).
  { name: 'draft/channel-rename', bit: Cap.channelRename, value: () => null },
  // draft/metadata-2 (core/metadata.ts, commands/metadata.ts): METADATA may be used during
  // registration (before-connect), and the limits of this server.
  {
    name: 'draft/metadata-2',
    bit: Cap.metadata,
    value: (server) => {
      const c = server.config;
      return `before-connect,max-subs=${c.metadataMaxSubs},max-keys=${c.metadataMaxKeys},max-value-bytes=${c.metadataMaxValueBytes}`;
    },
  },
  // extended-monitor: MONITOR watchers get AWAY, ACCOUNT, CHGHOST and SETNAME (monitor.ts).
  { name: 'extended-monitor', bit: Cap.extendedMonitor, value: () => null },
  // soju.im/search (commands/search.ts) and draft/webpush (commands/webpush.ts) only announce
  // commands; they change nothing on the wire for the client, so they need no bit (0) and
  // SEARCH and WEBPUSH work whether or not they were requested.
  { name: 'soju.im/search', bit: 0, value: () => null, available: hasHistory },
  {
    name: 'draft/webpush',
    bit: 0,
    // webpush §Implementation: the server's VAPID public key, for PushManager.subscribe().
    value: (server) => (server.push === null ? null : `vapid=${server.push.vapidPublicKey}`),
    available: (server) => server.push !== null && hasAccounts(server),
  },
];

/** The capabilities this server offers right now. */
export function offeredCaps(server: ChatServer): CapDefinition[] {
  return CAPABILITIES.filter((c) => c.available === undefined || c.available(server));
}

const BY_NAME = new Map(CAPABILITIES.map((c) => [c.name, c]));

export function findCap(name: string, server: ChatServer): CapDefinition | undefined {
  const cap = BY_NAME.get(name);
  return cap === undefined || (cap.available !== undefined && !cap.available(server)) ? undefined : cap;
}

/** The bits that change which tags a recipient receives; they index Outgoing's cache. */
export const TAG_CAP_MASK = Cap.messageTags | Cap.serverTime | Cap.accountTag;
