/**
 * Receiving: failures (FAIL, also of pending requests), ERROR, and any other numeric reply.
 */
import type { IrcMessage } from '../../protocol/message.js';
import type { Handlers, Receiver } from './context.js';

/** FAIL (standard replies): a pending request's failure, else an error event. */
function onFail(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  const label = msg.tags['label'];
  const req =
    label !== undefined
      ? r.state.labeled.get(label)
      : p[0] === 'CHATHISTORY'
        ? r.state.unlabeled.shift()
        : undefined;
  if (req) {
    if (label !== undefined) r.state.labeled.delete(label);
    clearTimeout(req.timer);
    req.reject(new Error(p.at(-1) ?? 'history request failed'));
    return;
  }
  if (p[0] === 'REGISTER' && r.state.registerWaiter) {
    const waiter = r.state.registerWaiter;
    r.state.registerWaiter = null;
    waiter.reject(Object.assign(new Error(p.at(-1) ?? 'registration failed'), { code: p[1] ?? '' }));
    return;
  }
  if (p[0] === 'SEARCH' && r.searches.fail(p.at(-1) ?? 'search failed')) return;
  if (p[1] === 'SESSION_ENDED') r.state.endedElsewhere = true;
  r.emit('error', { message: p.at(-1) ?? '', command: 'FAIL', params: p });
}

/** ERROR: the server closes the link. */
function onError(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  r.emit('error', { message: p[0] ?? 'closing link', command: 'ERROR', params: p });
}

export function onOther(r: Receiver, msg: IrcMessage): void {
  const p = msg.params;
  if (/^[45]\d\d$/.test(msg.command)) {
    r.emit('error', { message: p.at(-1) ?? msg.command, command: msg.command, params: p });
    return;
  }
  if (/^\d\d\d$/.test(msg.command)) {
    // Numeric replies: drop our own nick; what is left is for a person to read.
    r.emit('info', { command: msg.command, text: p.slice(1).join(' '), params: p });
  }
}

/** The commands handled here (receive/index.ts dispatches on them). */
export const errorHandlers: Handlers = {
  FAIL: onFail,
  ERROR: onError,
};
