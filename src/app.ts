/**
 * The composition root: builds the core with its in-process directory, binds the
 * configured listeners, and offers shutdown/reload to the CLI.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { ClusterDirectory } from './cluster/cluster-directory.js';
import { LocalDirectory } from './cluster/local-directory.js';
import { ClusterNode } from './cluster/node.js';
import type { Config } from './config/config.js';
import { accountsOf, installAccounts } from './core/accounts/index.js';
import { flushAlwaysOn, restoreAlwaysOn } from './core/always-on.js';
import { PushNotifier } from './core/push.js';
import { ChatServer } from './core/server.js';
import { type BoundListener, listenTcp } from './gateways/tcp.js';
import { listenText } from './gateways/text.js';
import { listenTls, loadTlsMaterial, type TlsListener } from './gateways/tls.js';
import { type HttpListener, listenHttp } from './http/server.js';
import { loadVapidKeys } from './push/vapid-keys.js';
import { WebPushSender } from './push/web-push-sender.js';
import { HistoryWriter } from './store/group-commit.js';
import { openStore } from './store/open.js';
import type { Store } from './store/store.js';

export interface Listener {
  kind: string;
  host: string;
  port: number;
}

export interface Tertulia {
  listeners: Listener[];
  server: ChatServer;
  shutdown(reason: string): Promise<void>;
  reload(): Promise<void>;
}

function readMotd(file: string | null): string[] | null {
  if (file === null) return null;
  const text = readFileSync(file, 'utf8').replace(/\r/g, '').replace(/\n+$/, '');
  // An empty file means "no MOTD" (422), not one blank line.
  return text === '' ? [] : text.split('\n');
}

/** Deletes history past the retention age now and then every hour. */
function scheduleRetention(store: Store, days: number, log: Logger): NodeJS.Timeout | null {
  if (days <= 0) return null;
  const prune = (): void => {
    store
      .prune(Date.now() - days * 86_400_000)
      .then((n) => {
        if (n > 0)
          log.info(
            { event: 'history.pruned', count: n, days },
            `Pruned ${n} messages older than ${days} days`,
          );
      })
      .catch((err: unknown) =>
        log.error({ event: 'history.prune_failed', err: String(err) }, 'history pruning failed'),
      );
  };
  prune();
  const timer = setInterval(prune, 3_600_000);
  timer.unref();
  return timer;
}

/** A URL for logs and errors, without its password. */
function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/** RFC 8292 §2.1 `sub`: the configured contact, else the public https URL, else the server name. */
function vapidSubject(config: Config): string {
  if (config.webpushContact !== null) return config.webpushContact;
  if (config.publicUrl?.startsWith('https://')) return config.publicUrl;
  return `https://${config.serverName}`;
}

/** The push service's host, for logs (an endpoint's path identifies a browser). */
function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return '?';
  }
}

/** A node name from the host name and process id (cluster-node unset). */
export function defaultNodeName(): string {
  const host = hostname()
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 40);
  return `${host || 'node'}-${process.pid}`;
}

export async function startTertulia(config: Config, log: Logger): Promise<Tertulia> {
  // Cluster mode: the directory is the replica of the whole network, kept by a node on the
  // Redis bus (src/cluster/). Without cluster-redis nothing here touches Redis.
  const clusterDirectory = config.clusterRedis !== null ? new ClusterDirectory() : null;
  const server = new ChatServer(
    config,
    log,
    clusterDirectory ?? new LocalDirectory(),
    readMotd(config.motdFile),
  );
  const node =
    clusterDirectory !== null && config.clusterRedis !== null
      ? new ClusterNode(server, clusterDirectory, {
          redisUrl: config.clusterRedis,
          node: config.clusterNode ?? defaultNodeName(),
          prefix: config.clusterPrefix,
          timeoutMs: config.clusterTimeout * 1000,
          syncWaitMs: Math.min(3000, config.clusterTimeout * 1000),
        })
      : null;
  const store = await openStore({ database: config.database, dataDir: config.dataDir });
  const writer = new HistoryWriter(store);
  server.store = store;
  server.historyWriter = writer;
  // Accounts, NickServ/ChanServ and registered rooms (needs the store set above).
  await installAccounts(server);
  log.info(
    { event: 'storage', kind: store.kind, schema: store.schemaVersion },
    `Storage: ${store.kind} (schema version ${store.schemaVersion})`,
  );
  // Always-on people back in their rooms, offline, before the first connection (always-on.ts).
  // A cluster node does not restore them yet: the other nodes would not learn of them.
  if (config.alwaysOn && node === null) {
    const started = performance.now();
    const restored = await restoreAlwaysOn(server);
    log.info(
      { event: 'always_on.restored', people: restored, ms: Math.round(performance.now() - started) },
      `Always-on: ${restored} people back in their rooms`,
    );
  }
  // Web Push (draft/webpush): the VAPID key pair is made once and kept in data-dir.
  if (config.webpush) {
    const { keys, created } = loadVapidKeys(config.dataDir);
    if (created)
      log.info({ event: 'webpush.keys_created' }, 'Web Push: generated a VAPID key pair in data-dir');
    const sender = new WebPushSender({
      keys,
      subject: vapidSubject(config),
      allowHttpLoopback: config.webpushAllowHttpLoopback,
      onError: (endpoint, reason) =>
        log.warn(
          { event: 'webpush.failed', host: hostOf(endpoint), reason },
          `Web Push to ${hostOf(endpoint)} failed: ${reason}`,
        ),
    });
    const push = new PushNotifier(server, sender);
    await push.load();
    server.push = push;
  }
  if (node !== null && store.kind === 'sqlite') {
    log.warn(
      { event: 'cluster.sqlite' },
      'cluster: this node keeps history in its own SQLite file, so other nodes cannot read what it stores; use --database postgres://... for a shared history',
    );
  }
  const retention = scheduleRetention(store, config.historyRetentionDays, log);
  const closeStorage = async (): Promise<void> => {
    if (retention !== null) clearInterval(retention);
    // Notifications not yet sent are dropped; requests in flight finish (or time out).
    await server.push?.close();
    await writer.close();
    await accountsOf(server)?.flush();
    await flushAlwaysOn(server);
    await store.close();
  };
  const bound: BoundListener[] = [];
  let tlsListener: TlsListener | null = null;
  let httpsListener: HttpListener | null = null;
  try {
    // Join the network before anyone can connect (registrations wait for its state anyway).
    if (node !== null) {
      await node.start().catch((err: unknown) => {
        throw new Error(
          `cannot join the cluster at ${redactUrl(config.clusterRedis!)}: ${(err as Error).message}`,
        );
      });
    }
    if (config.ircPort !== null) bound.push(await listenTcp(server, config.host, config.ircPort));
    // The TLS listener uses a configured or generated certificate; HTTP becomes HTTPS only
    // with a configured one (browsers would refuse a generated self-signed certificate).
    const material =
      config.tlsPort !== null || config.tlsCert !== null ? await loadTlsMaterial(config, log) : null;
    // HTTP (src/http/server.ts): WebSocket, /health, /metrics, the page.
    if (config.httpPort !== null) {
      const tls =
        config.tlsCert !== null && material !== null
          ? { cert: material.cert, key: material.key, minVersion: 'TLSv1.2' as const }
          : undefined;
      const http = await listenHttp(server, {
        host: config.host,
        port: config.httpPort,
        publicUrl: config.publicUrl,
        ...(tls ? { tls } : {}),
      });
      bound.push(http);
      if (tls) httpsListener = http;
    }
    // TLS (src/gateways/tls.ts): sts needs its port.
    if (config.tlsPort !== null && material !== null) {
      tlsListener = await listenTls(server, config.host, config.tlsPort, material);
      bound.push(tlsListener);
      server.tlsPort = tlsListener.port;
    }
    // Plain text for nc/telnet (src/gateways/text.ts): a name prompt, then the first server room (#lobby).
    if (config.textPort !== null) bound.push(await listenText(server, config.host, config.textPort));
  } catch (err) {
    await Promise.all(bound.map((b) => b.close()));
    await server.shutdown('Start-up failed');
    await node?.close();
    await closeStorage();
    throw err;
  }
  let stopped = false;
  return {
    server,
    listeners: bound.map(({ kind, host, port }) => ({ kind, host, port })),
    async shutdown(reason: string) {
      if (stopped) return;
      stopped = true;
      log.info({ event: 'shutdown', reason }, `Shutting down: ${reason}`);
      await server.shutdown(reason);
      // Our users' QUITs are on the bus; `bye` tells the other nodes we are gone.
      await node?.close();
      await Promise.all(bound.map((b) => b.close()));
      // Messages accepted before the shutdown are flushed before the store closes.
      await closeStorage();
    },
    async reload() {
      try {
        server.motd = readMotd(config.motdFile);
        log.info({ event: 'reload' }, 'Configuration reloaded (MOTD)');
      } catch (err) {
        log.error(
          { event: 'reload.failed', err: (err as Error).message },
          'Reload failed; keeping the old MOTD',
        );
      }
      // TLS certificates: new connections get the re-read pair; open ones are untouched.
      if (tlsListener !== null || httpsListener !== null) {
        try {
          const material = await loadTlsMaterial(config, log);
          tlsListener?.setMaterial(material);
          httpsListener?.setCertificate(material.cert, material.key);
          log.info({ event: 'reload.tls' }, 'TLS certificate reloaded');
        } catch (err) {
          log.error(
            { event: 'reload.tls_failed', err: (err as Error).message },
            'TLS reload failed; keeping the old certificate',
          );
        }
      }
    },
  };
}
