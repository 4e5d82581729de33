/**
 * History requests (draft/chathistory): a CHATHISTORY request, labeled when the server offers
 * labeled-response, resolves with its batch (receive/messages.ts and receive/errors.ts
 * settle it); catching up after a reconnection asks for what came after the last msgid seen.
 */
import type { ChatMessage } from './events.js';
import type { HistoryRequest, HistoryResult } from './pending.js';
import type { Receiver } from './receive/context.js';
import { fold } from './text.js';

export async function requestHistory(
  r: Receiver,
  target: string,
  catchUp: boolean,
  ...params: string[]
): Promise<ChatMessage[]> {
  return (await request(r, target, catchUp, ...params)).messages;
}

/** Sends a CHATHISTORY request and resolves with its batch (labeled when the server can). */
export function request(
  r: Receiver,
  target: string,
  catchUp: boolean,
  ...params: string[]
): Promise<HistoryResult> {
  if (!r.client.caps.has('draft/chathistory') || !r.client.caps.has('batch'))
    return Promise.reject(new Error('the server offers no history (draft/chathistory)'));
  return new Promise((resolve, reject) => {
    const req: HistoryRequest = {
      target,
      resolve,
      reject,
      catchUp,
      timer: setTimeout(() => {
        r.state.unlabeled.splice(r.state.unlabeled.indexOf(req) >>> 0, 1);
        for (const [k, v] of r.state.labeled) if (v === req) r.state.labeled.delete(k);
        reject(new Error('history request timed out'));
      }, 15_000),
    };
    if (r.client.caps.has('labeled-response')) {
      const label = `h${++r.state.labelSeq}`;
      r.state.labeled.set(label, req);
      r.client.sendTagged({ label }, 'CHATHISTORY', ...params);
    } else {
      r.state.unlabeled.push(req);
      r.client.send('CHATHISTORY', ...params);
    }
  });
}

/** Fetches what a room said after the last message we saw, emitting unseen ones as `message`. */
export function catchUp(r: Receiver, channel: string): void {
  const last = r.state.lastMsgid.get(fold(channel));
  if (last === undefined) return;
  const limit = String(r.opts.catchUpLimit ?? 200);
  requestHistory(r, channel, true, 'AFTER', channel, `msgid=${last}`, limit).catch((err: Error) => {
    r.emit('error', {
      message: `could not fetch missed messages: ${err.message}`,
      command: 'CHATHISTORY',
      params: [],
    });
  });
}
