/** scrypt password hashing for oper blocks (and later accounts). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hashPassword, isPasswordHash, verifyPassword } from '../src/crypto/password.js';

describe('password hashing', () => {
  test('hash is self-describing and verifies', async () => {
    const hash = await hashPassword('correct horse battery staple');
    assert.match(hash, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    assert.equal(isPasswordHash(hash), true);
    assert.equal(await verifyPassword(hash, 'correct horse battery staple'), true);
    assert.equal(await verifyPassword(hash, 'correct horse battery stapler'), false);
    assert.equal(await verifyPassword(hash, ''), false);
  });

  test('salts are random', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    assert.notEqual(a, b);
    assert.equal(await verifyPassword(a, 'same'), true);
    assert.equal(await verifyPassword(b, 'same'), true);
  });

  test('unicode passwords are compared after NFC normalization', async () => {
    const hash = await hashPassword('contrase\u00f1a');
    assert.equal(await verifyPassword(hash, 'contrasen\u0303a'), true);
  });

  test('malformed stored strings give false, never a throw', async () => {
    const good = await hashPassword('pw');
    const parts = good.split('$');
    const malformed = [
      '',
      'pw',
      'scrypt',
      'scrypt$$$$$',
      good.slice(0, -10),
      `${good}$extra`,
      good.replace('scrypt', 'bcrypt'),
      ['scrypt', '1000', ...parts.slice(2)].join('$'), // N not a power of two
      ['scrypt', String(1 << 30), ...parts.slice(2)].join('$'), // N too large
      ['scrypt', '16384', '0', ...parts.slice(3)].join('$'),
      ['scrypt', '16384', '8', '1', '!!!', parts[5]].join('$'),
      ['scrypt', '16384', '8', '1', parts[4], 'AAAA'].join('$'), // hash too short
    ];
    for (const stored of malformed) {
      assert.equal(isPasswordHash(stored), false, stored);
      assert.equal(await verifyPassword(stored, 'pw'), false, stored);
    }
    // Not even a string (from an untyped caller).
    assert.equal(await verifyPassword(undefined as unknown as string, 'pw'), false);
  });
});
