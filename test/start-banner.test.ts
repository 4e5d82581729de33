/**
 * What `tertulia serve` prints for the person who started it: the URL to open, the nc line,
 * and whether it listens on every interface — after the machine-readable `listening` lines,
 * which stay as scripts parse them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startBanner } from '../src/cli/start-banner.js';
import { spawnServe } from './helpers/spawn-server.js';

test('a real `serve` prints the URL to open and the nc line, with the ports it listens on', async () => {
  const srv = await spawnServe(['--http-port=0', '--text-port=0'], /Listening on this machine only/);
  try {
    const out = srv.output();
    const http = /^listening http 127\.0\.0\.1:(\d+)$/m.exec(out)?.[1];
    const text = /^listening text 127\.0\.0\.1:(\d+)$/m.exec(out)?.[1];
    assert.ok(http !== undefined && text !== undefined, out);
    assert.match(out, new RegExp(`^Open http://localhost:${http}/ in a browser to chat\\.$`, 'm'));
    assert.match(out, new RegExp(`^From a terminal: nc localhost ${text}$`, 'm'));
    assert.match(out, new RegExp(`^IRC clients: localhost port ${srv.port}$`, 'm'));
  } finally {
    srv.child.kill('SIGTERM');
    await srv.exited;
  }
});

test('a wildcard bind says plainly that every interface listens; the public URL wins when set', () => {
  const lines = startBanner([
    { kind: 'irc', host: '0.0.0.0', port: 6667 },
    { kind: 'http', host: '::', port: 8080 },
    { kind: 'text', host: '0.0.0.0', port: 6668 },
  ]);
  assert.deepEqual(lines, [
    'Open http://localhost:8080/ in a browser to chat.',
    'From a terminal: nc localhost 6668',
    'IRC clients: localhost port 6667',
    'Listening on every network interface: other machines can connect too (--host 127.0.0.1 keeps it to this one).',
  ]);
  const behindProxy = startBanner(
    [{ kind: 'http', host: '0.0.0.0', port: 8080 }],
    'https://chat.example.com/',
  );
  assert.equal(behindProxy[0], 'Open https://chat.example.com/ in a browser to chat.');
});
