/**
 * Issue 4 "HTTP and WebSocket": the HTTP listener speaks HTTPS when a certificate is set,
 * with the configured certificate, and announces itself as `https`.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { test } from 'node:test';
import { startServer } from '../helpers/server.js';
import { makeCert } from './helpers.js';

interface HealthReply {
  status: number;
  body: string;
  fingerprint: string;
}

function getHealth(port: number): Promise<HealthReply> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host: '127.0.0.1', port, path: '/health', rejectUnauthorized: false, agent: false },
      (res) => {
        // Read the certificate now: the socket is released once the response ends.
        const socket = res.socket as import('node:tls').TLSSocket;
        const fingerprint = socket.getPeerX509Certificate()?.fingerprint256 ?? '';
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          data += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data, fingerprint }));
      },
    );
    req.on('error', reject);
  });
}

test('with --tls-cert/--tls-key the HTTP listener is HTTPS with that certificate, reloaded on SIGHUP', async () => {
  const pair = await makeCert('chat.test');
  const probe = await startServer({ tlsPort: null, httpPort: null });
  const dir = probe.config.dataDir;
  await probe.stop();
  writeFileSync(join(dir, 'cert.pem'), pair.cert);
  writeFileSync(join(dir, 'key.pem'), pair.key);
  const srv = await startServer({
    dataDir: dir,
    tlsPort: null,
    httpPort: 0,
    tlsCert: join(dir, 'cert.pem'),
    tlsKey: join(dir, 'key.pem'),
  });
  try {
    const listener = srv.tertulia.listeners.find((l) => l.kind === 'https');
    assert.ok(listener, `listeners: ${JSON.stringify(srv.tertulia.listeners)}`);
    assert.ok(
      !srv.tertulia.listeners.some((l) => l.kind === 'http'),
      'no plain HTTP when a certificate is set',
    );
    const { status, body, fingerprint } = await getHealth(listener.port);
    assert.equal(status, 200);
    assert.equal(JSON.parse(body).status, 'ok');
    assert.equal(fingerprint, pair.fingerprint, 'served with the configured certificate');
    // A renewed certificate is picked up by reload (what SIGHUP calls) for new connections.
    const renewed = await makeCert('chat.test');
    writeFileSync(join(dir, 'cert.pem'), renewed.cert);
    writeFileSync(join(dir, 'key.pem'), renewed.key);
    await srv.tertulia.reload();
    assert.equal((await getHealth(listener.port)).fingerprint, renewed.fingerprint);
  } finally {
    await srv.stop();
  }
});
