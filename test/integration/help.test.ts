/**
 * HELP and HELPOP over a real socket (modern.ircdocs.horse §HELP message, numerics 704, 705,
 * 706 and 524): every command the server knows has help text.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Received, TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

describe('HELP (modern.ircdocs.horse §HELP message)', () => {
  let srv: TestServer;
  let c: TestClient;
  before(async () => {
    srv = await startServer();
    c = await TestClient.register(srv.port, 'helper');
  });
  after(async () => {
    c.close();
    await srv.stop();
  });

  const ask = async (line: string): Promise<Received[]> => {
    c.send(line);
    return c.until((m) => m.command === '706' || m.command === '524');
  };

  test('§HELP: HELP alone answers the index (subject *) naming every command', async () => {
    const reply = await ask('HELP');
    assert.equal(reply[0]!.command, '704');
    for (const m of reply) assert.equal(m.params[1], '*');
    assert.deepEqual(reply.at(-1)!.command, '706');
    const listed = reply.flatMap((m) => m.params[2]!.split(' '));
    for (const name of srv.tertulia.server.commands.names())
      assert.ok(listed.includes(name), `${name} in the index`);
  });

  test('§HELP: every command in the table has real help text, 704 then 705 lines then 706', async () => {
    for (const name of srv.tertulia.server.commands.names()) {
      const reply = await ask(`HELP ${name.toLowerCase()}`);
      assert.equal(reply[0]!.command, '704', `HELP ${name}: ${reply[0]!.raw}`);
      assert.ok(
        reply.every((m) => m.params[1] === name),
        'each line carries the subject',
      );
      assert.ok(reply.slice(1, -1).every((m) => m.command === '705'));
      assert.ok(reply[0]!.params[2]!.toUpperCase().startsWith(name), `HELP ${name} starts with its syntax`);
    }
  });

  test('§ERR_HELPNOTFOUND: an unknown subject gets 524 with the subject; HELPOP is the same command', async () => {
    const unknown = await ask('HELP frobnicate');
    assert.deepEqual(
      unknown.map((m) => [m.command, m.params[1]]),
      [['524', 'frobnicate']],
    );
    const op = await ask('HELPOP privmsg');
    assert.equal(op[0]!.command, '704');
    assert.equal(op[0]!.params[1], 'PRIVMSG');
  });
});
