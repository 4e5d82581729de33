export {
  ChatClient,
  type ChatClientEvents,
  type ChatClientOptions,
  type ChatMessage,
  CLIENT_CAPS,
  fold,
  isChannel,
  type NamesEntry,
  splitText,
} from './client.js';
export { TypedEmitter } from './emitter.js';
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
export {
  applicationServerKey,
  type PushNotice,
  type PushSubscriptionJson,
  parsePushPayload,
  registerWebPush,
  unregisterWebPush,
  vapidKey,
} from './webpush.js';
