// The lock-out figures of docs/SECURITY.md: a parallel guessing flood against one account over
// real sockets (8 connections per attacker address, 127.0.1.x) while the owner logs in every
// 10 s from a fresh address. Usage (after npx tsc): node scripts/lockout-figures.mjs [addresses] [seconds]
import net from 'node:net';

const root = new URL('../dist', import.meta.url).href;
const { startServer } = await import(`${root}/test/helpers/server.js`);
const { TestClient } = await import(`${root}/test/helpers/client.js`);
const { accountsOf } = await import(`${root}/src/core/accounts/index.js`);
const addresses = Number(process.argv[2] ?? 5);
const seconds = Number(process.argv[3] ?? 60);
const server = await startServer();
await TestClient.registerAccount(server.port, 'alice', 'right');
const guard = accountsOf(server.tertulia.server).guard;
const conns = [];
for (let a = 0; a < addresses; a++)
  for (let k = 0; k < 8; k++) {
    const s = await new Promise((res, rej) => {
      const s = net.connect({ port: server.port, host: '127.0.0.1', localAddress: `127.0.1.${a + 1}` }, () =>
        res(s),
      );
      s.once('error', rej);
    });
    const c = TestClient.fromSocket(s);
    c.send('CAP LS 302');
    c.send('CAP REQ :sasl');
    await c.expect('CAP', '*', 'ACK');
    conns.push(c);
  }
let running = true;
let answers = 0;
const wrong = Buffer.from('\0alice\0nope').toString('base64');
const loops = conns.map(async (c) => {
  try {
    while (running) {
      c.send('AUTHENTICATE PLAIN');
      await c.expect('AUTHENTICATE', '+');
      c.send(`AUTHENTICATE ${wrong}`);
      await c.waitFor((m) => m.command === '904', 120000);
      answers++;
      await new Promise((r) => setTimeout(r, 5));
    }
  } catch {}
});
const t0 = Date.now();
const marks = [];
const timer = setInterval(
  () => marks.push([Math.round((Date.now() - t0) / 1000), guard.counts.checked]),
  10000,
);
// The owner logs in every 10 s during the flood from a fresh address.
const ownerMs = [];
for (let i = 0; i < seconds / 10; i++) {
  await new Promise((r) => setTimeout(r, 10000));
  const s = await new Promise((res) => {
    const s = net.connect({ port: server.port, host: '127.0.0.1', localAddress: `127.0.2.${i + 1}` }, () =>
      res(s),
    );
  });
  const c = TestClient.fromSocket(s);
  const t = Date.now();
  c.send('CAP LS 302');
  c.send('CAP REQ :sasl');
  await c.expect('CAP', '*', 'ACK');
  c.send('AUTHENTICATE PLAIN');
  await c.expect('AUTHENTICATE', '+');
  c.send(`AUTHENTICATE ${Buffer.from('\0alice\0right').toString('base64')}`);
  const r = await c.waitFor((m) => m.command === '903' || m.command === '904', 30000);
  ownerMs.push(`${r.command}:${Date.now() - t}ms`);
  c.close();
}
clearInterval(timer);
running = false;
for (const c of conns) c.close();
await Promise.all(loops);
console.log(
  JSON.stringify({
    addresses,
    seconds,
    checkedByAttacker: guard.counts.checked - ownerMs.length,
    refused: guard.counts.refused,
    answers,
    marks,
    ownerMs,
  }),
);
await server.stop();
process.exit(0);
