/**
 * The HTTP surface over real HTTP: /health (liveness and readiness), /metrics (Prometheus
 * text that moves as clients connect and chat), 404/405 and bounded bodies. The web client's
 * files and their headers: static.test.ts.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { METRICS_AUTH, startServer, type TestServer } from '../helpers/server.js';

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `metric ${name} present`);
  return Number(line.split(' ')[1]);
}

describe('HTTP surface', () => {
  let srv: TestServer;
  let base: string;
  const clients: TestClient[] = [];
  before(async () => {
    srv = await startServer();
    base = `http://127.0.0.1:${srv.httpPort}`;
  });
  after(async () => {
    for (const c of clients) c.close();
    await srv.stop();
  });

  test('the listener is announced as kind http on its own port', () => {
    const http = srv.tertulia.listeners.find((l) => l.kind === 'http');
    assert.ok(http);
    assert.notEqual(http.port, 0);
    assert.notEqual(http.port, srv.port);
  });

  test('/health: live and ready, with uptime, connections and storage', async () => {
    const res = await fetch(`${base}/health`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^application\/json/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body['status'], 'ok');
    assert.equal(body['live'], true);
    assert.equal(body['ready'], true);
    assert.equal(body['storage'], 'ok');
    assert.equal(typeof body['uptime'], 'number');
    const c = await TestClient.register(srv.port, 'healthy');
    clients.push(c);
    const again = (await (await fetch(`${base}/health`)).json()) as Record<string, number>;
    assert.ok(again['connections']! >= 1);
  });

  test('/metrics: connections by transport, users, rooms, messages, deliveries change as clients chat', async () => {
    const before = await (await fetch(`${base}/metrics`, { headers: METRICS_AUTH })).text();
    const usersBefore = metricValue(before, 'tertulia_registered_users');
    const inBefore = metricValue(before, 'tertulia_messages_in_total');
    const outBefore = metricValue(before, 'tertulia_deliveries_out_total');
    const roomsBefore = metricValue(before, 'tertulia_rooms');
    const a = await TestClient.register(srv.port, 'metA');
    const b = await TestClient.connectWs(srv.httpPort);
    await b.registerAs('metB');
    clients.push(a, b);
    a.send('JOIN #metrics');
    b.send('JOIN #metrics');
    await b.expect('366');
    await a.sync();
    a.send('PRIVMSG #metrics :hello');
    await b.expect('PRIVMSG', '#metrics');
    const res = await fetch(`${base}/metrics`, { headers: METRICS_AUTH });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    assert.equal(metricValue(text, 'tertulia_registered_users'), usersBefore + 2);
    assert.equal(metricValue(text, 'tertulia_rooms'), roomsBefore + 1);
    assert.equal(metricValue(text, 'tertulia_messages_in_total'), inBefore + 1);
    assert.equal(metricValue(text, 'tertulia_deliveries_out_total'), outBefore + 1);
    assert.ok(metricValue(text, 'tertulia_connections{transport="ws"}') >= 1);
    assert.ok(metricValue(text, 'tertulia_connections{transport="irc"}') >= 1);
    assert.equal(metricValue(text, 'tertulia_sendq_drops_total'), 0);
    assert.equal(metricValue(text, 'tertulia_flood_disconnects_total'), 0);
    // The message was stored: the history write latency histogram saw it.
    assert.ok(metricValue(text, 'tertulia_history_write_seconds_count') >= 1);
    assert.match(text, /tertulia_history_write_seconds_bucket\{le="0\.005"\}/);
    assert.match(text, /# TYPE tertulia_history_write_seconds histogram/);
  });

  test('/metrics is operator data: without the bearer token 401 (RFC 6750 challenge), with a wrong one 401, with metrics-token 200; /health needs nothing (load balancers)', async () => {
    const none = await fetch(`${base}/metrics`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate')!, /^Bearer /);
    const body = await none.text();
    assert.ok(!body.includes('tertulia_'), 'no metric leaks in the refusal');
    const wrong = await fetch(`${base}/metrics`, {
      headers: { Authorization: 'Bearer not-the-token-at-all' },
    });
    assert.equal(wrong.status, 401);
    const basic = await fetch(`${base}/metrics`, {
      headers: {
        Authorization: `Basic ${Buffer.from('x:test-metrics-token-0123456789').toString('base64')}`,
      },
    });
    assert.equal(basic.status, 401);
    const head = await fetch(`${base}/metrics`, { method: 'HEAD' });
    assert.equal(head.status, 401);
    const ok = await fetch(`${base}/metrics`, { headers: METRICS_AUTH });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /tertulia_connections/);
    assert.equal((await fetch(`${base}/health`)).status, 200);
  });

  test('unknown paths are 404; other methods 405; oversized bodies 413', async () => {
    const missing = await fetch(`${base}/nope/../../etc/passwd`);
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('x-content-type-options'), 'nosniff');
    const post = await fetch(`${base}/health`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    const big = await new Promise<string>((resolve) => {
      const s = net.connect(srv.httpPort, '127.0.0.1', () => {
        s.write('POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n');
      });
      let got = '';
      s.on('data', (d) => {
        got += d.toString();
      });
      s.on('close', () => resolve(got));
      s.on('error', () => resolve(got));
    });
    assert.match(big, /^HTTP\/1\.1 413 /);
  });

  test('/health is not ready (503, storage error) when the store fails', async () => {
    const store = srv.tertulia.server.store!;
    const original = store.findMessage.bind(store);
    store.findMessage = () => Promise.reject(new Error('database is down'));
    try {
      const res = await fetch(`${base}/health`);
      assert.equal(res.status, 503);
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(body['storage'], 'error');
      assert.equal(body['ready'], false);
      assert.equal(body['live'], true);
    } finally {
      store.findMessage = original;
    }
  });
});

describe('HTTP listener configuration', () => {
  test('by default (no metrics-token) /metrics is off on the public port: 404 with or without a token; /health still answers', async () => {
    const srv = await startServer({ metricsToken: null });
    try {
      const base = `http://127.0.0.1:${srv.httpPort}`;
      assert.equal((await fetch(`${base}/metrics`)).status, 404);
      const withToken = await fetch(`${base}/metrics`, { headers: METRICS_AUTH });
      assert.equal(withToken.status, 404);
      assert.ok(!(await withToken.text()).includes('tertulia_'));
      assert.equal((await fetch(`${base}/health`)).status, 200);
    } finally {
      await srv.stop();
    }
  });

  test('--http-port off starts no HTTP listener', async () => {
    const srv = await startServer({ httpPort: null });
    try {
      assert.equal(
        srv.tertulia.listeners.find((l) => l.kind === 'http'),
        undefined,
      );
      assert.equal(srv.httpPort, 0);
    } finally {
      await srv.stop();
    }
  });
});
