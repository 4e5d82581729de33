/**
 * Web Push notifications (IRCv3 draft/webpush): which messages become a notification, for
 * whom, and the bounded queue that hands them to a sender. No HTTP here: the sender (an
 * adapter, src/push/web-push-sender.ts) encrypts (RFC 8291) and posts (RFC 8030/8292).
 *
 * What is pushed, to the subscriptions of an account (never the sender's own):
 * - a private PRIVMSG to one of its connections, and
 * - a PRIVMSG in a room that mentions it: a word equal to the account name or to the nick
 *   of one of its connections; only if the account may read that room: one of its
 *   connections is in it, or the room is open to anyone (no +i, +k or +s).
 * and only while the account is not present: none of its connections is connected and not
 * away. Someone at their keyboard gets the message there; a closed web app, or a client
 * that sets AWAY when hidden, gets a notification.
 *
 * The message path only does set look-ups here; everything else (presence, subscriptions
 * from the store, encryption, HTTP) runs later from a bounded queue: past
 * `MAX_QUEUED` waiting notifications new ones are dropped (and counted), never the chat.
 */
import { foldCase } from '../protocol/casemapping.js';
import type { PushSubscriptionRecord } from '../store/store.js';
import type { Channel } from './channel.js';
import { Outgoing } from './outgoing.js';
import type { ChatServer } from './server.js';
import type { User } from './user.js';

/** The outcome of one delivery attempt, as the sender reports it. */
export type PushResult = 'delivered' | 'gone' | 'failed';

/** What the core needs from a Web Push sender. */
export interface PushSender {
  /** The VAPID public key (uncompressed P-256 point, URL-safe base64) clients subscribe with. */
  readonly vapidPublicKey: string;
  /**
   * Encrypts `payload` for the subscription and posts it. 'gone' when the push service says
   * the subscription no longer exists (404/410); never rejects.
   */
  deliver(subscription: PushSubscriptionRecord, payload: string): Promise<PushResult>;
  /** Waits for requests in flight (shutdown). */
  close(): Promise<void>;
}

/** Notifications waiting to be sent, at most; past it new ones are dropped. */
export const MAX_QUEUED = 1000;
/** Notifications being sent at once. */
const CONCURRENCY = 8;
/** Payloads above this many bytes lose their client-only tags (webpush: "MAY drop tags"). */
const MAX_PAYLOAD_BYTES = 3000;
/** Nick characters (RFC 2812 §2.3.1): the words of a message a mention can be. */
const NICK_WORD = /[A-Za-z0-9[\]\\`_^{|}-]+/g;

interface Job {
  account: string;
  out: Outgoing;
  /** For a mention: the room, whose readability is checked when the job runs. */
  channel: Channel | null;
}

export class PushNotifier {
  /** Folded accounts with at least one subscription: the only ones worth looking at. */
  readonly subscribed = new Set<string>();
  private readonly queue: Job[] = [];
  private running = 0;
  private pumpScheduled = false;
  private idle: Array<() => void> = [];
  /** Notifications dropped because the queue was full; sent; failed; subscriptions dropped as gone. */
  readonly counts = { dropped: 0, delivered: 0, failed: 0, gone: 0 };

  constructor(
    private readonly server: ChatServer,
    readonly sender: PushSender,
  ) {}

  get vapidPublicKey(): string {
    return this.sender.vapidPublicKey;
  }

  /** Loads the accounts that have subscriptions (once, at start-up). */
  async load(): Promise<void> {
    const store = this.server.store;
    if (store === null) return;
    for (const account of await store.pushAccounts()) this.subscribed.add(account);
  }

  /** A PRIVMSG to a user was delivered. */
  privateMessage(from: User, to: User, out: Outgoing): void {
    if (this.subscribed.size === 0 || out.command !== 'PRIVMSG' || to.account === null) return;
    const account = foldCase(to.account);
    if (!this.subscribed.has(account) || (from.account !== null && foldCase(from.account) === account))
      return;
    this.enqueue({ account, out, channel: null });
  }

  /** A PRIVMSG was delivered to a room: notify the accounts it mentions. */
  channelMessage(from: User, channel: Channel, out: Outgoing, text: string): void {
    if (this.subscribed.size === 0 || out.command !== 'PRIVMSG') return;
    const self = from.account === null ? null : foldCase(from.account);
    let seen: Set<string> | null = null;
    for (const [word] of text.matchAll(NICK_WORD)) {
      const folded = foldCase(word);
      let account: string | null = this.subscribed.has(folded) ? folded : null;
      if (account === null) {
        const user = this.server.directory.findUser(folded);
        account = user?.account == null ? null : foldCase(user.account);
        if (account !== null && !this.subscribed.has(account)) account = null;
      }
      if (account === null || account === self || seen?.has(account)) continue;
      seen ??= new Set();
      seen.add(account);
      this.enqueue({ account, out, channel });
    }
  }

  /** An account gained or lost its subscriptions. */
  changed(account: string, hasSubscriptions: boolean): void {
    if (hasSubscriptions) this.subscribed.add(account);
    else this.subscribed.delete(account);
  }

  /** Resolves when nothing is queued or being sent (tests, shutdown). */
  drained(): Promise<void> {
    if (this.queue.length === 0 && this.running === 0 && !this.pumpScheduled) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Shutdown: drops what is still queued, waits for requests in flight (each has a deadline). */
  async close(): Promise<void> {
    this.counts.dropped += this.queue.length;
    this.queue.length = 0;
    await this.drained();
    await this.sender.close();
  }

  private enqueue(job: Job): void {
    if (this.queue.length >= MAX_QUEUED) {
      this.counts.dropped++;
      return;
    }
    this.queue.push(job);
    // Off the message path: the work starts on a later turn of the event loop.
    if (!this.pumpScheduled) {
      this.pumpScheduled = true;
      setImmediate(() => {
        this.pumpScheduled = false;
        this.pump();
        this.settleIfIdle();
      });
    }
  }

  private pump(): void {
    while (this.running < CONCURRENCY && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running++;
      this.run(job)
        .catch((err: unknown) => {
          this.server.log.warn({ event: 'push.error', err: String(err) }, 'push notification failed');
        })
        .finally(() => {
          this.running--;
          this.pump();
          this.settleIfIdle();
        });
    }
  }

  private settleIfIdle(): void {
    if (this.queue.length === 0 && this.running === 0 && !this.pumpScheduled) {
      for (const done of this.idle.splice(0)) done();
    }
  }

  private async run(job: Job): Promise<void> {
    const store = this.server.store;
    if (store === null || this.present(job.account)) return;
    if (job.channel !== null && !this.mayRead(job.account, job.channel)) return;
    const subscriptions = await store.pushSubscriptions(job.account);
    await Promise.all(
      subscriptions.map(async (sub) => {
        const result = await this.sender.deliver(sub, payloadFor(job.out, sub.caps));
        if (result === 'delivered') this.counts.delivered++;
        else if (result === 'failed') this.counts.failed++;
        else {
          // The push service forgot this subscription (RFC 8030 §7.3): so do we.
          this.counts.gone++;
          await store.removePushSubscription(sub.endpoint, null);
          if ((await store.pushSubscriptions(job.account)).length === 0) this.changed(job.account, false);
        }
      }),
    );
  }

  /** Whether a connection of the account is here and not away. */
  private present(account: string): boolean {
    for (const s of this.server.sessions) {
      if (s.registered && s.away === null && s.account !== null && foldCase(s.account) === account)
        return true;
    }
    return false;
  }

  /** A room's messages reach an account that is in it, or anyone when the room is open. */
  private mayRead(account: string, channel: Channel): boolean {
    if (!channel.inviteOnly && channel.key === null && !channel.secret) return true;
    for (const member of channel.members.keys()) {
      if (member.account !== null && foldCase(member.account) === account) return true;
    }
    return false;
  }
}

/**
 * The notification payload: exactly one IRC message without its CR LF, serialized for the
 * capabilities the client registered with (webpush §Implementation). A long one loses its
 * client-only tags, never its msgid.
 */
export function payloadFor(out: Outgoing, caps: number): string {
  let text = out.bytesFor(caps).toString('utf8');
  if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES && out.clientTags !== null) {
    const bare = new Outgoing(out.source, out.command, out.params, out.time, out.msgid, out.account, null);
    text = bare.bytesFor(caps).toString('utf8');
  }
  return text.slice(0, -2);
}
