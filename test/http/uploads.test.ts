/**
 * File sharing over real HTTP on both storage back ends: POST /upload with the account's
 * credentials, GET /files/<id>, limits checked while streaming, aborted and concurrent
 * uploads, traversal attempts, ranges and the FILEHOST ISUPPORT tokens.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { accountsOf } from '../../src/core/accounts/index.js';
import { TestClient } from '../helpers/client.js';
import { backends } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';

const MAX = 64 * 1024;
const QUOTA = 160 * 1024;

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** One request over a fresh connection; resolves with the response (request errors after it are ignored). */
function request(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function upload(port: number, auth: string, data: Buffer, name: string, type: string): Promise<Reply> {
  return request(
    port,
    'POST',
    '/upload',
    {
      Authorization: auth,
      'Content-Type': type,
      'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}`,
      'Content-Length': String(data.length),
    },
    data,
  );
}

/** Every file under a directory (relative paths). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p).map((f) => join(name, f)));
    else out.push(name);
  }
  return out.sort();
}

const pathOf = (location: string): string => new URL(location).pathname;

for (const backend of backends()) {
  describe(`uploads (${backend.name})`, () => {
    let srv: TestServer;
    let port: number;
    let uploadsDir: string;
    const alice = basic('alice', 'alice-password');
    const bob = basic('Bob', 'bob-password');

    before(async () => {
      srv = await startServer({
        database: await backend.fresh(),
        uploadMaxBytes: MAX,
        uploadQuotaBytes: QUOTA,
      });
      port = srv.httpPort;
      uploadsDir = join(srv.config.dataDir, 'uploads');
      const accounts = accountsOf(srv.tertulia.server)!;
      accounts.guard.setDelays(1, 1);
      await accounts.createAccount('alice', null, 'alice-password');
      await accounts.createAccount('Bob', null, 'bob-password');
    });
    after(async () => {
      await srv.stop();
      await backend.cleanup();
    });

    test('ISUPPORT advertises the upload URL as soju.im/FILEHOST and draft/FILEHOST', async () => {
      const c = await TestClient.register(srv.port, 'isup');
      try {
        const tokens = c.received.filter((m) => m.command === '005').flatMap((m) => m.params.slice(1, -1));
        const url = `http://127.0.0.1:${port}/upload`;
        assert.ok(tokens.includes(`soju.im/FILEHOST=${url}`), tokens.join(' '));
        assert.ok(tokens.includes(`draft/FILEHOST=${url}`), tokens.join(' '));
      } finally {
        c.close();
      }
    });

    test('round trip: 201 with Location, then the same bytes with safe headers', async () => {
      const data = Buffer.from('\x89PNG\r\n\x1a\n not really a png but bytes all the same');
      const name = 'café "photo"; ../x.png';
      const up = await upload(port, alice, data, name, 'image/png');
      assert.equal(up.status, 201, up.body.toString());
      const location = up.headers.location!;
      assert.match(location, /^http:\/\/127\.0\.0\.1:\d+\/files\/[A-Za-z0-9_-]{24}\//);
      const json = JSON.parse(up.body.toString()) as {
        id: string;
        url: string;
        size: number;
        sha256: string;
      };
      assert.equal(json.url, location);
      assert.equal(json.size, data.length);
      const sha = createHash('sha256').update(data).digest('hex');
      assert.equal(json.sha256, sha);
      assert.deepEqual(filesUnder(uploadsDir), [join(sha.slice(0, 2), sha)]);

      for (const path of [pathOf(location), `/files/${json.id}`]) {
        const down = await request(port, 'GET', path);
        assert.equal(down.status, 200);
        assert.deepEqual(down.body, data);
        assert.equal(down.headers['content-type'], 'image/png');
        assert.equal(down.headers['x-content-type-options'], 'nosniff');
        assert.equal(down.headers['content-security-policy'], "default-src 'none'; sandbox");
        assert.equal(down.headers['accept-ranges'], 'bytes');
        assert.equal(down.headers.etag, `"${sha}"`);
        const cd = down.headers['content-disposition']!;
        assert.match(cd, /^inline; filename="[\x20-\x7e]*"; filename\*=UTF-8''/);
        assert.ok(!/filename="[^"]*\/[^"]*"/.test(cd), 'no directory in the name');
        const star = /filename\*=UTF-8''(.*)$/.exec(cd)![1]!;
        assert.equal(decodeURIComponent(star), 'x.png');
      }
      const again = await request(port, 'GET', `/files/${json.id}`, { 'If-None-Match': `"${sha}"` });
      assert.equal(again.status, 304);
    });

    test('HTML is never served as HTML; names keep their Unicode', async () => {
      const data = Buffer.from('<script>alert(1)</script>');
      const up = await upload(port, alice, data, 'página.html', 'text/html');
      assert.equal(up.status, 201);
      const down = await request(port, 'GET', pathOf(up.headers.location!));
      assert.equal(down.status, 200);
      assert.equal(down.headers['content-type'], 'application/octet-stream');
      assert.equal(
        down.headers['content-disposition'],
        `attachment; filename="p_gina.html"; filename*=UTF-8''p%C3%A1gina.html`,
      );
    });

    test('wrong or missing credentials: 401 with a Basic challenge, nothing stored', async () => {
      const before = filesUnder(uploadsDir);
      for (const auth of [basic('alice', 'wrong'), basic('nobody', 'x'), 'Bearer abc', '']) {
        const headers: Record<string, string> = { 'Content-Type': 'text/plain' };
        if (auth !== '') headers['Authorization'] = auth;
        const r = await request(port, 'POST', '/upload', headers, Buffer.from('hello'));
        assert.equal(r.status, 401);
        assert.equal(r.headers['www-authenticate'], 'Basic realm="tertulia", charset="UTF-8"');
      }
      assert.deepEqual(filesUnder(uploadsDir), before);
    });

    test('an oversized body gets 413 and nothing is kept (declared or streamed)', async () => {
      const before = filesUnder(uploadsDir);
      const big = Buffer.alloc(MAX + 1, 7);
      const declared = await upload(port, alice, big, 'big.bin', 'application/octet-stream');
      assert.equal(declared.status, 413);
      // The limit as people read it, and what to do (not a raw byte count).
      assert.match(
        declared.body.toString(),
        /too large: the limit is \d+(\.\d)? [KMG]B per file\. Send a smaller file/,
      );
      // Chunked: the limit is found while streaming.
      const streamed = await new Promise<Reply>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/upload',
            agent: false,
            headers: { Authorization: alice, 'Transfer-Encoding': 'chunked' },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
            );
            res.on('error', reject);
          },
        );
        req.on('error', () => {});
        for (let i = 0; i < 20; i++) req.write(Buffer.alloc(8 * 1024, i));
        req.end();
      });
      assert.equal(streamed.status, 413);
      assert.match(streamed.body.toString(), /too large/);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(filesUnder(uploadsDir), before);
    });

    test('an aborted upload leaves nothing behind', async () => {
      const before = filesUnder(uploadsDir);
      const sock = net.connect(port, '127.0.0.1');
      await new Promise<void>((r) => sock.once('connect', () => r()));
      sock.write(
        `POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: ${alice}\r\nContent-Length: 50000\r\n\r\n`,
      );
      sock.write(Buffer.alloc(20_000, 1));
      // Wait until the server has a temporary file, then hang up mid-body.
      const tmp = join(uploadsDir, 'tmp');
      for (let i = 0; i < 300 && filesUnder(tmp).length === 0; i++)
        await new Promise((r) => setTimeout(r, 10));
      assert.equal(filesUnder(tmp).length, 1, 'the upload was under way');
      sock.destroy();
      for (let i = 0; i < 100 && filesUnder(uploadsDir).length !== before.length; i++)
        await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(filesUnder(uploadsDir), before);
    });

    test('concurrent uploads of the same file both succeed and it is stored once', async () => {
      const data = Buffer.alloc(40 * 1024, 'same content ');
      const sha = createHash('sha256').update(data).digest('hex');
      const [a, b] = await Promise.all([
        upload(port, bob, data, 'a.bin', 'application/octet-stream'),
        upload(port, bob, data, 'b.bin', 'application/octet-stream'),
      ]);
      assert.equal(a.status, 201);
      assert.equal(b.status, 201);
      assert.notEqual(a.headers.location, b.headers.location);
      assert.equal(filesUnder(uploadsDir).filter((f) => f.endsWith(sha)).length, 1);
      assert.deepEqual(filesUnder(join(uploadsDir, 'tmp')), []);
      for (const r of [a, b]) {
        const down = await request(port, 'GET', pathOf(r.headers.location!));
        assert.deepEqual(down.body, data);
        assert.match(down.headers['content-disposition']!, /^attachment; /);
      }
    });

    test('over the account quota: 413 with a clear message, nothing kept', async () => {
      // Bob has 80 KiB of 160 KiB; 60 KiB fits, the next 60 KiB does not.
      const first = await upload(
        port,
        bob,
        Buffer.alloc(60 * 1024, 1),
        'one.bin',
        'application/octet-stream',
      );
      assert.equal(first.status, 201);
      const before = filesUnder(uploadsDir);
      const second = await upload(
        port,
        bob,
        Buffer.alloc(60 * 1024, 2),
        'two.bin',
        'application/octet-stream',
      );
      assert.equal(second.status, 413);
      assert.match(second.body.toString(), /quota/i);
      assert.deepEqual(filesUnder(uploadsDir), before);
    });

    test('range requests: 206 for a range, 416 for one past the end', async () => {
      const data = Buffer.from('0123456789abcdefghij');
      const up = await upload(port, alice, data, 'r.txt', 'text/plain');
      const path = pathOf(up.headers.location!);
      const part = await request(port, 'GET', path, { Range: 'bytes=5-9' });
      assert.equal(part.status, 206);
      assert.equal(part.body.toString(), '56789');
      assert.equal(part.headers['content-range'], `bytes 5-9/${data.length}`);
      assert.equal(part.headers['content-type'], 'text/plain; charset=utf-8');
      const suffix = await request(port, 'GET', path, { Range: 'bytes=-3' });
      assert.equal(suffix.body.toString(), 'hij');
      const open = await request(port, 'GET', path, { Range: 'bytes=18-' });
      assert.equal(open.body.toString(), 'ij');
      const bad = await request(port, 'GET', path, { Range: 'bytes=100-200' });
      assert.equal(bad.status, 416);
      assert.equal(bad.headers['content-range'], `bytes */${data.length}`);
    });

    test('traversal attempts and unknown ids get 404', async () => {
      const raw = async (target: string): Promise<string> => {
        const sock = net.connect(port, '127.0.0.1');
        let text = '';
        sock.setEncoding('utf8');
        sock.on('data', (d: string) => {
          text += d;
        });
        sock.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        await new Promise((r) => sock.on('close', r));
        return text.split('\r\n', 1)[0]!;
      };
      for (const target of [
        '/files/../../etc/passwd',
        '/files/%2e%2e/%2e%2e/etc/passwd',
        '/files/..%2f..%2fetc%2fpasswd',
        '/files/%2e%2e%2f%2e%2e%2fdatabase.sqlite',
        '/files/AAAAAAAAAAAAAAAAAAAAAAAA',
        '/files/AAAAAAAAAAAAAAAAAAAAAAAA/../../../etc/passwd',
        '/files/',
      ]) {
        assert.equal(await raw(target), 'HTTP/1.1 404 Not Found', target);
      }
      assert.equal((await request(port, 'GET', '/files/nope')).status, 404);
      assert.equal((await request(port, 'DELETE', '/files/nope')).status, 405);
      assert.equal((await request(port, 'GET', '/upload')).status, 405);
    });
  });
}
