/**
 * The TLS listener over real sockets: a pinned client registers, TLS 1.1 is refused, the
 * generated certificate is reused across restarts, configured files are used, a reload
 * swaps the certificate without dropping connections, WHOIS 671/276, SASL EXTERNAL with
 * NickServ CERT, the sts capability, `--irc-port off`, and openssl s_client.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import type { Config } from '../../src/config/config.js';
import { hashPassword } from '../../src/crypto/password.js';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import {
  connectTls,
  loggedFingerprints,
  makeCert,
  type Pair,
  serverFingerprint,
  tlsClient,
} from './helpers.js';

async function boot(t: TestContext, overrides: Partial<Config> = {}): Promise<TestServer> {
  const server = await startServer({ tlsPort: 0, ...overrides });
  t.after(() => server.stop());
  return server;
}

function track<T extends { close(): void }>(t: TestContext, c: T): T {
  t.after(() => c.close());
  return c;
}

/** Every capability of a (possibly multi-line) CAP LS 302 reply, name → value. */
async function capLs(c: TestClient): Promise<Map<string, string | null>> {
  c.send('CAP LS 302');
  const caps = new Map<string, string | null>();
  for (;;) {
    const m = await c.expect('CAP', '*', 'LS');
    for (const item of m.params.at(-1)!.split(' ')) {
      if (item === '') continue;
      const eq = item.indexOf('=');
      caps.set(eq === -1 ? item : item.slice(0, eq), eq === -1 ? null : item.slice(eq + 1));
    }
    if (!(m.params.length === 4 && m.params[2] === '*')) return caps;
  }
}

function writePair(dir: string, pair: Pair): { cert: string; key: string } {
  const cert = join(dir, 'server.crt');
  const key = join(dir, 'server.key');
  writeFileSync(cert, pair.cert);
  writeFileSync(key, pair.key, { mode: 0o600 });
  return { cert, key };
}

describe('TLS listener', () => {
  test('generated certificate: written to data-dir/tls, fingerprint logged, a pinned client registers over TLS 1.2+', async (t) => {
    const s = await boot(t);
    assert.ok(s.tlsPort > 0);
    const kinds = s.tertulia.listeners.map((l) => l.kind);
    assert.ok(kinds.includes('irc') && kinds.includes('tls'), kinds.join());
    assert.ok(existsSync(join(s.config.dataDir, 'tls', 'cert.pem')));
    assert.ok(existsSync(join(s.config.dataDir, 'tls', 'key.pem')));
    const [fp] = loggedFingerprints(s.logs);
    assert.ok(fp !== undefined, s.logs.join('\n'));
    assert.ok(
      s.logs.some((l) => l.includes(`[SERVER] TLS certificate SHA-256 fingerprint: ${fp}`)),
      s.logs.join('\n'),
    );

    const socket = await connectTls(s.tlsPort, { pin: fp });
    assert.ok(['TLSv1.2', 'TLSv1.3'].includes(socket.getProtocol() ?? ''), socket.getProtocol() ?? '');
    const c = track(t, TestClient.fromSocket(socket));
    await c.registerAs('alice');
    assert.ok(c.received.some((m) => m.command === '001'));
    c.send('WHOIS alice');
    const lines = await c.until((m) => m.command === '318');
    assert.ok(lines.some((m) => m.command === '671'));
    assert.ok(!lines.some((m) => m.command === '276'), 'no client certificate, no 276');

    // A wrong pin is refused.
    await assert.rejects(
      connectTls(s.tlsPort, { pin: fp!.replace(/^../, fp!.startsWith('00') ? '11' : '00') }),
    );
  });

  test('TLS 1.1 and older are refused; TLS 1.2 is accepted', async (t) => {
    const s = await boot(t);
    // SECLEVEL=0 lets this client offer TLS 1.1, so the refusal is the server's.
    const err = await connectTls(s.tlsPort, {
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    }).then(
      (sock) => {
        sock.destroy();
        return null;
      },
      (e: Error) => e,
    );
    assert.ok(err !== null, 'TLS 1.1 handshake must fail');
    assert.match(
      String((err as NodeJS.ErrnoException).code ?? err.message),
      /PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|protocol version/i,
    );
    const ok = await connectTls(s.tlsPort, { maxVersion: 'TLSv1.2' });
    assert.equal(ok.getProtocol(), 'TLSv1.2');
    ok.destroy();
  });

  test('the generated certificate is reused on the next start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tertulia-tls-'));
    const first = await startServer({ tlsPort: 0, dataDir });
    const fp1 = await serverFingerprint(first.tlsPort);
    await first.stop();
    const second = await startServer({ tlsPort: 0, dataDir });
    try {
      const fp2 = await serverFingerprint(second.tlsPort);
      assert.equal(fp2, fp1);
      assert.deepEqual(loggedFingerprints(second.logs), [fp1]);
      assert.ok(!second.logs.some((l) => l.includes('Generated a self-signed')));
    } finally {
      await second.stop();
    }
  });

  test('a configured certificate and key are used (nothing generated)', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tertulia-tls-cfg-'));
    const pair = await makeCert('irc.example.test');
    const files = writePair(dir, pair);
    const s = await boot(t, { tlsCert: files.cert, tlsKey: files.key });
    assert.equal(await serverFingerprint(s.tlsPort), pair.fingerprint);
    assert.deepEqual(loggedFingerprints(s.logs), [pair.fingerprint]);
    assert.ok(!existsSync(join(s.config.dataDir, 'tls')));
    const c = track(t, await tlsClient(s.tlsPort, 'bob', { pin: pair.fingerprint }));
    c.send('PING x');
    await c.expect('PONG');
  });

  test('reload (SIGHUP) swaps the certificate: open connections keep working, new ones get the new certificate', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tertulia-tls-reload-'));
    const oldPair = await makeCert('old.example.test');
    const files = writePair(dir, oldPair);
    const s = await boot(t, { tlsCert: files.cert, tlsKey: files.key });
    const alice = track(t, await tlsClient(s.tlsPort, 'alice', { pin: oldPair.fingerprint }));
    alice.send('JOIN #room');
    await alice.expect('366');

    const newPair = await makeCert('new.example.test');
    writePair(dir, newPair);
    await s.tertulia.reload();
    assert.ok(s.logs.some((l) => l.includes('TLS certificate reloaded')));

    const bob = track(t, await tlsClient(s.tlsPort, 'bob', { pin: newPair.fingerprint }));
    await assert.rejects(connectTls(s.tlsPort, { pin: oldPair.fingerprint }));
    bob.send('JOIN #room');
    await bob.expect('366');
    bob.send('PRIVMSG #room :hola');
    const got = await alice.waitFor((m) => m.command === 'PRIVMSG');
    assert.equal(got.params[1], 'hola');
    assert.ok(!alice.closed);

    // A broken pair on reload keeps the current certificate.
    writeFileSync(files.key, 'not a key');
    await s.tertulia.reload();
    assert.ok(s.logs.some((l) => l.includes('TLS reload failed')));
    assert.equal(await serverFingerprint(s.tlsPort), newPair.fingerprint);
  });

  test('--irc-port off with TLS on: only the TLS listener exists and clients register over it', async (t) => {
    const s = await boot(t, { ircPort: null });
    const kinds = s.tertulia.listeners.map((l) => l.kind);
    assert.ok(kinds.includes('tls') && !kinds.includes('irc'), kinds.join());
    assert.equal(s.port, 0);
    const [fp] = loggedFingerprints(s.logs);
    const c = track(t, await tlsClient(s.tlsPort, 'carol', { pin: fp! }));
    c.send('PING y');
    await c.expect('PONG');
  });
});

describe('client certificates', () => {
  test('WHOIS: 671 for everyone, 276 with the fingerprint for the user and operators only', async (t) => {
    const s = await boot(t, { opers: [{ name: 'admin', passwordHash: await hashPassword('pw') }] });
    const cert = await makeCert('alice');
    const alice = track(t, await tlsClient(s.tlsPort, 'alice', { client: cert }));
    const bob = track(t, await TestClient.register(s.port, 'bob'));

    alice.send('WHOIS alice');
    const own = await alice.until((m) => m.command === '318');
    const fp276 = own.find((m) => m.command === '276');
    assert.ok(fp276, own.map((m) => m.raw).join('\n'));
    assert.deepEqual(fp276.params, ['alice', 'alice', `has client certificate fingerprint ${cert.compact}`]);
    assert.ok(own.some((m) => m.command === '671'));

    bob.send('WHOIS alice');
    const other = await bob.until((m) => m.command === '318');
    assert.ok(other.some((m) => m.command === '671'));
    assert.ok(!other.some((m) => m.command === '276'));

    bob.send('OPER admin pw');
    await bob.expect('381');
    bob.send('WHOIS alice');
    const asOper = await bob.until((m) => m.command === '318');
    assert.ok(asOper.some((m) => m.command === '276' && m.params[2]!.endsWith(cert.compact)));

    alice.send('WHOIS bob');
    const plain = await alice.until((m) => m.command === '318');
    assert.ok(!plain.some((m) => m.command === '671' || m.command === '276'));
  });

  test('SASL EXTERNAL: NickServ CERT ADD, then a reconnect with that certificate logs in; CERT LIST and DEL', async (t) => {
    const s = await boot(t);
    const cert = await makeCert('dana');
    const other = await makeCert('mallory');
    const ns = (c: TestClient) =>
      c.waitFor((m) => m.command === 'NOTICE' && m.source?.startsWith('NickServ!') === true);

    // Not logged in: CERT is refused.
    const first = track(t, await tlsClient(s.tlsPort, 'dana', { client: cert }));
    first.send('PRIVMSG NickServ :CERT ADD');
    assert.match((await ns(first)).params[1]!, /logged in/);
    first.send('PRIVMSG NickServ :REGISTER s3cret-pass');
    await first.expect('900');
    await ns(first);
    first.send('PRIVMSG NickServ :CERT ADD');
    assert.match((await ns(first)).params[1]!, new RegExp(`Added certificate ${cert.compact}`));
    first.send('PRIVMSG NickServ :CERT ADD');
    assert.match((await ns(first)).params[1]!, /already one of your certificates/);
    first.send('PRIVMSG NickServ :CERT ADD nothex');
    assert.match((await ns(first)).params[1]!, /not a SHA-256 fingerprint/);
    first.send('PRIVMSG NickServ :CERT LIST');
    const listing = await first.until((m) => m.command === 'NOTICE' && m.params[1]!.trim() === cert.compact);
    assert.ok(listing.some((m) => m.params[1]!.startsWith('Certificates of dana')));
    first.close();

    const external = async (pair: Pair | undefined, authzid = ''): Promise<TestClient> => {
      const c = TestClient.fromSocket(await connectTls(s.tlsPort, pair ? { client: pair } : {}));
      track(t, c);
      c.send('CAP LS 302');
      c.send('CAP REQ :sasl');
      await c.expect('CAP', '*', 'ACK');
      c.send('AUTHENTICATE EXTERNAL');
      await c.expect('AUTHENTICATE', '+');
      c.send(`AUTHENTICATE ${authzid === '' ? '+' : Buffer.from(authzid).toString('base64')}`);
      return c;
    };

    const ok = await external(cert);
    const logged = await ok.expect('900');
    assert.equal(logged.params[2], 'dana');
    await ok.expect('903');
    ok.send('CAP END');
    ok.send('NICK dana');
    ok.send('USER dana 0 * :Dana');
    await ok.expect('001');

    const named = await external(cert, 'dana');
    await named.expect('903');
    const wrongName = await external(cert, 'someoneelse');
    await wrongName.expect('904');
    const wrongCert = await external(other);
    await wrongCert.expect('904');
    const noCert = await external(undefined);
    await noCert.expect('904');

    // Adding a fingerprint by hand, and deleting: the deleted one no longer logs in.
    ok.send(`PRIVMSG NickServ :CERT ADD ${other.fingerprint}`);
    assert.match((await ns(ok)).params[1]!, new RegExp(`Added certificate ${other.compact}`));
    await (await external(other)).expect('903');
    ok.send(`PRIVMSG NickServ :CERT DEL ${cert.compact}`);
    assert.match((await ns(ok)).params[1]!, /Removed certificate/);
    await (await external(cert)).expect('904');
  });

  test('a fingerprint belongs to one account only', async (t) => {
    const s = await boot(t);
    const cert = await makeCert('shared');
    const a = track(t, await tlsClient(s.tlsPort, 'erin', { client: cert }));
    a.send('PRIVMSG NickServ :REGISTER pw-erin-1');
    await a.expect('900');
    a.send('PRIVMSG NickServ :CERT ADD');
    await a.waitFor((m) => m.command === 'NOTICE' && m.params[1]!.startsWith('Added certificate'));
    const b = track(t, await tlsClient(s.tlsPort, 'frank', { client: cert }));
    b.send('PRIVMSG NickServ :REGISTER pw-frank-1');
    await b.expect('900');
    b.send('PRIVMSG NickServ :CERT ADD');
    const reply = await b.waitFor((m) => m.command === 'NOTICE' && m.params[1]!.includes(cert.compact));
    assert.match(reply.params[1]!, /belongs to another account/);
  });
});

describe('sts', () => {
  test('IRCv3 sts: port and duration on the plain listener, duration on TLS', async (t) => {
    const s = await boot(t, { stsDuration: 300 });
    const plain = track(t, await TestClient.connect(s.port));
    assert.equal((await capLs(plain)).get('sts'), `port=${s.tlsPort},duration=300`);
    const secure = track(t, TestClient.fromSocket(await connectTls(s.tlsPort)));
    assert.equal((await capLs(secure)).get('sts'), 'duration=300');
  });

  test('no sts without a duration, or with TLS off', async (t) => {
    const s = await boot(t);
    const c = track(t, await TestClient.connect(s.port));
    assert.ok(!(await capLs(c)).has('sts'));
    const noTls = await boot(t, { tlsPort: null, stsDuration: 300 });
    const d = track(t, await TestClient.connect(noTls.port));
    assert.ok(!(await capLs(d)).has('sts'));
  });
});

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

/** Runs a command to completion without blocking the event loop (the server is in-process). */
function run(cmd: string, args: string[], input = ''): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'pipe' });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const timer = setTimeout(() => child.kill(), 10_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
    child.stdin.end(input);
  });
}

describe('openssl s_client', { skip: hasOpenssl ? false : 'openssl is not installed' }, () => {
  test('registers over TLS and sees the logged fingerprint; -tls1_1 is refused', async (t) => {
    const s = await boot(t);
    const [fp] = loggedFingerprints(s.logs);
    const certPem = readFileSync(join(s.config.dataDir, 'tls', 'cert.pem'), 'utf8');
    const x509 = spawnSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256'], { input: certPem });
    assert.match(x509.stdout.toString(), new RegExp(fp!));

    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${s.tlsPort}`, '-quiet'], {
      stdio: 'pipe',
    });
    t.after(() => child.kill());
    let out = '';
    const welcomed = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no 001 from s_client:\n${out}`)), 10_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/ 001 zoe /.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.stdin.write('NICK zoe\r\nUSER zoe 0 * :Zoe\r\n');
    await welcomed;
    child.stdin.write('QUIT :bye\r\n');

    // Not spawnSync: the server runs in this process and must keep answering.
    const old = await run('openssl', [
      's_client',
      '-connect',
      `127.0.0.1:${s.tlsPort}`,
      '-tls1_1',
      '-cipher',
      'DEFAULT@SECLEVEL=0',
    ]);
    assert.notEqual(old.code, 0);
    // The refusal is the server's alert, not a client-side limitation.
    assert.match(old.output, /alert protocol version/);
  });
});
