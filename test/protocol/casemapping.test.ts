/**
 * CASEMAPPING=ascii (modern client protocol docs, ISUPPORT "CASEMAPPING").
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CASEMAPPING, foldCase } from '../../src/protocol/casemapping.js';

const anyString = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.string({
    unit: fc.constantFrom('A', 'Z', 'a', 'z', '@', '[', ']', '\\', '~', '{', '}', '|', '^', 'É', 'İ', 'ß'),
  }),
);

describe('casemapping', () => {
  test('modern docs §ISUPPORT CASEMAPPING: tertulia advertises "ascii"', () => {
    assert.equal(CASEMAPPING, 'ascii');
  });

  test('modern docs §ISUPPORT CASEMAPPING=ascii: A–Z fold to a–z', () => {
    assert.equal(foldCase('ABCDEFGHIJKLMNOPQRSTUVWXYZ'), 'abcdefghijklmnopqrstuvwxyz');
    assert.equal(foldCase('NickServ'), 'nickserv');
    assert.equal(foldCase('#Chan'), '#chan');
    assert.equal(foldCase(''), '');
  });

  test('modern docs §ISUPPORT CASEMAPPING=ascii: rfc1459 characters []\\~ and non-ASCII are not folded', () => {
    assert.equal(foldCase('[]\\~'), '[]\\~');
    assert.equal(foldCase('{}|^'), '{}|^');
    assert.equal(foldCase('ÉÀÜ'), 'ÉÀÜ');
    assert.equal(foldCase('İ'), 'İ');
    assert.equal(foldCase('\u212A'), '\u212A'); // KELVIN SIGN, which Unicode lower-cases to 'k'
    assert.equal(foldCase('@'), '@');
    assert.equal(foldCase('`'), '`');
  });

  test('modern docs §ISUPPORT CASEMAPPING=ascii: foldCase is idempotent (property)', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const once = foldCase(s);
        assert.equal(foldCase(once), once);
      }),
      { numRuns: 2000 },
    );
  });

  test('modern docs §ISUPPORT CASEMAPPING=ascii: only A–Z change, each to its lower-case letter (property)', () => {
    fc.assert(
      fc.property(anyString, (s) => {
        const folded = foldCase(s);
        assert.equal(folded.length, s.length);
        for (let i = 0; i < s.length; i++) {
          const c = s.charCodeAt(i);
          const f = folded.charCodeAt(i);
          if (c >= 65 && c <= 90) assert.equal(f, c + 32);
          else assert.equal(f, c);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('modern docs §ISUPPORT CASEMAPPING=ascii: folded strings contain no A–Z (property)', () => {
    fc.assert(fc.property(anyString, (s) => assert.doesNotMatch(foldCase(s), /[A-Z]/)));
  });

  test('modern docs §ISUPPORT CASEMAPPING=ascii: equal under ASCII case-insensitivity ⇔ equal folds (property)', () => {
    const pair = fc.string({ unit: fc.constantFrom('a', 'A', 'b', 'B', '[', '{', 'é', 'É'), maxLength: 4 });
    fc.assert(
      fc.property(pair, pair, (a, b) => {
        const asciiEq =
          a.length === b.length &&
          [...a].every((c, i) => c === b[i] || (/[a-z]/i.test(c) && c.toLowerCase() === b[i]!.toLowerCase()));
        assert.equal(foldCase(a) === foldCase(b), asciiEq);
      }),
      { numRuns: 2000 },
    );
  });
});
