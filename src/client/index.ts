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
