/**
 * PROXY protocol v1 and v2 on the IRC listener (--proxy-protocol): WHOIS and the per-IP
 * limits see the address the header gives; a connection without a valid header is closed.
 * Plus unit tests of the parser.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { parseProxyHeader } from '../../src/gateways/proxy-protocol.js';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const SIG = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

function v2(src: string, srcPort: number, command = 1): Buffer {
  const v6 = net.isIPv6(src);
  const addr = Buffer.alloc(v6 ? 36 : 12);
  if (v6) {
    // Expand "::" for the 16 address bytes (hex groups only, no dotted tail).
    const [head = '', tail = ''] = src.split('::');
    const hs = head === '' ? [] : head.split(':');
    const ts = tail === '' ? [] : tail.split(':');
    const groups = [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts];
    groups.forEach((g, i) => {
      addr.writeUInt16BE(Number.parseInt(g, 16), i * 2);
    });
    addr.writeUInt16BE(srcPort, 32);
    addr.writeUInt16BE(6667, 34);
  } else {
    src.split('.').forEach((o, i) => {
      addr[i] = Number(o);
    });
    addr.set([10, 0, 0, 1], 4);
    addr.writeUInt16BE(srcPort, 8);
    addr.writeUInt16BE(6667, 10);
  }
  const head = Buffer.from([0x20 | command, v6 ? 0x21 : 0x11, 0, 0]);
  head.writeUInt16BE(addr.length, 2);
  return Buffer.concat([SIG, head, addr]);
}

function connectWith(port: number, header: Buffer | string): Promise<TestClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' }, () => {
      socket.write(header);
      resolve(TestClient.fromSocket(socket));
    });
    socket.once('error', reject);
  });
}

async function whoisHost(c: TestClient, nick: string): Promise<string> {
  await c.registerAs(nick);
  c.send(`WHOIS ${nick}`);
  const m = await c.expect('311');
  return m.params[3]!;
}

describe('PROXY protocol on the IRC listener', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({ proxyProtocol: true, maxConnectionsPerIp: 1 });
  });
  after(async () => {
    await srv.stop();
  });

  test('v1 TCP4: WHOIS shows the address from the header', async () => {
    const c = await connectWith(srv.port, 'PROXY TCP4 192.0.2.10 10.0.0.1 51000 6667\r\n');
    assert.equal(await whoisHost(c, 'v1four'), '192.0.2.10');
    c.close();
  });

  test('v1 TCP6 and the first IRC line in the same packet', async () => {
    const c = await connectWith(srv.port, 'PROXY TCP6 2001:db8::5 2001:db8::1 51000 6667\r\nPING :early\r\n');
    await c.expect('PONG');
    assert.equal(await whoisHost(c, 'v1six'), '2001:db8::5');
    c.close();
  });

  test('v2 IPv4 and IPv6 (binary header)', async () => {
    const a = await connectWith(srv.port, v2('198.51.100.20', 40000));
    assert.equal(await whoisHost(a, 'v2four'), '198.51.100.20');
    const b = await connectWith(srv.port, v2('2001:db8:0:0:1::9', 40001));
    assert.equal(await whoisHost(b, 'v2six'), '2001:db8::1:0:0:9');
    a.close();
    b.close();
  });

  test('per-IP limits count the real address, not the proxy', async () => {
    const first = await connectWith(srv.port, 'PROXY TCP4 203.0.113.50 10.0.0.1 1 6667\r\n');
    await first.registerAs('limited');
    const second = await connectWith(srv.port, 'PROXY TCP4 203.0.113.50 10.0.0.1 2 6667\r\n');
    const refused = await second.waitFor((m) => m.command === 'ERROR');
    assert.match(refused.raw, /203\.0\.113\.50/);
    const other = await connectWith(srv.port, 'PROXY TCP4 203.0.113.51 10.0.0.1 3 6667\r\n');
    await other.registerAs('notlimited');
    first.close();
    second.close();
    other.close();
  });

  test('v2 LOCAL (the proxy health-checking) keeps the socket address', async () => {
    const c = await connectWith(srv.port, v2('192.0.2.1', 1, 0));
    assert.equal(await whoisHost(c, 'local'), '127.0.0.1');
    c.close();
  });

  test('no header, or a malformed one, closes the connection before any session', async () => {
    for (const bad of [
      'NICK sneaky\r\n',
      'PROXY TCP4 999.1.1.1 10.0.0.1 1 2\r\n',
      'PROXY TCP4 1.2.3.4\r\n',
    ]) {
      const c = await connectWith(srv.port, bad);
      await c.waitClosed();
      assert.equal(
        c.received.some((m) => m.command === '001'),
        false,
      );
    }
  });

  test('without --proxy-protocol a PROXY line is just an unknown command', async () => {
    const plain = await startServer();
    try {
      const c = await connectWith(plain.port, 'PROXY TCP4 192.0.2.10 10.0.0.1 51000 6667\r\n');
      assert.equal(await whoisHost(c, 'plain'), '127.0.0.1');
      c.close();
    } finally {
      await plain.stop();
    }
  });
});

describe('parseProxyHeader', () => {
  test('incomplete headers ask for more bytes, at every split point', () => {
    const whole = [Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n'), v2('1.2.3.4', 1), v2('2001:db8::1', 1)];
    for (const h of whole) {
      for (let i = 1; i < h.length; i++)
        assert.equal(parseProxyHeader(h.subarray(0, i)).status, 'incomplete');
      const done = parseProxyHeader(Buffer.concat([h, Buffer.from('NICK x')]));
      assert.equal(done.status, 'ok');
      if (done.status === 'ok') assert.equal(done.rest.toString(), 'NICK x');
    }
  });

  test('v1 UNKNOWN has no source; garbage and over-long lines are invalid', () => {
    const unknown = parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n'));
    assert.equal(unknown.status, 'ok');
    if (unknown.status === 'ok') assert.equal(unknown.source, null);
    assert.equal(parseProxyHeader(Buffer.from(`PROXY ${'x'.repeat(200)}`)).status, 'invalid');
    assert.equal(parseProxyHeader(Buffer.from('GET / HTTP/1.1\r\n')).status, 'invalid');
    assert.equal(parseProxyHeader(Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 99999 1\r\n')).status, 'invalid');
    assert.equal(parseProxyHeader(Buffer.from('PROXY TCP4 ::1 ::1 1 1\r\n')).status, 'invalid');
  });

  test('v2: wrong version or command is invalid; v4-mapped IPv6 reads as IPv4', () => {
    const bad = v2('1.2.3.4', 1);
    bad[12] = 0x31;
    assert.equal(parseProxyHeader(bad).status, 'invalid');
    const mapped = parseProxyHeader(v2('::ffff:c000:221', 7));
    assert.equal(mapped.status, 'ok');
    if (mapped.status === 'ok') assert.deepEqual(mapped.source, { address: '192.0.2.33', port: 7 });
  });
});
