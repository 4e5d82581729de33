/**
 * SCRAM-SHA-256 server primitives against the RFC's own example, the message grammar,
 * and the login throttle's arithmetic. Pure functions: no sockets.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ACCOUNT_CHECKS,
  ACCOUNT_QUEUE,
  LoginGuard,
  PAIR_PENDING,
  sourceNetwork,
} from '../../src/core/accounts/login-guard.js';
import {
  decodeSaslName,
  decoyCredentials,
  parseClientFinal,
  parseClientFirst,
  SCRAM_ITERATIONS,
  saslPrep,
  scramCredentials,
  verifyClientFinal,
} from '../../src/core/accounts/scram.js';
import { BackoffTable } from '../../src/core/accounts/throttle.js';

describe('SCRAM-SHA-256', () => {
  test('RFC 7677 §3 example: user/pencil exchange verifies and yields the same server signature', async () => {
    const clientFirst = 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO';
    const serverFirstMessage =
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
    const clientFinal =
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
    const credentials = await scramCredentials(
      'pencil',
      4096,
      Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
    );
    const client = parseClientFirst(clientFirst);
    assert.ok(client);
    assert.equal(client.username, 'user');
    assert.equal(client.gs2Header, 'n,,');
    const final = parseClientFinal(clientFinal);
    assert.ok(final);
    const server = {
      message: serverFirstMessage,
      nonce: 'rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
    };
    assert.equal(
      verifyClientFinal(client, server, final, credentials),
      'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
    );
  });

  test('RFC 5802 §3: a wrong password, a changed nonce or a changed channel binding never verifies', async () => {
    const credentials = await scramCredentials(
      'pencil',
      4096,
      Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
    );
    const wrong = await scramCredentials('pencil2', 4096, Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'));
    const client = parseClientFirst('n,,n=user,r=rOprNGfwEbeRWgbNEkqO')!;
    const nonce = 'rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
    const server = { message: `r=${nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`, nonce };
    const good = `c=biws,r=${nonce},p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=`;
    assert.equal(verifyClientFinal(client, server, parseClientFinal(good)!, wrong), null);
    assert.equal(
      verifyClientFinal(client, { ...server, nonce: nonce + 'x' }, parseClientFinal(good)!, credentials),
      null,
    );
    const yBinding = good.replace('c=biws', `c=${Buffer.from('y,,').toString('base64')}`);
    assert.equal(verifyClientFinal(client, server, parseClientFinal(yBinding)!, credentials), null);
  });

  test('RFC 5802 §7: client-first grammar: gs2 flags n/y accepted, p= (channel binding) and m= refused, saslname escapes', () => {
    assert.equal(parseClientFirst('y,,n=bob,r=abc')?.username, 'bob');
    assert.equal(parseClientFirst('n,a=bob,n=bob,r=abc')?.authzid, 'bob');
    assert.equal(parseClientFirst('p=tls-unique,,n=bob,r=abc'), null);
    assert.equal(parseClientFirst('n,,m=ext,n=bob,r=abc'), null);
    assert.equal(parseClientFirst('n,,n=,r=abc'), null);
    assert.equal(parseClientFirst('n,,n=bob'), null);
    assert.equal(parseClientFirst('n,,r=abc,n=bob'), null);
    assert.equal(decodeSaslName('a=2Cb=3Dc'), 'a,b=c');
    assert.equal(decodeSaslName('a=4Fb'), null);
    assert.equal(parseClientFinal('c=biws,r=abc'), null);
    assert.equal(parseClientFinal('r=abc,c=biws,p=AAAA'), null);
  });

  test('RFC 7677 §4 / RFC 5802 §3: stored credentials are salt, iterations ≥ 4096, StoredKey and ServerKey only', async () => {
    const c = await scramCredentials('sesame');
    assert.deepEqual(Object.keys(c).sort(), ['iterations', 'salt', 'serverKey', 'storedKey']);
    assert.ok(c.iterations >= 4096);
    assert.equal(Buffer.from(c.storedKey, 'base64').length, 32);
    assert.ok(!JSON.stringify(c).includes('sesame'));
    // The default is far above the RFC minimum (docs/SECURITY.md); the count is per key.
    assert.equal(SCRAM_ITERATIONS, 600_000);
    assert.equal(c.iterations, SCRAM_ITERATIONS);
  });

  test('decoy credentials for unknown accounts: the same salt every time, nothing that verifies', () => {
    const secret = Buffer.alloc(32, 7);
    const a = decoyCredentials(secret, 'ghost');
    const b = decoyCredentials(secret, 'ghost');
    assert.equal(a.salt, b.salt);
    assert.notEqual(a.storedKey, b.storedKey);
    assert.notEqual(decoyCredentials(secret, 'other').salt, a.salt);
  });

  test('RFC 4013 SASLprep (subset): non-ASCII spaces map to space, soft hyphen is dropped, NFKC', () => {
    assert.equal(saslPrep('a\u00A0b'), 'a b');
    assert.equal(saslPrep('I\u00ADX'), 'IX');
    assert.equal(saslPrep('\u2168'), 'IX');
    assert.equal(saslPrep('plain'), 'plain');
  });
});

describe('login throttle', () => {
  test('delay doubles per failure up to the maximum, per key, and forgetting resets it', () => {
    const t = new BackoffTable(1000, 30_000);
    const e = t.entry('alice 1.2.3.4', 0);
    assert.equal(t.reserve([e], 0), 0);
    t.fail(e, 0);
    assert.equal(t.reserve([e], 0), 1000); // waits, is not rejected
    t.fail(e, 1000);
    assert.equal(t.reserve([e], 1000), 3000);
    t.fail(e, 3000);
    assert.equal(t.failures('alice 1.2.3.4', 3000), 3);
    assert.equal(t.reserve([e], 3000), 7000);
    for (let i = 0; i < 10; i++) t.fail(e, 10_000);
    assert.equal(t.delayAfter(13), 30_000);
    t.delete('alice 1.2.3.4');
    assert.equal(t.failures('alice 1.2.3.4'), 0);
  });

  test('parallel attempts are spaced: each reserves the slot after the previous one', () => {
    const t = new BackoffTable(1000, 30_000);
    const e = t.entry('x', 0);
    t.fail(e, 0);
    assert.equal(t.reserve([e], 0), 1000);
    assert.equal(t.reserve([e], 0), 2000);
    assert.equal(t.reserve([e], 0), 3000);
  });

  test('the table is a bounded LRU: past maxEntries the least recently used idle key goes', () => {
    const t = new BackoffTable(1000, 30_000, 60_000, 3);
    for (const k of ['a', 'b', 'c']) t.fail(t.entry(k, 0), 0);
    t.entry('a', 1); // a is now the most recently used
    t.entry('b', 2).pending = 1; // b has an attempt in hand: never evicted
    t.fail(t.entry('d', 3), 3);
    assert.equal(t.size, 3);
    assert.equal(t.failures('c', 3), 0, 'c, the least recently used idle key, was forgotten');
    assert.equal(t.failures('a', 3), 1);
    assert.equal(t.failures('b', 3), 1);
  });

  test('IPv6 sources count by their /64, IPv4 (and IPv4-mapped) by the address', () => {
    assert.equal(sourceNetwork('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(sourceNetwork('2001:db8:1:2:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
    assert.equal(sourceNetwork('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(sourceNetwork('::ffff:10.0.0.7'), '10.0.0.7');
    assert.equal(sourceNetwork('10.0.0.7'), '10.0.0.7');
  });
});

describe('login guard', () => {
  test(`one (account, address) has at most ${PAIR_PENDING} attempts in hand; more are refused unchecked`, async () => {
    const g = new LoginGuard();
    const first = await Promise.all(Array.from({ length: PAIR_PENDING }, () => g.admit('alice', '10.0.0.1')));
    assert.ok(first.every((p) => p.ok));
    const extra = await g.admit('alice', '10.0.0.1');
    assert.equal(extra.ok, false);
    // Another account from this address is not affected...
    const bob = await g.admit('bob', '10.0.0.1');
    assert.equal(bob.ok, true);
    for (const p of [...first, bob]) if (p.ok) p.done(false);
    // ...nor is the account from another address.
    const other = await g.admit('alice', '10.0.0.2');
    assert.equal(other.ok, true);
    if (other.ok) other.done(true);
    assert.deepEqual(g.counts, { checked: PAIR_PENDING + 2, refused: 1 });
  });

  test("failures from one address never delay the account's owner from another", async () => {
    const g = new LoginGuard();
    for (let i = 0; i < 5; i++) {
      const p = await g.admit('alice', '10.0.0.66');
      assert.ok(p.ok);
      p.done(false);
      g.pairs.entry('alice 10.0.0.66').next = 0; // skip the wait (driven without a clock)
      g.networks.entry('10.0.0.66').next = 0;
    }
    const t0 = Date.now();
    const owner = await g.admit('alice', '10.0.0.1');
    assert.ok(owner.ok);
    assert.ok(Date.now() - t0 < 100, 'no wait at all');
    owner.done(true);
  });

  test(`checks run in two lanes: ${ACCOUNT_CHECKS} at once for pairs with failures, and the owner's clean pair never waits behind them`, async () => {
    const g = new LoginGuard();
    const dirty = (ip: string): void => {
      const key = `alice ${ip}`;
      g.pairs.fail(g.pairs.entry(key));
      g.pairs.entry(key).next = 0; // skip the wait (driven without a clock)
    };
    dirty('10.2.0.1');
    dirty('10.2.0.2');
    const running = await Promise.all(
      Array.from({ length: ACCOUNT_CHECKS }, () => g.admit('alice', '10.2.0.1')),
    );
    let queuedDone = false;
    const queued = g.admit('alice', '10.2.0.2').then((p) => {
      queuedDone = true;
      return p;
    });
    // The owner, arriving after the guessers, runs at once.
    const owner = await g.admit('alice', '10.3.0.1');
    assert.ok(owner.ok);
    assert.equal(queuedDone, false, 'the second guesser still waits for the lane of failures');
    owner.done(true);
    for (const p of running) if (p.ok) p.done(false);
    const q = await queued;
    assert.ok(q.ok);
    q.done(false);
  });

  test(`the queue of a lane is bounded (${ACCOUNT_QUEUE}): past it the attempt with most failures is refused, unchecked`, async () => {
    const g = new LoginGuard();
    const dirty = (ip: string, failures: number): void => {
      const key = `alice ${ip}`;
      for (let k = 0; k < failures; k++) g.pairs.fail(g.pairs.entry(key));
      g.pairs.entry(key).next = 0;
      g.networks.entry(ip).next = 0;
    };
    dirty('10.1.0.1', 1);
    const running = await g.admit('alice', '10.1.0.1');
    const queued = Array.from({ length: ACCOUNT_QUEUE }, (_, i) => {
      dirty(`10.4.0.${i}`, 3);
      return g.admit('alice', `10.4.0.${i}`);
    });
    await new Promise((r) => setTimeout(r, 20));
    // One with fewer failures still gets a place, pushing out one that has more.
    dirty('10.5.0.1', 1);
    const better = g.admit('alice', '10.5.0.1');
    const first = await Promise.race(queued.map((p) => p.then((r) => r.ok)));
    assert.equal(first, false, 'a queued guesser with more failures was refused');
    // A newcomer worse than everyone queued is refused at once.
    dirty('10.6.0.1', 5);
    assert.equal((await g.admit('alice', '10.6.0.1')).ok, false);
    if (running.ok) running.done(false);
    const mine = await better;
    assert.ok(mine.ok, 'the better-placed attempt ran first');
    mine.done(false);
    // The rest run one at a time, each when the one before it is done.
    for (const q of queued) {
      const p = await q;
      if (p.ok) p.done(false);
    }
    assert.equal(g.counts.refused, 2);
  });
});
