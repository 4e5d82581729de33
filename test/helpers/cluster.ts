/**
 * Cluster nodes for tests: real tertulia servers in this process, each a node on the real
 * Redis at 127.0.0.1:6379, under a bus prefix of their own so parallel tests never hear
 * each other. Never skipped: if Redis is not there, the tests fail, as they must in CI.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config/config.js';
import type { TestClient } from './client.js';
import { startServer, type TestServer } from './server.js';

export const REDIS_URL = process.env['TERTULIA_TEST_REDIS'] ?? 'redis://127.0.0.1:6379';

/** A bus prefix no other test uses. */
export function freshPrefix(): string {
  return `tt-${randomBytes(6).toString('hex')}`;
}

export async function startNode(
  prefix: string,
  node: string,
  overrides: Partial<Config> = {},
): Promise<TestServer> {
  return startServer({
    clusterRedis: REDIS_URL,
    clusterPrefix: prefix,
    clusterNode: node,
    clusterTimeout: 2,
    ...overrides,
  });
}

/** Starts nodes one after the other (each syncs with the ones before it). */
export async function startNodes(
  count: number,
  overrides: Partial<Config> = {},
): Promise<{ prefix: string; nodes: TestServer[]; stop(): Promise<void> }> {
  const prefix = freshPrefix();
  const nodes: TestServer[] = [];
  for (let i = 0; i < count; i++) nodes.push(await startNode(prefix, `n${i + 1}`, overrides));
  return {
    prefix,
    nodes,
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
      await dropPrefix(prefix);
    },
  };
}

/** Removes what a test's nodes left in Redis (the live-node set). */
export async function dropPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    await redis.del(`${prefix}:nodes`);
  } finally {
    redis.disconnect();
  }
}

/** A plain Redis connection for a test to act on the bus (publish garbage, kill clients). */
export function redisClient(): Redis {
  return new Redis(REDIS_URL);
}

/** WHOIS `nick` again until the reply satisfies `ok` (the bus is asynchronous). */
export async function whoisUntil(
  c: TestClient,
  nick: string,
  ok: (reply: Awaited<ReturnType<TestClient['until']>>) => boolean,
): Promise<Awaited<ReturnType<TestClient['until']>>> {
  for (let i = 0; ; i++) {
    c.send(`WHOIS ${nick}`);
    const reply = await c.until((m) => m.command === '318');
    if (ok(reply)) return reply;
    if (i > 200)
      throw new Error(`WHOIS ${nick} never satisfied the test: ${reply.map((m) => m.raw).join(' | ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits until `c`'s node knows `nick` (registered on another node a moment ago). */
export async function known(c: TestClient, nick: string): Promise<void> {
  await whoisUntil(c, nick, (r) => r.some((m) => m.command === '311'));
}
