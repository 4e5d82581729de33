/**
 * The HTTP / reverse-proxy options: --http-port, --ws-origins, --proxy-protocol,
 * --trusted-proxies from flags, environment and the YAML file, and their errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';

const load = (argv: string[] = [], env: Record<string, string> = {}) => loadConfig({ argv, env });

describe('HTTP and proxy options', () => {
  test('defaults: HTTP on 8080, no extra origins, no PROXY protocol, no trusted proxies', () => {
    const c = load();
    assert.equal(c.httpPort, 8080);
    assert.deepEqual(c.wsOrigins, []);
    assert.equal(c.proxyProtocol, false);
    assert.deepEqual(c.trustedProxies, []);
  });

  test('comma-separated lists from flags and env; YAML takes a list or a string', () => {
    const c = load([
      '--ws-origins',
      'https://chat.example.com, *.example.org',
      '--http-port',
      'off',
      '--proxy-protocol',
    ]);
    assert.deepEqual(c.wsOrigins, ['https://chat.example.com', '*.example.org']);
    assert.equal(c.httpPort, null);
    assert.equal(c.proxyProtocol, true);
    const e = load([], { TERTULIA_TRUSTED_PROXIES: '10.0.0.0/8,::1,192.168.1.1', TERTULIA_HTTP_PORT: '0' });
    assert.deepEqual(e.trustedProxies, ['10.0.0.0/8', '::1', '192.168.1.1']);
    assert.equal(e.httpPort, 0);
    const dir = mkdtempSync(join(tmpdir(), 'tertulia-httpcfg-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'trusted-proxies: [127.0.0.1, "fd00::/8"]\nws-origins: "*"\n');
    const y = load(['--config', file]);
    assert.deepEqual(y.trustedProxies, ['127.0.0.1', 'fd00::/8']);
    assert.deepEqual(y.wsOrigins, ['*']);
  });

  test('invalid values name the key', () => {
    assert.throws(() => load(['--trusted-proxies', '10.0.0.0/33']), /trusted-proxies/);
    assert.throws(() => load(['--trusted-proxies', 'proxy.example.com']), /trusted-proxies/);
    assert.throws(() => load(['--ws-origins', 'ftp://x']), /ws-origins/);
    assert.throws(() => load(['--http-port', '70000']), /http-port/);
  });
});
