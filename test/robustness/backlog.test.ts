/**
 * Input waiting behind a slow command (OPER's password check) is bounded in bytes, not
 * only in lines: a client cannot park megabytes of large lines in the server's memory.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashPassword } from '../../src/crypto/password.js';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

describe('input backlog bound', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startServer({ opers: [{ name: 'root', passwordHash: await hashPassword('pw') }] });
  });
  after(async () => {
    await srv.stop();
  });

  test('a short paste behind a slow command waits and runs, in order', async () => {
    const c = await TestClient.register(srv.port, 'paster');
    const lines = ['OPER root nope', ...Array.from({ length: 30 }, (_, i) => `PING p${i}`)];
    c.sendRaw(lines.map((l) => `${l}\r\n`).join(''));
    await c.expect('464');
    for (let i = 0; i < 30; i++) assert.equal((await c.expect('PONG')).params.at(-1), `p${i}`);
    c.close();
  });

  test('large lines queued behind a slow command past the byte bound: Excess Flood, others unaffected', async () => {
    const bystander = await TestClient.register(srv.port, 'bystander');
    const c = await TestClient.register(srv.port, 'hoarder');
    const big = `PRIVMSG bystander :${'x'.repeat(8000)}\r\n`;
    c.sendRaw(`OPER root nope\r\n${big.repeat(40)}`); // ~320 KB waiting behind the check
    const err = await c.expect('ERROR');
    assert.match(err.params[0]!, /Excess Flood/);
    await c.waitClosed();
    await bystander.sync(); // the server still answers everyone else
    bystander.close();
  });
});
