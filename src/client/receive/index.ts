/**
 * Receiving: every parsed line from the server goes to `handle`, which lets an open batch
 * take it first and otherwise calls the handler registered for its command. The handlers
 * live in one module per concept; what has none falls to `onOther` (errors.ts).
 */
import type { IrcMessage } from '../../protocol/message.js';
import { accountHandlers } from './account.js';
import type { Handler, Receiver } from './context.js';
import { errorHandlers, onOther } from './errors.js';
import { inBatch, messageHandlers } from './messages.js';
import { registrationHandlers } from './registration.js';
import { roomHandlers } from './rooms.js';

export { NICK_PROBE, type Receiver, TARGETS } from './context.js';

// A Map, not an object: a command named like an Object.prototype member finds no handler.
const handlers = new Map<string, Handler>(
  Object.entries({
    ...registrationHandlers,
    ...accountHandlers,
    ...roomHandlers,
    ...messageHandlers,
    ...errorHandlers,
  }),
);

export function handle(r: Receiver, msg: IrcMessage): void {
  r.emit('raw', msg);
  if (inBatch(r, msg)) return;
  const handler = handlers.get(msg.command);
  if (handler !== undefined) handler(r, msg);
  else onOther(r, msg);
}
