/**
 * Issue 4 "Behind a reverse proxy": PROXY protocol on the TLS listener too. The header
 * precedes the TLS handshake; the session (WHOIS, per-IP limits) sees the address it names,
 * whether the proxy sends the header alone or in the same packet as the ClientHello.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

/** A stream over `raw` whose first write is prefixed with `header` (one TCP write). */
function prefixedFirstWrite(raw: net.Socket, header: string): Duplex {
  let first = true;
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, done) {
      raw.write(first ? Buffer.concat([Buffer.from(header), chunk]) : chunk, done);
      first = false;
    },
  });
  raw.on('data', (d: Buffer) => stream.push(d));
  raw.on('end', () => stream.push(null));
  return stream;
}

function connect(port: number, header: string, coalesced: boolean): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const raw = net.connect({ host: '127.0.0.1', port }, () => {
      if (!coalesced) raw.write(header);
      const socket = tls.connect({
        socket: coalesced ? prefixedFirstWrite(raw, header) : raw,
        rejectUnauthorized: false,
      });
      socket.once('secureConnect', () => resolve(socket));
      socket.once('error', reject);
    });
    raw.once('error', reject);
  });
}

describe('PROXY protocol on the TLS listener', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({ tlsPort: 0, proxyProtocol: true });
  });
  after(async () => {
    await srv.stop();
  });

  for (const coalesced of [false, true]) {
    test(`the real address from a PROXY v1 header ${coalesced ? 'sent with the ClientHello' : 'sent alone'} shows in WHOIS`, async () => {
      const socket = await connect(srv.tlsPort, 'PROXY TCP4 203.0.113.7 127.0.0.1 40000 6697\r\n', coalesced);
      const c = TestClient.fromSocket(socket);
      await c.registerAs(coalesced ? 'proxied2' : 'proxied1');
      c.send(`WHOIS ${c.nick}`);
      const user = await c.expect('311');
      assert.equal(user.params[3], '203.0.113.7');
      const secure = await c.until((m) => m.command === '318');
      assert.ok(
        secure.some((m) => m.command === '671'),
        'still a secure connection',
      );
      c.close();
    });
  }

  test('a TLS connection without a PROXY header is closed before any session exists', async () => {
    const raw = net.connect({ host: '127.0.0.1', port: srv.tlsPort });
    const closed = new Promise<void>((resolve) => raw.on('close', () => resolve()));
    raw.on('error', () => {});
    const socket = tls.connect({ socket: raw, rejectUnauthorized: false });
    socket.on('error', () => {});
    // Without a header the server does not wait for one forever: the connection is closed.
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('connection without a PROXY header was left open')), 8000),
    );
    await Promise.race([closed, timeout]);
    assert.ok(raw.destroyed);
  });
});
