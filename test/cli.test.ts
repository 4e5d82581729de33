/**
 * The `tertulia` command, run as a real child process (node bin/tertulia.js) from the project
 * root. The `serve` tests start the real server on an ephemeral port.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { OPTIONS } from '../src/config/schema.js';
import { verifyPassword } from '../src/crypto/password.js';

// This file runs as dist/test/cli.test.js.
const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin', 'tertulia.js');

const dir = mkdtempSync(join(tmpdir(), 'tertulia-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The test runner's environment without any TERTULIA_* variable that could leak in. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('TERTULIA_') && k !== 'NO_COLOR') env[k] = v;
  return { ...env, ...extra };
}

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: cleanEnv(opts.env) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Starts `tertulia serve ...`, waits for a stdout line matching `ready`, returns the handle. */
function startServe(args: string[], ready: RegExp) {
  const child = spawn(process.execPath, [bin, 'serve', ...args], {
    cwd: root,
    env: cleanEnv(),
    stdio: 'pipe',
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const matched = new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no ${ready} within 15 s\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, 15_000);
    child.stdout.on('data', (d: string) => {
      stdout += d;
      const m = stdout.match(ready);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before ready\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    });
  });
  return { child, matched, exited, output: () => ({ stdout, stderr }) };
}

describe('tertulia', () => {
  test('with no command prints usage and exits 2', async () => {
    const r = await run([]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Usage:/);
    assert.match(r.stderr, /tertulia serve/);
    assert.match(r.stderr, /tertulia hash-password/);
  });

  test('--help and --version', async () => {
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /tertulia serve \[options\]/);
    const version = await run(['--version']);
    assert.equal(version.code, 0);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    assert.equal(version.stdout.trim(), `tertulia ${pkg.version}`);
  });

  test('an unknown command exits 2', async () => {
    const r = await run(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command "frobnicate"/);
  });
});

describe('tertulia serve: options', () => {
  test('--help lists every option with its env variable, default and help', async () => {
    const r = await run(['serve', '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /--config <file>\s+TERTULIA_CONFIG/);
    for (const o of OPTIONS) {
      if (o.flag === null) {
        assert.match(r.stdout, new RegExp(`^  ${o.key}\\b`, 'm'), o.key);
        continue;
      }
      const line = r.stdout.split('\n').find((l) => l.startsWith(`  ${o.flag} `));
      assert.ok(line, `no line for ${o.flag}`);
      assert.ok(line.includes(o.env!), `${o.flag} line lacks ${o.env}`);
      assert.match(line, /default: \S+/);
      assert.ok(r.stdout.includes(o.help), `help text of ${o.key}`);
    }
    assert.deepEqual(await run(['help', 'serve']).then((h) => h.stdout), r.stdout);
  });

  test('a bad value exits 2 and names the key', async () => {
    const flag = await run(['serve', '--irc-port', 'nope', '--data-dir', join(dir, 'unused')]);
    assert.equal(flag.code, 2);
    assert.equal(
      flag.stderr,
      'tertulia: invalid value for irc-port (from --irc-port): expected a port 0-65535 or "off", got "nope"\n',
    );
    assert.equal(flag.stdout, '');

    const env = await run(['serve'], { env: { TERTULIA_NICK_LEN: '0' } });
    assert.equal(env.code, 2);
    assert.match(env.stderr, /^tertulia: invalid value for nick-len \(from TERTULIA_NICK_LEN\)/);

    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'irc-port: 6667\nnick_len: 9\n');
    const yaml = await run(['serve', '--config', file]);
    assert.equal(yaml.code, 2);
    assert.match(yaml.stderr, /^tertulia: unknown key "nick_len" in config file .*bad\.yaml/);

    const unknown = await run(['serve', '--port', '1']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^tertulia: unknown option --port/);
    assert.equal(existsSync(join(dir, 'unused')), false, 'nothing is created before the config is valid');
  });
});

describe('tertulia hash-password', () => {
  test('prints a hash that verifies', async () => {
    const r = await run(['hash-password'], { input: 'correct horse\n' });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines.length, 2);
    assert.equal(lines[1], '');
    const hash = lines[0]!;
    assert.equal(await verifyPassword(hash, 'correct horse'), true);
    assert.equal(await verifyPassword(hash, 'correct horse\n'), false);
    assert.equal(await verifyPassword(hash, 'wrong'), false);
  });

  test('the hash works in an opers block', async () => {
    const r = await run(['hash-password'], { input: 'pw' });
    assert.equal(r.code, 0, r.stderr);
    const file = join(dir, 'opers.yaml');
    writeFileSync(file, `opers:\n  - name: alice\n    password-hash: "${r.stdout.trim()}"\n`);
    // --irc-port nope makes serve stop right after validating the file.
    const serve = await run(['serve', '--config', file, '--irc-port', 'nope']);
    assert.doesNotMatch(serve.stderr, /opers/);
    assert.match(serve.stderr, /irc-port/);
  });

  test('refuses an empty or multi-line password', async () => {
    const empty = await run(['hash-password'], { input: '\n' });
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /empty/);
    assert.equal(empty.stdout, '');
    const multi = await run(['hash-password'], { input: 'a\nb\n' });
    assert.equal(multi.code, 1);
    assert.match(multi.stderr, /single line/);
  });
});

describe('tertulia serve: running', () => {
  test('listens on an ephemeral port, prints the listening line, exits 0 on SIGTERM', async () => {
    const dataDir = join(dir, 'data-term');
    const s = startServe(
      [
        '--host',
        '127.0.0.1',
        '--irc-port',
        '0',
        '--tls-port',
        'off',
        '--text-port',
        'off',
        '--http-port',
        'off',
        '--data-dir',
        dataDir,
      ],
      /^listening irc 127\.0\.0\.1:(\d+)$/m,
    );
    const m = await s.matched;
    const port = Number(m[1]);
    assert.ok(port > 0);
    assert.ok(existsSync(dataDir), 'data-dir created');

    await new Promise<void>((resolve, reject) => {
      const sock = createConnection({ host: '127.0.0.1', port }, () => {
        sock.destroy();
        resolve();
      });
      sock.on('error', reject);
    });

    s.child.kill('SIGTERM');
    const { code, signal } = await s.exited;
    assert.equal(signal, null, s.output().stderr);
    assert.equal(code, 0, s.output().stderr);
  });

  test('json log format: the listening record, and SIGINT exits 0', async () => {
    const s = startServe(
      [
        '--host',
        '127.0.0.1',
        '--irc-port',
        '0',
        '--tls-port',
        'off',
        '--text-port',
        'off',
        '--http-port',
        'off',
        '--data-dir',
        join(dir, 'data-json'),
        '--log-format',
        'json',
      ],
      /^\{.*"event":"listening".*\}$/m,
    );
    const m = await s.matched;
    const record = JSON.parse(m[0]) as Record<string, unknown>;
    assert.equal(record.transport, 'irc');
    assert.equal(record.host, '127.0.0.1');
    assert.equal(typeof record.port, 'number');
    assert.equal(record.msg, `listening irc 127.0.0.1:${record.port}`);
    s.child.kill('SIGINT');
    const { code } = await s.exited;
    assert.equal(code, 0, s.output().stderr);
  });

  test('a port in use exits 1 with a clear message', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const address = blocker.address();
      assert.ok(address !== null && typeof address === 'object');
      const r = await run([
        'serve',
        '--host',
        '127.0.0.1',
        '--irc-port',
        String(address.port),
        '--data-dir',
        join(dir, 'data-busy'),
      ]);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        new RegExp(
          `^tertulia: cannot listen on 127\\.0\\.0\\.1:${address.port}: the address is already in use`,
        ),
      );
    } finally {
      blocker.close();
    }
  });
});
