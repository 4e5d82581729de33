/**
 * The IRCv3 WebSocket transport (ircv3.net/specs/extensions/websocket) with the `ws` package
 * as the client: subprotocol negotiation in the client's order, text and binary frames, one
 * line per message without CR LF, Origin checks, limits, and X-Forwarded-For only from
 * trusted proxies.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { parseLine } from '../../src/protocol/message.js';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

interface Frame {
  data: string;
  binary: boolean;
}

/** A bare `ws` client that records every message with its frame type. */
function open(
  port: number,
  protocols: string[],
  headers: Record<string, string> = {},
): Promise<{ ws: WebSocket; frames: Frame[]; next(pred: (f: Frame) => boolean): Promise<Frame> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, protocols, { headers });
    const frames: Frame[] = [];
    const waiters: Array<() => void> = [];
    ws.on('message', (data: Buffer, binary: boolean) => {
      frames.push({ data: data.toString('utf8'), binary });
      for (const w of [...waiters]) w();
    });
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        ws,
        frames,
        next: (pred) =>
          new Promise((done, fail) => {
            let seen = 0;
            const timer = setTimeout(() => fail(new Error(`timed out; got ${JSON.stringify(frames)}`)), 5000);
            const check = (): void => {
              for (; seen < frames.length; seen++) {
                if (pred(frames[seen]!)) {
                  clearTimeout(timer);
                  waiters.splice(waiters.indexOf(check), 1);
                  done(frames[seen]!);
                  return;
                }
              }
            };
            waiters.push(check);
            check();
          }),
      }),
    );
  });
}

describe('IRCv3 WebSocket transport', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({ wsOrigins: ['https://chat.example.com', '*.example.org'] });
  });
  after(async () => {
    await srv.stop();
  });

  test('text.ircv3.net: text frames both ways, one line per message, no CR LF', async () => {
    const c = await open(srv.httpPort, ['text.ircv3.net']);
    assert.equal(c.ws.protocol, 'text.ircv3.net');
    c.ws.send('NICK wstext');
    c.ws.send('USER w 0 * :W');
    await c.next((f) => f.data.includes(' 376 '));
    for (const f of c.frames) {
      assert.equal(f.binary, false);
      assert.doesNotMatch(f.data, /[\r\n]/);
    }
    assert.match(c.frames[0]!.data, /^:tertulia\.local 001 wstext :Welcome/);
    c.ws.close();
  });

  test('binary.ircv3.net: binary frames, also when a client prefers it among several offers', async () => {
    const c = await open(srv.httpPort, ['binary.ircv3.net', 'text.ircv3.net']);
    assert.equal(c.ws.protocol, 'binary.ircv3.net');
    c.ws.send(Buffer.from('NICK wsbin'));
    c.ws.send(Buffer.from('USER w 0 * :W'));
    await c.next((f) => f.data.includes(' 376 '));
    assert.ok(c.frames.every((f) => f.binary));
    c.ws.close();
  });

  test("the client's order of preference wins; unknown subprotocols are skipped", async () => {
    const c = await open(srv.httpPort, ['x.example', 'text.ircv3.net', 'binary.ircv3.net']);
    assert.equal(c.ws.protocol, 'text.ircv3.net');
    c.ws.close();
  });

  test('no subprotocol offered: accepted without one, text frames out', async () => {
    const c = await open(srv.httpPort, []);
    assert.equal(c.ws.protocol, '');
    c.ws.send('NICK wsnone');
    c.ws.send('USER w 0 * :W');
    await c.next((f) => f.data.includes(' 376 '));
    assert.ok(c.frames.every((f) => !f.binary));
    c.ws.close();
  });

  test('a trailing CR LF is forgiven; a message with two lines is refused (400), not split', async () => {
    const c = await TestClient.connectWs(srv.httpPort);
    c.sendRaw('NICK wscrlf\r\n');
    c.sendRaw('USER w 0 * :W\r\n');
    await c.expect('376');
    c.mark();
    c.sendRaw('PRIVMSG wscrlf :one\r\nQUIT :two');
    const err = await c.expect('400');
    assert.match(err.params.at(-1)!, /exactly one IRC line/);
    await c.sync();
    assert.equal(c.closed, false, 'the embedded QUIT was not run');
    c.close();
  });

  test('the line rules of TCP (RFC 2812 §2.3, message-tags §Size limit): a long relayed line is cut to fit and arrives as one message, never split', async () => {
    const raw = await open(srv.httpPort, ['text.ircv3.net']);
    raw.ws.send('CAP REQ :message-tags');
    raw.ws.send('NICK wsfit');
    raw.ws.send('USER w 0 * :W');
    raw.ws.send('CAP END');
    await raw.next((f) => f.data.includes(' 376 '));
    raw.ws.send('JOIN #wsfit');
    await raw.next((f) => f.data.includes(' 366 '));
    const sender = await TestClient.connectWs(srv.httpPort);
    await sender.registerAs('wsfitter', ['message-tags']);
    sender.send('JOIN #wsfit');
    await sender.expect('366');
    const head = 'PRIVMSG #wsfit :';
    // 'é' is two bytes and the ASCII head is even-sized: a byte cut would land inside one.
    const text = 'é'.repeat((510 - head.length) / 2);
    assert.equal(Buffer.byteLength(head + text), 510);
    sender.send(`@+draft/reply=${'r'.repeat(4000)} ${head}${text}`);
    const got = await raw.next((f) => f.data.includes(' PRIVMSG #wsfit '));
    assert.doesNotMatch(got.data, /[\r\n]/, 'one line per message');
    const space = got.data.indexOf(' ');
    const tags = got.data.slice(0, space + 1);
    const body = got.data.slice(space + 1);
    assert.ok(
      tags.startsWith('@') && tags.includes(`+draft/reply=${'r'.repeat(4000)}`),
      'the tags came whole',
    );
    assert.ok(Buffer.byteLength(tags) <= 8191, `tag section is ${Buffer.byteLength(tags)} bytes`);
    assert.ok(Buffer.byteLength(body) <= 510, `line is ${Buffer.byteLength(body)} bytes (CR LF left out)`);
    const parsed = parseLine(got.data);
    assert.ok(parsed.ok);
    const shown = parsed.message.params[1]!;
    assert.ok(shown.length > 0 && shown.length < text.length, 'the text was cut');
    assert.ok(text.startsWith(shown) && !shown.includes('\ufffd'), 'on a character boundary');
    // Nothing else of that line came in another message.
    raw.ws.send('PING :after');
    await raw.next((f) => f.data.includes('PONG') && f.data.endsWith('after'));
    const rest = raw.frames.slice(raw.frames.indexOf(got) + 1);
    assert.ok(
      rest.every((f) => !f.data.includes('é')),
      'no piece of the text in a second message',
    );
    sender.close();
    raw.ws.close();
  });

  test('an over-long message gets 417 as on TCP; one past the payload bound closes (1009)', async () => {
    const c = await TestClient.register(srv.port, 'wslong'); // TCP, for comparison below
    c.close();
    const w = await TestClient.connectWs(srv.httpPort);
    await w.registerAs('wslong2');
    w.send(`PRIVMSG wslong2 :${'x'.repeat(9000)}`);
    await w.expect('417');
    const raw = await open(srv.httpPort, ['text.ircv3.net']);
    const closed = new Promise<number>((resolve) => raw.ws.on('close', (code) => resolve(code)));
    raw.ws.send('x'.repeat(64 * 1024));
    assert.equal(await closed, 1009);
    w.close();
  });

  test('Origin: own host, localhost and configured origins are allowed; others get 403', async () => {
    const port = srv.httpPort;
    const ok = async (origin: string, host?: string): Promise<void> => {
      const headers: Record<string, string> = { Origin: origin };
      if (host !== undefined) headers['Host'] = host;
      const c = await open(port, ['text.ircv3.net'], headers);
      c.ws.close();
    };
    await ok(`http://127.0.0.1:${port}`);
    await ok('http://localhost:5173');
    await ok('https://chat.example.com');
    await ok('https://a.example.org');
    await ok('https://irc.mysite.net', 'irc.mysite.net');
    for (const bad of [
      'https://evil.example.net',
      'https://chat.example.com:444',
      'null',
      'https://example.org.evil.com',
    ]) {
      await assert.rejects(open(port, ['text.ircv3.net'], { Origin: bad }), /HTTP 403/, bad);
    }
  });
});

describe('X-Forwarded-For', () => {
  test('believed only from --trusted-proxies: WHOIS and per-IP limits see the forwarded address', async () => {
    const srv = await startServer({ trustedProxies: ['127.0.0.0/8'], maxConnectionsPerIp: 1 });
    try {
      const a = await TestClient.connectWs(srv.httpPort, {
        headers: { 'X-Forwarded-For': '198.51.100.7, 127.0.0.2' },
      });
      await a.registerAs('proxied');
      a.send('WHOIS proxied');
      const whois = await a.expect('311');
      assert.equal(whois.params[3], '198.51.100.7');
      // A second client from the same forwarded address is over the per-IP limit...
      const b = await TestClient.connectWs(srv.httpPort, { headers: { 'X-Forwarded-For': '198.51.100.7' } });
      const refused = await b.waitFor((m) => m.command === 'ERROR');
      assert.match(refused.raw, /198\.51\.100\.7/);
      // ...while another forwarded address is not.
      const c = await TestClient.connectWs(srv.httpPort, { headers: { 'X-Forwarded-For': '203.0.113.9' } });
      await c.registerAs('other');
      a.close();
      b.close();
      c.close();
    } finally {
      await srv.stop();
    }
  });

  test('ignored from anyone else (a client cannot claim an address)', async () => {
    const srv = await startServer({ trustedProxies: ['10.0.0.0/8'] });
    try {
      const a = await TestClient.connectWs(srv.httpPort, { headers: { 'X-Forwarded-For': '198.51.100.7' } });
      await a.registerAs('liar');
      a.send('WHOIS liar');
      const whois = await a.expect('311');
      assert.equal(whois.params[3], '127.0.0.1');
      a.close();
    } finally {
      await srv.stop();
    }
  });
});
