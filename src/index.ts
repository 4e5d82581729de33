/** The package's library entry point: the chat client, plus the protocol helpers it uses. */
export * from './client/index.js';
export { type IrcMessage, parseLine, serializeMessage } from './protocol/message.js';
