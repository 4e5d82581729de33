/**
 * A client flooded off while its messages wait for their commit (issue 14 item 3). Two things
 * a user (or an operator) notices: `/metrics` keeps answering, with counters that never go
 * down; and a message others were shown was echoed to its sender (echo-message) before the
 * sender's connection closed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Received, TestClient } from '../helpers/client.js';
import { METRICS_AUTH, startServer, type TestServer } from '../helpers/server.js';
import { joinRoom, senderOf } from './util.js';

function lines(n: number, make: (i: number) => string): string {
  let out = '';
  for (let i = 0; i < n; i++) out += make(i) + '\r\n';
  return out;
}

function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  assert.ok(line !== undefined, `no ${name} in /metrics`);
  return Number(line.slice(name.length + 1));
}

const texts = (list: Received[], from: string, target: string): string[] =>
  list
    .filter((m) => m.command === 'PRIVMSG' && senderOf(m) === from && m.params[0] === target)
    .map((m) => m.params[1]!);

describe('flooded off with messages still being stored', () => {
  let server: TestServer;
  const clients: TestClient[] = [];
  before(async () => {
    // 30 lines at once, then 5 may wait; the 36th cuts the client off ("Excess Flood").
    server = await startServer({ floodBurst: 30, floodRate: 1, floodQueue: 5 });
  });
  after(async () => {
    for (const c of clients) c.close();
    await server.stop();
  });

  /** A message of `c` to itself has been stored and delivered: every earlier one was too (one writer, in order). */
  async function barrier(c: TestClient): Promise<void> {
    const token = `barrier-${Math.random().toString(36).slice(2)}`;
    c.send(`PRIVMSG ${c.nick} :${token}`);
    await c.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === token, 20_000);
  }

  test('/metrics answers and the deliveries counter never goes down when the sender was alone in its room', async () => {
    const base = `http://127.0.0.1:${server.httpPort}`;
    const before = await (await fetch(`${base}/metrics`, { headers: METRICS_AUTH })).text();
    const deliveriesBefore = metricValue(before, 'tertulia_deliveries_out_total');
    const loner = await TestClient.register(server.port, 'loner');
    const other = await TestClient.register(server.port, 'other');
    clients.push(loner, other);
    loner.send('JOIN #alone');
    await loner.expect('366');
    loner.sendRaw(lines(60, (i) => `PRIVMSG #alone :talking to myself ${i}`));
    const error = await loner.waitFor((m) => m.command === 'ERROR', 20_000);
    assert.match(error.params[0]!, /Excess Flood/);
    await loner.waitClosed(20_000);
    await barrier(other); // the loner's messages have all been committed by now

    const res = await fetch(`${base}/metrics`, { headers: METRICS_AUTH });
    assert.equal(res.status, 200, await res.clone().text());
    const after = metricValue(await res.text(), 'tertulia_deliveries_out_total');
    assert.ok(after >= deliveriesBefore, `deliveries went from ${deliveriesBefore} to ${after}`);
  });

  test('every message shown to others was echoed to its sender before its connection closed', async () => {
    const watcher = await TestClient.register(server.port, 'watcher');
    const talker = await TestClient.register(server.port, 'talker', ['echo-message']);
    clients.push(watcher, talker);
    await joinRoom('#watch', watcher, talker);
    const startWatcher = watcher.received.length;
    const startTalker = talker.received.length;
    talker.sendRaw(lines(60, (i) => `PRIVMSG #watch :line ${i}`));
    await talker.waitClosed(20_000);
    await barrier(watcher);

    const shown = texts(watcher.received.slice(startWatcher), 'talker', '#watch');
    const mine = talker.received.slice(startTalker);
    const echoed = texts(mine, 'talker', '#watch');
    assert.ok(shown.length > 0, 'the watcher was shown some of the messages');
    assert.deepEqual(echoed, shown, 'the sender saw the echo of exactly what others were shown, in order');
    const errorAt = mine.findIndex((m) => m.command === 'ERROR');
    assert.ok(errorAt !== -1, 'the sender was told why it was cut off');
    assert.equal(mine.slice(errorAt + 1).length, 0, 'its echoes came before the ERROR');
  });
});
