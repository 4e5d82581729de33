/**
 * SCRAM-SHA-256 server primitives against the RFC's own example, the message grammar,
 * and the login throttle's arithmetic. Pure functions: no sockets.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
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
import { LoginThrottle } from '../../src/core/accounts/throttle.js';

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
    assert.equal(SCRAM_ITERATIONS, 4096);
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
  test('delay doubles per failure up to the maximum, per key, and a success resets it', () => {
    const t = new LoginThrottle(1000, 30_000);
    const keys = ['a:alice', 'i:1.2.3.4'];
    assert.equal(t.reserve(keys, 0), 0);
    t.fail(keys, 0);
    assert.equal(t.reserve(keys, 0), 1000); // waits, is not rejected
    t.fail(keys, 1000);
    assert.equal(t.reserve(keys, 1000), 2000);
    t.fail(keys, 3000);
    assert.equal(t.failures('a:alice', 3000), 3);
    assert.equal(t.reserve(keys, 3000), 4000);
    for (let i = 0; i < 10; i++) t.fail(keys, 10_000);
    assert.equal(t.delayAfter(13), 30_000);
    t.succeed(keys);
    assert.equal(t.failures('a:alice'), 0);
    assert.equal(t.reserve(keys), 0);
  });

  test('parallel attempts are spaced: each reserves the slot after the previous one', () => {
    const t = new LoginThrottle(1000, 30_000);
    t.fail(['a:x'], 0);
    assert.equal(t.reserve(['a:x'], 0), 1000);
    assert.equal(t.reserve(['a:x'], 0), 2000);
    assert.equal(t.reserve(['a:x'], 0), 3000);
  });

  test('the address key delays attempts on other accounts from the same address', () => {
    const t = new LoginThrottle(1000, 30_000);
    t.fail(['a:alice', 'i:9.9.9.9'], 0);
    assert.equal(t.reserve(['a:bob', 'i:9.9.9.9'], 0), 1000);
    assert.equal(t.reserve(['a:bob', 'i:8.8.8.8'], 0), 0);
  });
});
