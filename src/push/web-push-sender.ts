/**
 * Sends Web Push messages: the `web-push` package builds each request (RFC 8291 aes128gcm
 * encryption of the payload to the subscription's keys, RFC 8292 VAPID JWT signed with our
 * key); we post it ourselves so every request has a deadline and can only reach public
 * addresses (the endpoint came from a user: a name resolving to a private or loopback
 * address is refused at connect time, except loopback with --webpush-allow-http-loopback).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import webpush from 'web-push';
import { isPrivateAddress } from '../core/commands/webpush.js';
import type { PushResult, PushSender } from '../core/push.js';
import type { PushSubscriptionRecord } from '../store/store.js';
import type { VapidKeys } from './vapid-keys.js';

export interface WebPushSenderOptions {
  keys: VapidKeys;
  /** VAPID `sub`: mailto: or https: contact. */
  subject: string;
  allowHttpLoopback: boolean;
  /** Gives up on a push service after this long (default 10 s). */
  timeoutMs?: number;
  /** A push service error, for the log (never with the payload). */
  onError?: (endpoint: string, reason: string) => void;
}

/** How long a push service keeps a message for an offline device (RFC 8030 §5.2): a day. */
const TTL_SECONDS = 86_400;

export class WebPushSender implements PushSender {
  readonly vapidPublicKey: string;
  private readonly inFlight = new Set<Promise<PushResult>>();

  constructor(private readonly options: WebPushSenderOptions) {
    this.vapidPublicKey = options.keys.publicKey;
  }

  deliver(subscription: PushSubscriptionRecord, payload: string): Promise<PushResult> {
    const p = this.post(subscription, payload).catch((err: unknown) => {
      this.options.onError?.(subscription.endpoint, err instanceof Error ? err.message : String(err));
      return 'failed' as const;
    });
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
    return p;
  }

  async close(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  private post(subscription: PushSubscriptionRecord, payload: string): Promise<PushResult> {
    const details = webpush.generateRequestDetails(
      { endpoint: subscription.endpoint, keys: { p256dh: subscription.p256dh, auth: subscription.auth } },
      payload,
      {
        vapidDetails: {
          subject: this.options.subject,
          publicKey: this.options.keys.publicKey,
          privateKey: this.options.keys.privateKey,
        },
        contentEncoding: 'aes128gcm',
        TTL: TTL_SECONDS,
        urgency: 'high',
      },
    );
    const url = new URL(details.endpoint);
    const body = details.body ?? Buffer.alloc(0);
    const headers: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(details.headers)) headers[k] = v as string | number;
    headers['Content-Length'] = body.length;
    const client = url.protocol === 'http:' ? http : https;
    if (url.protocol === 'http:' && !this.options.allowHttpLoopback) {
      return Promise.resolve('failed');
    }
    return new Promise((resolve, reject) => {
      const req = client.request(
        url,
        {
          method: details.method,
          headers,
          lookup: this.guardedLookup,
          timeout: this.options.timeoutMs ?? 10_000,
        },
        (res) => {
          res.resume(); // the body says nothing we need
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve('delivered');
          else if (status === 404 || status === 410) resolve('gone');
          else {
            this.options.onError?.(subscription.endpoint, `HTTP ${status}`);
            resolve('failed');
          }
        },
      );
      req.on('timeout', () => req.destroy(new Error('push service timed out')));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** DNS lookup that refuses private addresses (loopback only when allowed). */
  private readonly guardedLookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err !== null) {
        callback(err, '', 0);
        return;
      }
      const allowed = addresses.filter(
        (a) =>
          !isPrivateAddress(a.address) ||
          (this.options.allowHttpLoopback && (a.address === '127.0.0.1' || a.address === '::1')),
      );
      if (allowed.length === 0) {
        callback(new Error(`${hostname} resolves to a private address`), '', 0);
        return;
      }
      // biome-ignore lint/suspicious/noExplicitAny: node's callback is typed for both single and `all` results
      if (options.all) (callback as any)(null, allowed);
      else callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}
