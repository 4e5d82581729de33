/**
 * Wildcard masks (RFC 2812 §2.5 "wildcards": '*' any run, '?' exactly one character).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { normalizeMask, wildcardMatch } from '../../src/protocol/mask.js';

/** Independent reference: translate the mask to a regular expression over ASCII-folded text. */
function referenceMatch(mask: string, text: string): boolean {
  const lower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
  let source = '^';
  for (const c of lower(mask).split('')) {
    if (c === '*') source += '[^]*';
    else if (c === '?') source += '[^]';
    else source += c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  source += '$';
  return new RegExp(source).test(lower(text));
}

const maskAlphabet = fc.constantFrom('a', 'b', 'A', 'B', '*', '*', '?', '.', '!', '@', '[', '\\', 'é');
const textAlphabet = fc.constantFrom('a', 'b', 'A', 'B', '.', '!', '@', '*', '?', '[', '\\', 'é', 'É');
const smallMask = fc.string({ unit: maskAlphabet, maxLength: 8 });
const smallText = fc.string({ unit: textAlphabet, maxLength: 12 });

/** A text the mask must match: each '*' becomes a short run, each '?' one character. */
const maskAndMatchingText = smallMask.chain((mask) =>
  fc
    .tuple(
      ...mask
        .split('')
        .map((c) =>
          c === '*'
            ? fc.string({ unit: textAlphabet, maxLength: 4 })
            : c === '?'
              ? fc.string({ unit: textAlphabet, minLength: 1, maxLength: 1 })
              : fc.constantFrom(c, /[a-z]/.test(c) ? c.toUpperCase() : c.toLowerCase()),
        ),
    )
    .map((parts) => [mask, parts.join('')] as const),
);

describe('mask: wildcardMatch', () => {
  test('RFC 2812 §2.5: wildcardMatch agrees with a regex reference (property)', () => {
    fc.assert(
      fc.property(smallMask, smallText, (mask, text) => {
        assert.equal(wildcardMatch(mask, text), referenceMatch(mask, text), `${mask} ~ ${text}`);
      }),
      { numRuns: 10000 },
    );
  });

  test('RFC 2812 §2.5: a text built from the mask always matches (property)', () => {
    fc.assert(
      fc.property(maskAndMatchingText, ([mask, text]) => {
        assert.equal(wildcardMatch(mask, text), true, `${mask} ~ ${text}`);
        assert.equal(referenceMatch(mask, text), true);
      }),
      { numRuns: 3000 },
    );
  });

  test('RFC 2812 §2.5: a mask without wildcards matches exactly its ASCII case-fold (property)', () => {
    const plain = fc.string({ unit: fc.constantFrom('a', 'b', 'A', 'B', '.', 'é', 'É'), maxLength: 6 });
    fc.assert(
      fc.property(plain, plain, (mask, text) => {
        const fold = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
        assert.equal(wildcardMatch(mask, text), fold(mask) === fold(text));
      }),
      { numRuns: 2000 },
    );
  });

  test('RFC 2812 §2.5: "*" matches anything, including the empty string (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        assert.equal(wildcardMatch('*', text), true);
        assert.equal(wildcardMatch('**', text), true);
      }),
    );
  });

  test('RFC 2812 §2.5: "?" matches exactly one character', () => {
    assert.equal(wildcardMatch('?', ''), false);
    assert.equal(wildcardMatch('?', 'a'), true);
    assert.equal(wildcardMatch('?', 'ab'), false);
    assert.equal(wildcardMatch('a?c', 'abc'), true);
    assert.equal(wildcardMatch('a?c', 'ac'), false);
    assert.equal(wildcardMatch('??', 'ab'), true);
    assert.equal(wildcardMatch('?*', ''), false);
    assert.equal(wildcardMatch('*?', 'x'), true);
  });

  test('RFC 2812 §2.5: empty mask matches only the empty string', () => {
    assert.equal(wildcardMatch('', ''), true);
    assert.equal(wildcardMatch('', 'a'), false);
    assert.equal(wildcardMatch('a', ''), false);
  });

  test('RFC 2812 §2.5: typical ban masks', () => {
    assert.equal(wildcardMatch('nick!*@*', 'nick!user@host.example'), true);
    assert.equal(wildcardMatch('*!*@*.example.com', 'a!b@irc.example.com'), true);
    assert.equal(wildcardMatch('*!*@*.example.com', 'a!b@example.com'), false);
    assert.equal(wildcardMatch('*!~*@*', 'a!~ident@h'), true);
    assert.equal(wildcardMatch('*!~*@*', 'a!ident@h'), false);
    assert.equal(wildcardMatch('a*b*c', 'aXXbYYc'), true);
    assert.equal(wildcardMatch('a*b*c', 'aXXcYYb'), false);
    assert.equal(wildcardMatch('*a', 'banana'), true);
    assert.equal(wildcardMatch('*an', 'banana'), false);
    assert.equal(wildcardMatch('*ana*', 'banana'), true);
  });

  test('CASEMAPPING=ascii: matching is ASCII case-insensitive in both mask and text', () => {
    assert.equal(wildcardMatch('NICK!*@*.EXAMPLE.com', 'nick!u@irc.example.COM'), true);
    assert.equal(wildcardMatch('nick!*@*', 'NiCk!USER@HOST'), true);
    assert.equal(wildcardMatch('ÉVE', 'éve'), false);
    assert.equal(wildcardMatch('[a]', '{a}'), false);
  });

  test('RFC 2812 §2.5: case-insensitivity holds for any case flip of mask or text (property)', () => {
    const flip = (s: string): string =>
      s.replace(/[a-zA-Z]/g, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()));
    fc.assert(
      fc.property(smallMask, smallText, (mask, text) => {
        const r = wildcardMatch(mask, text);
        assert.equal(wildcardMatch(flip(mask), text), r);
        assert.equal(wildcardMatch(mask, flip(text)), r);
      }),
      { numRuns: 2000 },
    );
  });

  test('RFC 2812 §2.5: regex metacharacters in masks are literal', () => {
    assert.equal(wildcardMatch('a.b', 'axb'), false);
    assert.equal(wildcardMatch('a.b', 'a.b'), true);
    assert.equal(wildcardMatch('(a|b)+', '(a|b)+'), true);
    assert.equal(wildcardMatch('(a|b)+', 'a'), false);
    assert.equal(wildcardMatch('^$', '^$'), true);
  });

  test('RFC 2812 §2.5: a pathological mask against a 5000-char text completes (no exponential blow-up)', () => {
    const text = 'a'.repeat(5000);
    assert.equal(wildcardMatch('*a*a*a*a*a*a*a*a*b', text), false);
    assert.equal(wildcardMatch('*a*a*a*a*a*a*a*a*b', text + 'b'), true);
    assert.equal(wildcardMatch('*?*?*?*?*?*?*?*?*b', text), false);
    assert.equal(wildcardMatch('*'.repeat(200) + 'b', text), false);
    assert.equal(wildcardMatch('a*'.repeat(100) + 'b', text), false);
  });
});

describe('mask: normalizeMask', () => {
  test('RFC 2812 §2.5: conventional completion of partial ban masks', () => {
    assert.equal(normalizeMask('alice'), 'alice!*@*');
    assert.equal(normalizeMask('*'), '*!*@*');
    assert.equal(normalizeMask('*@host'), '*!*@host');
    assert.equal(normalizeMask('user@host'), '*!user@host');
    assert.equal(normalizeMask('a!b'), 'a!b@*');
    assert.equal(normalizeMask('a!*'), 'a!*@*');
    assert.equal(normalizeMask('a!b@c'), 'a!b@c');
    assert.equal(normalizeMask('*!*@*'), '*!*@*');
    assert.equal(normalizeMask('a@b!c'), 'a@b!c');
  });

  test('RFC 2812 §2.5: normalizeMask is idempotent and always yields "!" and "@" (property)', () => {
    const part = fc.string({ unit: fc.constantFrom('a', '*', '?', '.', '!', '@', 'B'), maxLength: 8 });
    fc.assert(
      fc.property(part, (m) => {
        const n = normalizeMask(m);
        assert.ok(n.includes('!') && n.includes('@'), n);
        assert.equal(normalizeMask(n), n);
        assert.ok(n.includes(m), 'the original mask is kept verbatim');
      }),
      { numRuns: 2000 },
    );
  });

  test('RFC 2812 §2.5: a normalized nick mask matches that nick from any user@host (property)', () => {
    const word = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,8}$/);
    fc.assert(
      fc.property(word, word, word, (nick, user, host) => {
        assert.equal(wildcardMatch(normalizeMask(nick), `${nick}!${user}@${host}`), true);
        assert.equal(wildcardMatch(normalizeMask(`*@${host}`), `${nick}!${user}@${host}`), true);
        assert.equal(wildcardMatch(normalizeMask(`${nick}!${user}`), `${nick}!${user}@${host}`), true);
      }),
    );
  });
});
