/**
 * The web client's files over real HTTP (src/http/static.ts): the page with a strict CSP,
 * hashed assets cached for a year, revalidation, gzip, HEAD, MIME types, and requests
 * that try to leave web/dist. `npm run build` builds web/dist before the tests run.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { contentSecurityPolicy } from '../../src/http/server.js';
import { defaultWebRoot, IMMUTABLE, StaticFiles } from '../../src/http/static.js';
import { startServer, type TestServer } from '../helpers/server.js';

/** A GET with the path exactly as written (fetch would normalise `..` away). */
function rawGet(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the web client over HTTP', () => {
  let srv: TestServer;
  let port: number;
  let assets: string[];
  before(async () => {
    assert.ok(existsSync(join(defaultWebRoot(), 'index.html')), 'web/dist is built (npm run build)');
    srv = await startServer();
    port = srv.httpPort;
    const html = (await rawGet(port, '/')).body.toString('utf8');
    assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
  });
  after(async () => {
    await srv?.stop();
  });

  test('the page: CSP with no inline code, our own ws:/wss:, no framing; nosniff; no-referrer; revalidated', async () => {
    const res = await rawGet(port, '/', { Host: `chat.example.org:${port}` });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    const csp = String(res.headers['content-security-policy']);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' blob: data:",
      `connect-src 'self' ws://chat.example.org:${port} wss://chat.example.org:${port}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "object-src 'none'",
    ])
      assert.ok(csp.split('; ').includes(directive), `${directive} in ${csp}`);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.equal(res.headers['cache-control'], 'no-cache');
    const html = res.body.toString('utf8');
    assert.match(html, /<title>tertulia<\/title>/);
    // Every script is a file the CSP allows: none inline, no inline styles.
    for (const tag of html.match(/<script[^>]*>/g) ?? []) assert.match(tag, / src="\/assets\//);
    assert.doesNotMatch(html, /style=|<style/);
    assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')));

    const again = await rawGet(port, '/index.html', { 'If-None-Match': String(res.headers['etag']) });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
  });

  test('a Host header that is not a host name adds nothing to the CSP', () => {
    assert.match(contentSecurityPolicy('evil; script-src *'), /connect-src 'self';/);
    assert.match(
      contentSecurityPolicy('[::1]:8080'),
      /connect-src 'self' ws:\/\/\[::1\]:8080 wss:\/\/\[::1\]:8080/,
    );
  });

  test('hashed assets: immutable for a year, right MIME types, gzip when asked, HEAD without a body', async () => {
    for (const path of assets) {
      const res = await rawGet(port, path, { 'Accept-Encoding': 'gzip, br' });
      assert.equal(res.status, 200, path);
      assert.equal(res.headers['cache-control'], IMMUTABLE);
      assert.equal(
        res.headers['content-type'],
        path.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
      );
      assert.equal(res.headers['content-encoding'], 'gzip');
      assert.equal(res.headers['vary'], 'Accept-Encoding');
      const plain = await rawGet(port, path);
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.deepEqual(gunzipSync(res.body), plain.body);
      const head = await rawGet(port, path, {}, 'HEAD');
      assert.equal(head.status, 200);
      assert.equal(head.body.length, 0);
      assert.equal(head.headers['content-length'], String(plain.body.length));
    }
    const icon = await rawGet(port, '/favicon.svg');
    assert.equal(icon.headers['content-type'], 'image/svg+xml');
    assert.equal(icon.headers['cache-control'], 'no-cache');
  });

  test('paths outside web/dist, unknown files and other methods get 404 or 405', async () => {
    for (const path of [
      '/assets/../../package.json',
      '/../package.json',
      '/%2e%2e/package.json',
      '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      '/assets/..%5c..%5cpackage.json',
      '/assets/nope.js',
      '/src/main.tsx',
      '/index.html/',
      '//etc/passwd',
    ]) {
      const res = await rawGet(port, path);
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(res.body.toString(), /"name": "tertulia"/);
    }
    const post = await rawGet(port, assets[0]!, {}, 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.headers['allow'], 'GET, HEAD');
  });

  test('a folder without index.html counts as not built (the placeholder page is served); unknown file types never are', () => {
    const empty = mkdtempSync(join(tmpdir(), 'tertulia-web-'));
    assert.equal(new StaticFiles(empty).available, false);
    writeFileSync(join(empty, 'index.html'), '<!doctype html><title>x</title>');
    writeFileSync(join(empty, 'secret.key'), 'not served: unknown type');
    const files = new StaticFiles(empty);
    assert.equal(files.available, true);
    assert.equal(files.lookup('/secret.key'), undefined);
    assert.equal(files.lookup('/')?.cacheControl, 'no-cache');
  });
});
