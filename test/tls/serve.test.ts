/**
 * TLS options through the configuration sources, and `tertulia serve` with TLS as a real
 * child process: the listening line, the fingerprint line, `--irc-port off`, SIGHUP.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { connectTls, makeCert } from './helpers.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'bin', 'tertulia.js');
const dir = mkdtempSync(join(tmpdir(), 'tertulia-tls-serve-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const load = (argv: string[], env: Record<string, string> = {}) => loadConfig({ argv, env });

function loadError(argv: string[], env: Record<string, string> = {}): ConfigError {
  try {
    load(argv, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('TLS configuration', () => {
  test('flags, environment and file: tls-port, tls-cert/tls-key, sts-duration', async () => {
    const pair = await makeCert('cfg.example.test');
    const cert = join(dir, 'c.pem');
    const key = join(dir, 'k.pem');
    writeFileSync(cert, pair.cert);
    writeFileSync(key, pair.key);
    assert.equal(load(['--tls-port', 'off']).tlsPort, null);
    assert.equal(load([], { TERTULIA_TLS_PORT: '7000' }).tlsPort, 7000);
    assert.equal(load(['--tls-port=0']).tlsPort, 0);
    assert.equal(load([], { TERTULIA_STS_DURATION: '86400' }).stsDuration, 86400);
    const yaml = join(dir, 'tls.yaml');
    writeFileSync(yaml, 'tls-cert: c.pem\ntls-key: k.pem\nsts-duration: 60\n');
    const c = load(['--config', yaml]);
    assert.equal(c.tlsCert, cert);
    assert.equal(c.tlsKey, key);
    assert.equal(c.stsDuration, 60);
  });

  test('errors name the key: one of cert/key alone, a missing file, a bad duration', () => {
    const pem = join(dir, 'only.pem');
    writeFileSync(pem, 'x');
    let err = loadError(['--tls-cert', pem]);
    assert.equal(err.key, 'tls-key');
    assert.match(err.message, /tls-key: required when tls-cert is set \(from --tls-cert\)/);
    err = loadError([], { TERTULIA_TLS_KEY: pem });
    assert.equal(err.key, 'tls-cert');
    err = loadError(['--tls-cert', join(dir, 'missing.pem'), '--tls-key', pem]);
    assert.match(
      err.message,
      /^invalid value for tls-cert \(from --tls-cert\): file ".*missing\.pem" does not exist$/,
    );
    err = loadError(['--sts-duration', '-1']);
    assert.equal(err.key, 'sts-duration');
  });
});

describe('tertulia serve with TLS', () => {
  test('--irc-port off --tls-port 0: one "listening tls" line, the fingerprint, SIGHUP keeps running', async () => {
    const child = spawn(
      process.execPath,
      [
        bin,
        'serve',
        '--host',
        '127.0.0.1',
        '--irc-port',
        'off',
        '--tls-port',
        '0',
        '--data-dir',
        join(dir, 'd'),
      ],
      {
        cwd: root,
        stdio: 'pipe',
        env: { ...process.env, NO_COLOR: '1', TERTULIA_HTTP_PORT: 'off', TERTULIA_TEXT_PORT: 'off' },
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const waitFor = (re: RegExp): Promise<RegExpMatchArray> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${re} in:\n${out}`)), 15_000);
        const check = () => {
          const m = out.match(re);
          if (m) {
            clearTimeout(timer);
            child.stdout.off('data', check);
            resolve(m);
          }
        };
        child.stdout.on('data', check);
        check();
      });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    try {
      const ready = await waitFor(/ready:/);
      assert.ok(ready);
      const port = Number((out.match(/listening tls 127\.0\.0\.1:(\d+)/) ?? [])[1]);
      assert.ok(port > 0, out);
      assert.doesNotMatch(out, /listening irc/);
      const fp = (out.match(/TLS certificate SHA-256 fingerprint: ([0-9A-F:]{95})/) ?? [])[1];
      assert.ok(fp, out);
      const s = await connectTls(port, { pin: fp });
      s.destroy();
      child.kill('SIGHUP');
      await waitFor(/TLS certificate reloaded/);
      const again = await connectTls(port, { pin: fp });
      again.destroy();
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('close', resolve));
    }
  });
});
