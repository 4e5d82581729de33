/**
 * `/metrics`: the core's plain counters (core/metrics.ts) exported in the Prometheus text
 * format by prom-client, from a registry of our own (never the global one, so several servers
 * in one process do not mix). Counters and gauges read the core's numbers when scraped; the
 * history write latency histogram is fed by the core through `historyWriteObserver`.
 */
import client from 'prom-client';
import type { ChatServer } from '../core/server.js';

export interface MetricsExport {
  registry: client.Registry;
  /** Unhooks the history observer. */
  dispose(): void;
}

export function createMetricsRegistry(server: ChatServer): MetricsExport {
  const registry = new client.Registry();
  const m = server.metrics;
  client.collectDefaultMetrics({ register: registry, prefix: 'tertulia_' });

  /** A counter whose value is the core's running total. */
  const mirror = (name: string, help: string, read: () => number): void => {
    new client.Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  };
  const gauge = (name: string, help: string, read: () => number): void => {
    new client.Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  };

  new client.Gauge({
    name: 'tertulia_connections',
    help: 'Open client connections by transport (irc, tls, ws, ...).',
    labelNames: ['transport'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [transport, n] of m.connectionsByTransport) this.set({ transport }, n);
    },
  });
  gauge(
    'tertulia_registered_users',
    'Connections that completed registration (users online here).',
    () => server.census.users,
  );
  gauge('tertulia_rooms', 'Channels that exist.', () => server.directory.channelCount);
  mirror(
    'tertulia_messages_in_total',
    'PRIVMSG/NOTICE/TAGMSG commands received from clients.',
    () => m.messagesIn,
  );
  mirror(
    'tertulia_deliveries_out_total',
    'Messages delivered to recipients (one per recipient).',
    () => m.deliveriesOut,
  );
  mirror(
    'tertulia_sendq_drops_total',
    'Clients disconnected for exceeding their send queue.',
    () => m.sendqDrops,
  );
  mirror(
    'tertulia_sendq_budget_drops_total',
    'Of those, the slowest readers dropped because the server-wide output budget was full.',
    () => m.sendqBudgetDrops,
  );
  mirror(
    'tertulia_memory_givebacks_total',
    'Full garbage collections run after a wave of SendQ drops, to give the memory back.',
    () => server.memoryGiveBack.runs,
  );
  gauge(
    'tertulia_stalled_output_bytes',
    'Output queued for clients whose connection is backed up (each counted in full).',
    () => server.output.stalledBytes,
  );
  mirror(
    'tertulia_flood_disconnects_total',
    'Clients disconnected for flooding (Excess Flood).',
    () => m.floodDisconnects,
  );
  mirror(
    'tertulia_refused_connections_total',
    'Connections refused by per-IP limits or during shutdown.',
    () => m.refusedConnections,
  );
  new client.Counter({
    name: 'tertulia_webpush_notifications_total',
    help: 'Web Push notifications by outcome: delivered, failed, gone (subscription dropped), dropped (queue full).',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      this.reset();
      const counts = server.push?.counts;
      if (counts === undefined) return;
      for (const [outcome, n] of Object.entries(counts)) this.inc({ outcome }, n);
    },
  });
  const latency = new client.Histogram({
    name: 'tertulia_history_write_seconds',
    help: 'Time from handing a message to the history writer to its commit.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const observe = (seconds: number): void => latency.observe(seconds);
  m.historyWriteObserver = observe;
  return {
    registry,
    dispose() {
      if (m.historyWriteObserver === observe) m.historyWriteObserver = null;
    },
  };
}
