/**
 * Catching up (src/core/catch-up.ts, docs/PEOPLE.md) over real sockets: an always-on account
 * disconnects, others talk in its room and DM it; a device without draft/chathistory that
 * comes back gets what it missed in each room and DM, in order, each line with its original
 * time (IRCv3 server-time §"time" tag, https://ircv3.net/specs/extensions/server-time) or,
 * without server-time, a visible [HH:MM]; at most catch-up-lines per conversation, with a line
 * saying how many more and how to read them (CHATHISTORY BEFORE,
 * https://ircv3.net/specs/extensions/chathistory); the read marker moves, so nothing is
 * repeated on the next reconnect, across a restart too.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Config } from '../../src/config/config.js';
import { type Received, TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { connectWithSasl } from './helpers.js';

describe('catching up a device without chathistory', () => {
  const servers: TestServer[] = [];
  const clients: TestClient[] = [];
  after(async () => {
    for (const c of clients) c.close();
    for (const s of servers) await s.stop().catch(() => {});
  });
  const start = async (o: Partial<Config> = {}): Promise<TestServer> => {
    const srv = await startServer({ alwaysOn: true, ...o });
    servers.push(srv);
    return srv;
  };
  const track = (c: TestClient): TestClient => {
    clients.push(c);
    return c;
  };
  /** Logs in with SASL; the lines after the MOTD up to a PONG: rooms and catch-up. */
  const comeBack = async (
    srv: TestServer,
    account: string,
    caps: string[],
  ): Promise<{ client: TestClient; lines: Received[] }> => {
    const { client, result } = await connectWithSasl(
      srv.port,
      account,
      'PLAIN',
      account,
      `secret-${account}`,
      caps,
    );
    track(client);
    assert.equal(result.outcome.command, '903', `SASL for ${account}`);
    client.send('PING caught-up');
    await client.waitFor((m) => m.command === 'PONG' && m.params.at(-1) === 'caught-up');
    // From the end of the MOTD (the lines after it may have come in the same read).
    const motdEnd = client.received.findIndex((m) => m.command === '376' || m.command === '422');
    return { client, lines: client.received.slice(motdEnd + 1) };
  };
  const leave = async (c: TestClient): Promise<void> => {
    c.send('QUIT :later');
    await c.waitClosed();
  };
  const messages = (lines: Received[]): Received[] =>
    lines.filter(
      (m) =>
        (m.command === 'PRIVMSG' || m.command === 'NOTICE') && !/^(ChanServ|NickServ)!/.test(m.source ?? ''),
    );
  const say = async (c: TestClient, target: string, texts: string[]): Promise<void> => {
    for (const t of texts) c.send(`PRIVMSG ${target} :${t}`);
    await c.sync();
  };

  test('with server-time: the room and the DM, in order, with their original times; a second reconnect repeats nothing, only what came since', async () => {
    const srv = await start();
    await TestClient.registerAccount(srv.port, 'lucia');
    const first = await comeBack(srv, 'lucia', []);
    first.client.send('JOIN #sala');
    await first.client.expect('366');
    await leave(first.client);

    const pablo = track(await TestClient.register(srv.port, 'pablo'));
    pablo.send('JOIN #sala');
    await pablo.expect('366');
    const before = Date.now();
    await say(pablo, '#sala', ['uno', 'dos', 'tres']);
    await say(pablo, 'lucia', ['¿vienes?', 'te espero']);
    const said = Date.now();

    const back = await comeBack(srv, 'lucia', ['server-time', 'batch']);
    const got = messages(back.lines);
    assert.deepEqual(
      got.map((m) => `${m.params[0]} ${m.params[1]}`),
      ['#sala uno', '#sala dos', '#sala tres', 'lucia ¿vienes?', 'lucia te espero'],
      'the room, then the DM, each in order, text as said',
    );
    for (const m of got) {
      assert.match(m.source!, /^pablo!/);
      const time = Date.parse(m.tags['time'] ?? '');
      assert.ok(time >= before - 1000 && time <= said, `original time, not now: ${m.raw}`);
    }
    assert.ok(
      back.lines.findIndex((m) => m.command === 'JOIN') <
        back.lines.findIndex((m) => m.command === 'PRIVMSG'),
      'the room first, then what was missed there',
    );
    await leave(back.client);

    const again = await comeBack(srv, 'lucia', ['server-time', 'batch']);
    assert.deepEqual(messages(again.lines), [], 'nothing shown twice');
    await leave(again.client);

    await say(pablo, '#sala', ['cuatro']);
    const third = await comeBack(srv, 'lucia', ['server-time', 'batch']);
    assert.deepEqual(
      messages(third.lines).map((m) => m.params[1]),
      ['cuatro'],
    );
  });

  test('without server-time: each line shows its time as [HH:MM], between lines that say it is history', async () => {
    const srv = await start();
    await TestClient.registerAccount(srv.port, 'marta');
    const first = await comeBack(srv, 'marta', []);
    first.client.send('JOIN #patio');
    await first.client.expect('366');
    await leave(first.client);
    const pablo = track(await TestClient.register(srv.port, 'pablo'));
    pablo.send('JOIN #patio');
    await pablo.expect('366');
    await say(pablo, '#patio', ['hola', 'adiós']);
    await say(pablo, 'marta', ['en privado']);

    const back = await comeBack(srv, 'marta', []);
    const texts = messages(back.lines).map((m) => `${m.command} ${m.params[0]} ${m.params[1]}`);
    assert.equal(texts.length, 7, texts.join('\n'));
    assert.match(texts[0]!, /^NOTICE #patio --- History of #patio: 2 messages you have not seen \(since /);
    assert.match(texts[1]!, /^PRIVMSG #patio \[\d\d:\d\d\] hola$/);
    assert.match(texts[2]!, /^PRIVMSG #patio \[\d\d:\d\d\] adiós$/);
    assert.equal(texts[3], 'NOTICE #patio --- End of history ---');
    assert.match(texts[4]!, /^NOTICE marta --- History of pablo: 1 message you have not seen/);
    assert.match(texts[5]!, /^PRIVMSG marta \[\d\d:\d\d\] en privado$/);
    assert.equal(texts[6], 'NOTICE marta --- End of history ---');
  });

  test('150 missed: the newest 100 and a line saying 50 more and how to read them; after a restart nothing is repeated', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tertulia-catch-up-'));
    let srv = await start({ dataDir });
    await TestClient.registerAccount(srv.port, 'nora');
    const first = await comeBack(srv, 'nora', []);
    first.client.send('JOIN #plaza');
    await first.client.expect('366');
    await leave(first.client);
    const pablo = track(await TestClient.register(srv.port, 'pablo'));
    pablo.send('JOIN #plaza');
    await pablo.expect('366');
    const lines = Array.from({ length: 150 }, (_, i) => `línea ${i + 1}`);
    await say(pablo, '#plaza', lines);

    const back = await comeBack(srv, 'nora', ['server-time', 'batch']);
    const got = messages(back.lines);
    const more = got.filter((m) => m.command === 'NOTICE');
    assert.equal(more.length, 1, got.map((m) => m.raw).join('\n'));
    assert.match(
      more[0]!.params[1]!,
      /^--- 50 earlier messages in #plaza you have not seen are not shown; read them with \/quote CHATHISTORY BEFORE #plaza msgid=\S+ 100 ---$/,
    );
    assert.deepEqual(
      got.filter((m) => m.command === 'PRIVMSG').map((m) => m.params[1]),
      lines.slice(50),
      'the newest 100, in order',
    );
    // The way the line names works: the 50 before the first one shown.
    const msgid = /msgid=(\S+)/.exec(more[0]!.params[1]!)![1]!;
    back.client.mark();
    back.client.send(`CHATHISTORY BEFORE #plaza msgid=${msgid} 100`);
    const page = await back.client.until((m) => m.command === 'BATCH' && m.params[0]!.startsWith('-'));
    assert.deepEqual(
      page.filter((m) => m.command === 'PRIVMSG').map((m) => m.params[1]),
      lines.slice(0, 50),
    );
    await leave(back.client);
    pablo.close();

    await srv.stop();
    srv = await start({ dataDir });
    const again = await comeBack(srv, 'nora', []);
    assert.ok(
      again.lines.some((m) => m.command === 'JOIN' && m.params[0] === '#plaza'),
      'restored in its room',
    );
    assert.deepEqual(messages(again.lines), [], 'the read marker held across the restart');
  });

  test('after a restart a returning device starts where its last connection closed: what it saw live is not shown again', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tertulia-catch-up-'));
    let srv = await start({ dataDir });
    await TestClient.registerAccount(srv.port, 'olga');
    const pablo = track(await TestClient.register(srv.port, 'pablo'));
    pablo.send('JOIN #bar');
    await pablo.expect('366');
    const first = await comeBack(srv, 'olga', []);
    first.client.send('JOIN #bar');
    await first.client.expect('366');
    await say(pablo, '#bar', ['visto en directo']);
    await first.client.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === 'visto en directo');
    await leave(first.client);
    await say(pablo, '#bar', ['dicho sin ella']);
    pablo.close();

    await srv.stop();
    srv = await start({ dataDir });
    const back = await comeBack(srv, 'olga', ['server-time', 'batch']);
    assert.deepEqual(
      messages(back.lines).map((m) => m.params[1]),
      ['dicho sin ella'],
      'only what came after she left, though she never marked anything read',
    );
  });
});
