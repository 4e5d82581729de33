/**
 * WEBPUSH (IRCv3 draft/webpush, https://ircv3.net/specs/extensions/webpush):
 *
 *   WEBPUSH REGISTER <endpoint> <keys>   →  WEBPUSH REGISTER <endpoint>
 *   WEBPUSH UNREGISTER <endpoint>        →  WEBPUSH UNREGISTER <endpoint>
 *   WEBPUSH VAPIDPUBKEY                  →  WEBPUSH VAPIDPUBKEY <key>   (earlier drafts; the
 *                                            key is also the `vapid` value of the capability)
 *
 * Subscriptions belong to accounts (a guest has nowhere to keep one) and are stored; what
 * gets pushed is decided in core/push.ts. `<keys>` is in message-tag format with `p256dh`
 * (the browser's P-256 public key, 65 bytes) and `auth` (16 bytes), URL-safe base64
 * (webpush §REGISTER; RFC 8291 §3). Endpoints must be https URLs on a public host; with
 * --webpush-allow-http-loopback, http on 127.0.0.1/::1/localhost too (tests, a local push
 * service).
 */
import { isIP } from 'node:net';
import { foldCase } from '../../protocol/casemapping.js';
import type { IrcMessage } from '../../protocol/message.js';
import { parseTags } from '../../protocol/tags.js';
import { TAG_CAP_MASK } from '../caps.js';
import type { Session } from '../session.js';
import type { CommandGroup } from './table.js';

export const webpushCommands: CommandGroup = {
  WEBPUSH: { minParams: 0, handler: webpush },
};

/** Subscriptions one account may hold (one per browser or device it uses). */
export const MAX_SUBSCRIPTIONS_PER_ACCOUNT = 20;
const MAX_ENDPOINT_CHARS = 2048;
const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

function webpush(s: Session, msg: IrcMessage): void {
  const server = s.server;
  const sub = (msg.params[0] ?? '').toUpperCase();
  const push = server.push;
  const store = server.store;
  if (sub === '') {
    s.sendFail('WEBPUSH', 'NEED_MORE_PARAMS', 'Missing parameters');
    return;
  }
  if (push === null || store === null) {
    s.sendFail('WEBPUSH', 'INTERNAL_ERROR', 'Web Push is not enabled on this server', sub);
    return;
  }
  if (sub === 'VAPIDPUBKEY') {
    s.reply('WEBPUSH', ['VAPIDPUBKEY', push.vapidPublicKey]);
    return;
  }
  if (sub !== 'REGISTER' && sub !== 'UNREGISTER') {
    s.sendFail('WEBPUSH', 'INVALID_PARAMS', 'Unknown subcommand', sub);
    return;
  }
  const endpoint = msg.params[1];
  if (endpoint === undefined || (sub === 'REGISTER' && msg.params[2] === undefined)) {
    s.sendFail('WEBPUSH', 'NEED_MORE_PARAMS', 'Missing parameters', sub);
    return;
  }
  if (s.account === null) {
    s.sendFail('WEBPUSH', 'ACCOUNT_REQUIRED', 'Log in to an account to receive notifications', sub);
    return;
  }
  const account = foldCase(s.account);
  const failed = (err: unknown): void => {
    server.log.error({ event: 'webpush.store_failed', err: String(err) }, 'WEBPUSH failed');
    s.sendFail('WEBPUSH', 'INTERNAL_ERROR', 'The subscription could not be saved', sub);
  };
  if (sub === 'UNREGISTER') {
    // Unknown subscriptions are silently ignored (webpush §UNREGISTER); the reply confirms.
    s.deferUntil(
      store
        .removePushSubscription(endpoint, account)
        .then(() => store.pushSubscriptions(account))
        .then((left) => push.changed(account, left.length > 0)),
      () => s.reply('WEBPUSH', ['UNREGISTER', endpoint]),
      failed,
    );
    return;
  }
  const endpointError = checkEndpoint(endpoint, server.config.webpushAllowHttpLoopback);
  if (endpointError !== null) {
    s.sendFail('WEBPUSH', 'INVALID_PARAMS', endpointError, 'REGISTER', endpoint);
    return;
  }
  const keys = parseTags(msg.params[2]!);
  const p256dh = decodeKey(keys['p256dh']);
  const auth = decodeKey(keys['auth']);
  if (p256dh === null || p256dh.length !== 65 || p256dh[0] !== 0x04) {
    s.sendFail(
      'WEBPUSH',
      'INVALID_PARAMS',
      'p256dh must be an uncompressed P-256 public key',
      'REGISTER',
      'keys',
    );
    return;
  }
  if (auth === null || auth.length !== 16) {
    s.sendFail('WEBPUSH', 'INVALID_PARAMS', 'auth must be a 16-byte secret', 'REGISTER', 'keys');
    return;
  }
  let full = false;
  s.deferUntil(
    store.pushSubscriptions(account).then(async (existing) => {
      if (
        existing.length >= MAX_SUBSCRIPTIONS_PER_ACCOUNT &&
        !existing.some((e) => e.endpoint === endpoint)
      ) {
        full = true;
        return;
      }
      await store.addPushSubscription({
        endpoint,
        account,
        p256dh: p256dh.toString('base64url'),
        auth: auth.toString('base64url'),
        caps: s.caps & TAG_CAP_MASK,
        createdAt: Date.now(),
      });
      push.changed(account, true);
    }),
    () => {
      if (full)
        s.sendFail(
          'WEBPUSH',
          'MAX_REGISTRATIONS',
          `An account may register ${MAX_SUBSCRIPTIONS_PER_ACCOUNT} subscriptions`,
          'REGISTER',
        );
      else s.reply('WEBPUSH', ['REGISTER', endpoint]);
    },
    failed,
  );
}

function decodeKey(value: string | undefined): Buffer | null {
  if (value === undefined || !BASE64URL.test(value)) return null;
  return Buffer.from(value, 'base64url');
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * Why an endpoint is refused, or null. The server will POST to it, so it must not point at
 * the server's own network: no credentials, no IP literal in a private, loopback or
 * link-local range (names are checked again when resolved, see push/web-push-sender.ts).
 */
export function checkEndpoint(endpoint: string, allowHttpLoopback: boolean): string | null {
  if (endpoint.length > MAX_ENDPOINT_CHARS) return `Endpoint is longer than ${MAX_ENDPOINT_CHARS} characters`;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'Endpoint is not a URL';
  }
  if (url.username !== '' || url.password !== '') return 'Endpoint must not contain credentials';
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  if (loopback && allowHttpLoopback && (url.protocol === 'http:' || url.protocol === 'https:')) return null;
  if (url.protocol !== 'https:') return 'Endpoint must be an https URL';
  if (loopback || isPrivateAddress(url.hostname.replace(/^\[|\]$/g, ''))) {
    return 'Endpoint must be on a public host';
  }
  return null;
}

/** Whether an IP literal is loopback, private, link-local, unspecified or multicast. */
export function isPrivateAddress(host: string): boolean {
  const family = isIP(host);
  if (family === 4) {
    const [a = 0, b = 0] = host.split('.').map(Number);
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      a >= 224
    );
  }
  if (family === 6) {
    const h = host.toLowerCase();
    if (h === '::' || h === '::1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    if (mapped !== null) return isPrivateAddress(mapped[1]!);
    return /^(f[cd]|fe[89ab]|ff)/.test(h);
  }
  return false;
}
