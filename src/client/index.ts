export { ChatClientBase } from './base.js';
export { ChatClient, type ChatClientOptions } from './client.js';
export { TypedEmitter } from './emitter.js';
export type { ChatClientEvents, ChatMessage, HistoryTarget, NamesEntry, RoomListing } from './events.js';
export {
  cutLine,
  type EditEvent,
  editOf,
  type MessageFeatureEvents,
  MessageFeatures,
  type ReactionEvent,
  type ReactionSummary,
  type RedactEvent,
  replyOf,
} from './message-features.js';
export { CLIENT_CAPS, type ClientOptions } from './options.js';
export { PROFILE_KEYS, type Profile, type ProfileField } from './profiles.js';
export {
  SEARCH_BATCH,
  type SearchApiHit,
  type SearchApiPage,
  type SearchApiParams,
  type SearchHit,
  type SearchOptions,
  searchApi,
  searchAttributes,
  withHighlights,
} from './search.js';
export { type OwnSession, type SessionList, SessionsReader } from './sessions.js';
export { base64Utf8, fold, isChannel, splitText } from './text.js';
export type { Connector, LineHandlers, LineTransport } from './transport.js';
export { type NodeTransportOptions, nodeConnector, socketConnector, wsConnector } from './transport-node.js';
export {
  applicationServerKey,
  type PushNotice,
  type PushSubscriptionJson,
  parsePushPayload,
  registerWebPush,
  unregisterWebPush,
  vapidKey,
} from './webpush.js';
