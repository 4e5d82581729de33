/**
 * Web Push helpers for clients (IRCv3 draft/webpush), so a web client installed as an app
 * can be notified while closed. They run in browsers and in Node (no Buffer).
 *
 * In a page:
 *
 *   const key = vapidKey(client);                        // from CAP LS draft/webpush=vapid=…
 *   const reg = await navigator.serviceWorker.register('/sw.js');
 *   const sub = await reg.pushManager.subscribe({
 *     userVisibleOnly: true,
 *     applicationServerKey: applicationServerKey(key),
 *   });
 *   await registerWebPush(client, sub.toJSON());         // WEBPUSH REGISTER, needs an account
 *
 * In the service worker (`push` event): `parsePushPayload(event.data.text())` gives who
 * said what where, to show with `registration.showNotification`. docs/web-push.md has the
 * whole contract.
 */
import { parseLine } from '../protocol/message.js';
import { escapeTagValue } from '../protocol/tags.js';
import type { ChatClientBase } from './base.js';

/** The server's VAPID public key (URL-safe base64) from CAP LS, or null without web push. */
export function vapidKey(client: ChatClientBase): string | null {
  const value = client.capValue('draft/webpush');
  const match = value === null ? null : /(?:^|,)vapid=([A-Za-z0-9_-]+)/.exec(value);
  return match?.[1] ?? null;
}

/** URL-safe base64 → bytes, for PushManager.subscribe's applicationServerKey. */
export function applicationServerKey(base64url: string): Uint8Array {
  const b64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** What PushSubscription.toJSON() gives. */
export interface PushSubscriptionJson {
  endpoint?: string;
  keys?: Record<string, string>;
}

/**
 * Registers a push subscription for the logged-in account (`WEBPUSH REGISTER`); resolves
 * when the server confirms, rejects with its reason (not logged in, bad endpoint, too many).
 */
export function registerWebPush(
  client: ChatClientBase,
  subscription: PushSubscriptionJson,
  timeoutMs = 15_000,
): Promise<void> {
  const endpoint = subscription.endpoint;
  const p256dh = subscription.keys?.['p256dh'];
  const auth = subscription.keys?.['auth'];
  if (endpoint === undefined || p256dh === undefined || auth === undefined)
    return Promise.reject(new Error('the subscription has no endpoint or keys'));
  const keys = `p256dh=${escapeTagValue(p256dh)};auth=${escapeTagValue(auth)}`;
  return webpushCommand(client, 'REGISTER', endpoint, [keys], timeoutMs);
}

/** Removes a subscription (`WEBPUSH UNREGISTER`); resolves when the server confirms. */
export function unregisterWebPush(
  client: ChatClientBase,
  endpoint: string,
  timeoutMs = 15_000,
): Promise<void> {
  return webpushCommand(client, 'UNREGISTER', endpoint, [], timeoutMs);
}

function webpushCommand(
  client: ChatClientBase,
  sub: 'REGISTER' | 'UNREGISTER',
  endpoint: string,
  extra: string[],
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null): void => {
      clearTimeout(timer);
      client.off('raw', onRaw);
      if (err === null) resolve();
      else reject(err);
    };
    const onRaw = (msg: { command: string; params: string[] }): void => {
      const p = msg.params;
      if (msg.command === 'WEBPUSH' && p[0] === sub && p[1] === endpoint) done(null);
      else if (msg.command === 'FAIL' && p[0] === 'WEBPUSH') done(new Error(p.at(-1) ?? 'WEBPUSH failed'));
    };
    const timer = setTimeout(() => done(new Error(`WEBPUSH ${sub} timed out`)), timeoutMs);
    client.on('raw', onRaw);
    client.send('WEBPUSH', sub, endpoint, ...extra);
  });
}

/** A notification's content, from the IRC line a push carries. */
export interface PushNotice {
  /** The sender's nick. */
  from: string;
  /** The room, or for a private message null. */
  room: string | null;
  text: string;
  /** A /me action. */
  action: boolean;
  msgid: string | undefined;
  time: Date | undefined;
}

/**
 * Reads a push payload (exactly one IRC line, webpush §Implementation). Null for anything
 * that is not a PRIVMSG or NOTICE with text (show nothing, or a generic notice).
 */
export function parsePushPayload(payload: string): PushNotice | null {
  const parsed = parseLine(payload.replace(/\r?\n$/, ''));
  if (!parsed.ok) return null;
  const m = parsed.message;
  if ((m.command !== 'PRIVMSG' && m.command !== 'NOTICE') || m.params.length < 2) return null;
  const target = m.params[0]!;
  let text = m.params[1]!;
  const action = text.startsWith('\x01ACTION ');
  if (action) text = text.slice(8).replace(/\x01$/, '');
  const time = m.tags['time'];
  return {
    from: (m.source ?? '').split('!')[0]!,
    room: target.startsWith('#') ? target : null,
    text,
    action,
    msgid: m.tags['msgid'],
    time: time === undefined ? undefined : new Date(time),
  };
}
