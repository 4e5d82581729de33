/**
 * Starts a real tertulia on 127.0.0.1:0 in this process for a test, with a logger that
 * records lines instead of printing them (tests assert on the console output too).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startTertulia, type Tertulia } from '../../src/app.js';
import type { Config } from '../../src/config/config.js';
import { defaultConfig } from '../../src/config/schema.js';
import { createLogger } from '../../src/log/logger.js';
import { registerWsPort } from './client.js';

/** The `metrics-token` of every test server unless a test sets its own (or null). */
export const TEST_METRICS_TOKEN = 'test-metrics-token-0123456789';

/** Headers that let a test scrape `/metrics`. */
export const METRICS_AUTH = { Authorization: `Bearer ${TEST_METRICS_TOKEN}` } as const;

export interface TestServer {
  tertulia: Tertulia;
  config: Config;
  port: number;
  /** The TLS listener's port; 0 when TLS is off. */
  tlsPort: number;
  /** The plain-text (nc) listener's port; 0 when it is off. */
  textPort: number;
  /** The HTTP (WebSocket, /health, /metrics) listener's port; 0 when it is off. */
  httpPort: number;
  /** Console lines the server printed (pretty format). */
  logs: string[];
  stop(): Promise<void>;
}

export async function startServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const config: Config = {
    ...defaultConfig(),
    host: '127.0.0.1',
    ircPort: 0,
    // TLS is off unless a test asks for it (tlsPort: 0): no certificate generated per server.
    tlsPort: null,
    // Plain text on a free port (never the default 8888, which parallel servers would share).
    textPort: 0,
    // HTTP/WebSocket on a free port too (never the default 8080).
    httpPort: 0,
    dataDir: mkdtempSync(join(tmpdir(), 'tertulia-test-')),
    // Generous flood limits so ordinary tests never trip them; flood tests set their own.
    floodBurst: 1000,
    floodRate: 1000,
    floodQueue: 1000,
    connectRatePerIp: 10_000,
    maxConnectionsPerIp: 10_000,
    // SCRAM keys at the RFC 7677 minimum so every REGISTER is cheap; the tests of the
    // production count (test/accounts/scram-upgrade) ask for it.
    scramIterations: 4096,
    metricsToken: TEST_METRICS_TOKEN,
    ...overrides,
  };
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') logs.push(line);
      done();
    },
  });
  const log = createLogger({ logLevel: config.logLevel, logFormat: 'pretty' }, sink);
  const tertulia = await startTertulia(config, log);
  const irc = tertulia.listeners.find((l) => l.kind === 'irc');
  return {
    tertulia,
    config,
    port: irc?.port ?? 0,
    httpPort: registerWsPort(irc?.port ?? 0, tertulia.listeners.find((l) => l.kind === 'http')?.port ?? 0),
    tlsPort: tertulia.listeners.find((l) => l.kind === 'tls')?.port ?? 0,
    textPort: tertulia.listeners.find((l) => l.kind === 'text')?.port ?? 0,
    logs,
    stop: () => tertulia.shutdown('Test finished'),
  };
}
