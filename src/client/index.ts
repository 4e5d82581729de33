export {
  base64Utf8,
  ChatClientBase,
  type ChatClientEvents,
  type ChatMessage,
  CLIENT_CAPS,
  type ClientOptions,
  fold,
  type HistoryTarget,
  isChannel,
  type NamesEntry,
  splitText,
} from './base.js';
export { ChatClient, type ChatClientOptions } from './client.js';
export { TypedEmitter } from './emitter.js';
export type { Connector, LineHandlers, LineTransport } from './transport.js';
export { type NodeTransportOptions, nodeConnector, socketConnector, wsConnector } from './transport-node.js';
