/**
 * The real `tertulia serve` process (node bin/tertulia.js) from the outside: a signal makes
 * it say goodbye to every client with an ERROR carrying the reason, close every socket and
 * exit 0 (seed 004: "Ctrl+C leaves cleanly"); the console shows who connects and leaves
 * (seed 002: "[SERVER] Client: <id> connected!") but never what people say unless the
 * operator asks for it with --log-messages (DESIGN.md: "Message contents are private").
 */
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TestClient } from '../helpers/client.js';
import { joinRoom, say } from './util.js';

// This file runs as dist/test/robustness/shutdown.test.js.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'bin', 'tertulia.js');

const dirs: string[] = [];
const children: ChildProcessWithoutNullStreams[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The runner's environment without TERTULIA_* variables that could change the server. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TERTULIA_')) env[k] = v;
  return env;
}

interface Serve {
  child: ChildProcessWithoutNullStreams;
  port: number;
  /** Console lines printed so far. */
  lines: string[];
  /** Resolves with the first console line (already printed or still to come) matching `re`. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function serve(...extra: string[]): Promise<Serve> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tertulia-shutdown-'));
  dirs.push(dataDir);
  const args = [
    bin,
    'serve',
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
    ...extra,
  ];
  const child = spawn(process.execPath, args, { cwd: root, env: cleanEnv(), stdio: 'pipe' });
  children.push(child);
  const lines: string[] = [];
  let partial = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    partial += d;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
    for (const l of [...listeners]) l();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  let done = false;
  void exited.then(() => {
    done = true;
    for (const l of [...listeners]) l();
  });

  const waitForLine = (re: RegExp, timeoutMs = 10_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = lines.find((l) => re.test(l));
        if (hit !== undefined) finish(() => resolve(hit));
        else if (done) finish(() => reject(new Error(`exited before ${re}\n${lines.join('\n')}\n${stderr}`)));
      };
      const timer = setTimeout(
        () =>
          finish(() => reject(new Error(`no ${re} within ${timeoutMs} ms:\n${lines.join('\n')}\n${stderr}`))),
        timeoutMs,
      );
      const finish = (fn: () => void): void => {
        clearTimeout(timer);
        listeners.delete(check);
        fn();
      };
      listeners.add(check);
      check();
    });

  const listening = await waitForLine(/^listening irc 127\.0\.0\.1:(\d+)$/, 15_000);
  const port = Number(/:(\d+)$/.exec(listening)![1]);
  return { child, port, lines, waitForLine, exited };
}

/** Resolves with the exit status, or rejects if the process is still running after `ms`. */
function exitWithin(s: Serve, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return Promise.race([
    s.exited,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`still running ${ms} ms after the signal`)), ms).unref(),
    ),
  ]);
}

describe('tertulia serve: stopping on a signal', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`${signal}: every client gets an ERROR with the reason, its socket closes, the process exits 0`, async () => {
      const s = await serve();
      const clients = [
        await TestClient.register(s.port, 'alice'),
        await TestClient.register(s.port, 'bob'),
        await TestClient.register(s.port, 'carol'),
      ];
      try {
        await joinRoom('#room', ...clients);
        await say(clients[0]!, '#room', 'before the end', clients[1]!, clients[2]!);

        s.child.kill(signal);
        for (const c of clients) {
          const error = await c.waitFor((m) => m.command === 'ERROR');
          assert.match(error.params[0]!, /shutting down/i, `${c.nick} is told why`);
          await c.waitClosed();
        }
        const { code, signal: killedBy } = await exitWithin(s, 8000);
        assert.equal(killedBy, null, 'the process exits by itself, not killed by the signal');
        assert.equal(code, 0);
        assert.ok(s.lines.some((l) => l.includes(`${signal} received`)));
      } finally {
        for (const c of clients) c.close();
      }
    });
  }

  test('a client that stopped reading, with megabytes queued for it, does not hold the shutdown hostage', async () => {
    // A send queue large enough that the stuck client is not dropped before the signal.
    const s = await serve('--sendq-bytes', '1073741824', '--flood-burst', '100000', '--flood-rate', '100000');
    const alice = await TestClient.register(s.port, 'alice');
    const stuck = await TestClient.register(s.port, 'stuck');
    try {
      await joinRoom('#room', alice, stuck);
      stuck.socket.pause();
      alice.socket.setNoDelay(true);
      const filler = 'z'.repeat(400);
      for (let batch = 0; batch < 100; batch++) {
        let out = '';
        for (let i = 0; i < 50; i++) out += `PRIVMSG #room :${batch}.${i} ${filler}\r\n`;
        alice.sendRaw(out); // 100 x 50 x ~450 bytes: ~2 MB waiting for stuck
        await alice.sync();
      }
      assert.ok(!alice.received.some((m) => m.command === 'QUIT'), 'stuck is still connected');

      s.child.kill('SIGTERM');
      const error = await alice.waitFor((m) => m.command === 'ERROR');
      assert.match(error.params[0]!, /shutting down/i);
      await alice.waitClosed();
      const { code, signal } = await exitWithin(s, 15_000);
      assert.equal(signal, null);
      assert.equal(code, 0);
    } finally {
      alice.close();
      stuck.close();
    }
  });
});

describe('tertulia serve: the console', () => {
  test('shows connects and quits with the reason, never message contents by default', async () => {
    const s = await serve();
    const alice = await TestClient.register(s.port, 'alice');
    const bob = await TestClient.register(s.port, 'bob');
    try {
      await s.waitForLine(/^\[SERVER\] Client: alice connected!$/);
      await s.waitForLine(/^\[SERVER\] Client: bob connected!$/);
      await joinRoom('#room', alice, bob);
      const secret = 'my PIN is 4921-secret';
      await say(alice, '#room', secret, bob);
      alice.send('PRIVMSG bob :private words, also secret');
      await bob.waitFor((m) => m.command === 'PRIVMSG' && m.params[0] === 'bob');

      alice.send('QUIT :see you tomorrow');
      await alice.waitClosed();
      await s.waitForLine(/^\[SERVER\] Client: alice disconnected \(Quit: see you tomorrow\)$/);
      // Logged after the messages were handled, so any message line would be there by now.
      const leaked = s.lines.filter((l) => l.includes('secret'));
      assert.deepEqual(leaked, [], 'message contents must not reach the console');

      bob.close();
      await s.waitForLine(/^\[SERVER\] Client: bob disconnected \(/);
    } finally {
      alice.close();
      bob.close();
      s.child.kill('SIGTERM');
      await s.exited;
    }
  });

  test('with --log-messages shows `<alice> #room: text`', async () => {
    const s = await serve('--log-messages');
    const alice = await TestClient.register(s.port, 'alice');
    const bob = await TestClient.register(s.port, 'bob');
    try {
      await joinRoom('#room', alice, bob);
      await say(alice, '#room', 'hola a todos', bob);
      await s.waitForLine(/^<alice> #room: hola a todos$/);
      alice.send('PRIVMSG bob :just for you');
      await s.waitForLine(/^<alice> bob: just for you$/);
    } finally {
      alice.close();
      bob.close();
      s.child.kill('SIGTERM');
      await s.exited;
    }
  });
});
