/**
 * The cluster bus over Redis pub/sub: one channel for the whole network, one publisher and
 * one subscriber connection per node.
 *
 * Ordering: everything a node raises goes through one queue and one publisher connection,
 * and Redis relays the messages of one connection in the order it processed them, so every
 * node sees another node's events in the order that node raised them (a JOIN always before
 * the joiner's first message to the room). Events of one event-loop turn go out as one
 * PUBLISH (an envelope holding them all), which is what keeps the bus cheap under load.
 *
 * Bounds: while Redis is unreachable nothing is queued for it; events are dropped and
 * counted (logged once per outage), because pub/sub keeps nothing for a subscriber that is
 * away either: the node resynchronises from scratch when the link is back (node.ts). While
 * connected, at most MAX_IN_FLIGHT envelopes may wait for Redis; past that the node drops
 * and resynchronises the same way rather than letting memory grow.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type ClusterEvent, encodeEnvelope } from './codec.js';

/** Envelopes sent and not yet acknowledged by Redis, past which the node stops and resyncs. */
export const MAX_IN_FLIGHT = 10_000;

export interface BusHandlers {
  /** One envelope from the bus (any node's, ours included), undecoded. */
  message(raw: string): void;
  /** The link is back after an outage (or after dropping events): resynchronise. */
  restored(): void;
}

export interface BusOptions {
  url: string;
  /** The pub/sub channel (`<prefix>:bus`). */
  channel: string;
  node: string;
  log: Logger;
}

export class RedisBus {
  readonly pub: Redis;
  readonly sub: Redis;
  private queue: ClusterEvent[] = [];
  private flushScheduled = false;
  private inFlight = 0;
  /** Events were lost since the link was last whole: the next `ready` resyncs. */
  private lost = false;
  private droppedEvents = 0;
  private closed = false;
  private handlers: BusHandlers | null = null;
  private started = false;

  constructor(private readonly options: BusOptions) {
    const common = {
      lazyConnect: true,
      // Commands fail at once while disconnected instead of piling up in ioredis's queue.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times: number) => Math.min(100 * times, 1000),
    };
    this.pub = new Redis(options.url, {
      ...common,
      connectionName: `tertulia:${options.channel}:${options.node}:pub`,
    });
    this.sub = new Redis(options.url, {
      ...common,
      connectionName: `tertulia:${options.channel}:${options.node}:sub`,
    });
    for (const conn of [this.pub, this.sub]) {
      conn.on('error', (err: Error) => {
        if (!this.closed) this.noteLoss(`Redis: ${err.message}`);
      });
      conn.on('close', () => {
        if (!this.closed) this.noteLoss('Redis connection closed');
      });
      conn.on('ready', () => this.maybeRestored());
    }
    this.sub.on('message', (_channel: string, raw: string) => this.handlers?.message(raw));
  }

  get connected(): boolean {
    return this.pub.status === 'ready' && this.sub.status === 'ready';
  }

  /** Connects and subscribes; rejects when Redis cannot be reached at start. */
  async start(handlers: BusHandlers): Promise<void> {
    this.handlers = handlers;
    await Promise.all([this.pub.connect(), this.sub.connect()]);
    await this.sub.subscribe(this.options.channel);
    this.started = true;
    this.lost = false;
  }

  /** Queues an event; the turn's events are published together, in order. */
  publish(event: ClusterEvent): void {
    if (this.closed) return;
    this.queue.push(event);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Publishes what is queued now (the shutdown path uses it to send `bye` last). */
  readonly flush = (): Promise<void> => {
    this.flushScheduled = false;
    if (this.queue.length === 0) return Promise.resolve();
    const events = this.queue;
    this.queue = [];
    if (this.pub.status !== 'ready' || this.inFlight >= MAX_IN_FLIGHT) {
      this.drop(events.length);
      return Promise.resolve();
    }
    this.inFlight++;
    return this.pub
      .publish(this.options.channel, encodeEnvelope(this.options.node, events))
      .then(
        () => {},
        (err: unknown) => {
          this.drop(events.length);
          this.options.log.warn(
            { event: 'cluster.publish_failed', err: String(err) },
            `cluster: publish failed (${String(err)})`,
          );
        },
      )
      .finally(() => {
        this.inFlight--;
        if (this.inFlight === 0) this.maybeRestored();
      });
  };

  private drop(count: number): void {
    if (this.droppedEvents === 0) {
      this.options.log.warn(
        { event: 'cluster.events_dropped' },
        'cluster: the bus is unreachable or backed up; events are dropped until it recovers, then this node resyncs',
      );
    }
    this.droppedEvents += count;
    this.lost = true;
  }

  private noteLoss(reason: string): void {
    if (!this.started) return;
    if (!this.lost) {
      this.options.log.warn({ event: 'cluster.bus_down', reason }, `cluster: lost the bus (${reason})`);
    }
    this.lost = true;
  }

  /** Both connections ready again after a loss: the node resyncs (node.ts). */
  private maybeRestored(): void {
    if (!this.started || !this.lost || this.closed || !this.connected || this.inFlight > 0) return;
    this.lost = false;
    this.options.log.info(
      { event: 'cluster.bus_up', dropped: this.droppedEvents },
      `cluster: the bus is back (${this.droppedEvents} events were dropped meanwhile); resyncing`,
    );
    this.droppedEvents = 0;
    this.handlers?.restored();
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    this.pub.disconnect();
    this.sub.disconnect();
  }
}
