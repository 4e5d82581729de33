/**
 * Nicknames (RFC 2812 §2.3.1), channel names (RFC 2812 §1.3, §2.3.1 "chanstring"; CHANTYPES=#)
 * and the user field.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  CHANTYPES,
  isChannelName,
  isValidChannel,
  isValidNick,
  sanitizeUsername,
} from '../../src/protocol/names.js';

const NICKLEN = 30;
const CHANNELLEN = 50;

/** RFC 2812 §2.3.1: nickname = ( letter / special ) *( letter / digit / special / "-" ), special = %x5B-60 / %x7B-7D. */
const RFC_NICK = /^[A-Za-z\x5B-\x60\x7B-\x7D][A-Za-z0-9\x5B-\x60\x7B-\x7D-]*$/;

describe('names: isValidNick', () => {
  test('RFC 2812 §2.3.1: accepts letters, digits, specials and "-" in the right places', () => {
    for (const nick of [
      'a',
      'Alice',
      'bob42',
      'a-b',
      'x-',
      '[w]',
      '\\o',
      '`tick',
      '_under',
      '^caret',
      '{brace}',
      '|pipe|',
      'Z9-_[]\\`^{|}',
      'a'.repeat(NICKLEN),
    ]) {
      assert.equal(isValidNick(nick, NICKLEN), true, nick);
    }
  });

  test('RFC 2812 §2.3.1: rejects a leading digit or "-"', () => {
    assert.equal(isValidNick('1abc', NICKLEN), false);
    assert.equal(isValidNick('9', NICKLEN), false);
    assert.equal(isValidNick('-abc', NICKLEN), false);
    assert.equal(isValidNick('-', NICKLEN), false);
  });

  test('RFC 2812 §2.3.1: rejects space, ",", "*", "?", "!", "@", "#", ":" and other non-nick characters', () => {
    for (const bad of [
      ' ',
      ',',
      '*',
      '?',
      '!',
      '@',
      '#',
      ':',
      '.',
      '/',
      '$',
      '&',
      '+',
      '%',
      '~',
      '\0',
      '\r',
      '\n',
      '\x07',
      'é',
      '😀',
    ]) {
      assert.equal(isValidNick(`a${bad}b`, NICKLEN), false, `inside: ${JSON.stringify(bad)}`);
      assert.equal(isValidNick(`${bad}ab`, NICKLEN), false, `leading: ${JSON.stringify(bad)}`);
      assert.equal(isValidNick(`ab${bad}`, NICKLEN), false, `trailing: ${JSON.stringify(bad)}`);
    }
  });

  test('RFC 2812 §2.3.1: rejects the empty nick and nicks over the length limit', () => {
    assert.equal(isValidNick('', NICKLEN), false);
    assert.equal(isValidNick('a'.repeat(NICKLEN + 1), NICKLEN), false);
    assert.equal(isValidNick('abcdefghi', 9), true);
    assert.equal(isValidNick('abcdefghij', 9), false);
  });

  test('RFC 2812 §2.3.1: isValidNick agrees with the RFC grammar on ASCII strings (property)', () => {
    const ascii = fc.string({ unit: 'binary-ascii', maxLength: 12 });
    const nickish = fc.string({
      unit: fc.constantFrom('a', 'Z', '0', '9', '-', '[', '`', '}', '|', ' ', '!', '@', '#', ':'),
      maxLength: 12,
    });
    fc.assert(
      fc.property(fc.oneof(ascii, nickish), fc.integer({ min: 1, max: 12 }), (nick, max) => {
        const expected = nick.length <= max && RFC_NICK.test(nick);
        assert.equal(isValidNick(nick, max), expected, JSON.stringify(nick));
      }),
      { numRuns: 5000 },
    );
  });

  test('RFC 2812 §2.3.1: generated RFC nicks are accepted (property)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z\x5B-\x60\x7B-\x7D][A-Za-z0-9\x5B-\x60\x7B-\x7D-]{0,29}$/),
        (nick) => {
          assert.equal(isValidNick(nick, 30), true, nick);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('RFC 2812 §2.3.1: nicks never contain the message separators or mask characters (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 10 }), (nick) => {
        if (isValidNick(nick, NICKLEN)) assert.doesNotMatch(nick, /[ ,*?!@#:\0\r\n]|^[0-9-]/);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('names: channels', () => {
  test('modern docs §ISUPPORT CHANTYPES: "#" only', () => {
    assert.equal(CHANTYPES, '#');
    assert.equal(isChannelName('#a'), true);
    assert.equal(isChannelName('#'), true);
    assert.equal(isChannelName('&a'), false);
    assert.equal(isChannelName('+a'), false);
    assert.equal(isChannelName('!a'), false);
    assert.equal(isChannelName('a#'), false);
    assert.equal(isChannelName(''), false);
  });

  test('RFC 2812 §1.3: accepts ordinary channel names', () => {
    for (const name of ['#a', '#chan', '#Chan-1', '##two', '#a.b!c@d', '#ünïcödé', '#😀', '#[x]', '#a\tb']) {
      assert.equal(isValidChannel(name, CHANNELLEN), true, name);
    }
  });

  test('RFC 2812 §1.3: rejects space, comma, BEL, colon, NUL, CR, LF', () => {
    for (const bad of [' ', ',', '\x07', ':', '\0', '\r', '\n']) {
      assert.equal(isValidChannel(`#a${bad}b`, CHANNELLEN), false, JSON.stringify(bad));
      assert.equal(isValidChannel(`#${bad}`, CHANNELLEN), false, JSON.stringify(bad));
      assert.equal(isValidChannel(`#ab${bad}`, CHANNELLEN), false, JSON.stringify(bad));
    }
  });

  test('RFC 2812 §1.3: rejects names without "#", and "#" alone', () => {
    assert.equal(isValidChannel('chan', CHANNELLEN), false);
    assert.equal(isValidChannel('&chan', CHANNELLEN), false);
    assert.equal(isValidChannel('', CHANNELLEN), false);
    assert.equal(isValidChannel('#', CHANNELLEN), false);
  });

  test('RFC 2812 §1.3: length limit is in bytes, inclusive', () => {
    assert.equal(isValidChannel('#' + 'a'.repeat(CHANNELLEN - 1), CHANNELLEN), true);
    assert.equal(isValidChannel('#' + 'a'.repeat(CHANNELLEN), CHANNELLEN), false);
    // 'é' is two bytes in UTF-8: 1 + 2·25 = 51 bytes although only 26 characters.
    assert.equal(isValidChannel('#' + 'é'.repeat(25), CHANNELLEN), false);
    assert.equal(isValidChannel('#' + 'é'.repeat(24) + 'a', CHANNELLEN), true);
    // '😀' is four bytes.
    assert.equal(isValidChannel('#😀', 4), false);
    assert.equal(isValidChannel('#😀', 5), true);
  });

  test('RFC 2812 §1.3: isValidChannel agrees with the chanstring grammar (property)', () => {
    const unit = fc.oneof(
      fc.constantFrom('#', 'a', ' ', ',', '\x07', ':', '\0', '\r', '\n', 'é', '&', '!'),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    );
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 12 }), fc.integer({ min: 1, max: 20 }), (name, max) => {
        const expected =
          name.startsWith('#') &&
          name.length > 1 &&
          Buffer.byteLength(name) <= max &&
          !/[\0\x07\r\n ,:]/.test(name);
        assert.equal(isValidChannel(name, max), expected, JSON.stringify(name));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('names: sanitizeUsername', () => {
  test('RFC 2812 §2.3.1 (user): keeps printable ASCII except space and "@"', () => {
    assert.equal(sanitizeUsername('alice', 10), 'alice');
    assert.equal(sanitizeUsername('~alice', 10), '~alice');
    assert.equal(sanitizeUsername('a b@c', 10), 'abc');
    assert.equal(sanitizeUsername('a\0b\r\nc\x7f', 10), 'abc');
    assert.equal(sanitizeUsername('ünï', 10), 'n');
  });

  test('RFC 2812 §2.3.1 (user): trims to maxLen and returns null when nothing is left', () => {
    assert.equal(sanitizeUsername('abcdefghijkl', 10), 'abcdefghij');
    assert.equal(sanitizeUsername('', 10), null);
    assert.equal(sanitizeUsername('@@ @', 10), null);
    assert.equal(sanitizeUsername('ééé', 10), null);
  });

  test('RFC 2812 §2.3.1 (user): output is null or 1..maxLen chars of %x21-3F / %x41-7E (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 30 }),
        fc.integer({ min: 1, max: 20 }),
        (user, max) => {
          const out = sanitizeUsername(user, max);
          if (out === null) return;
          assert.ok(out.length >= 1 && out.length <= max);
          assert.match(out, /^[\x21-\x3f\x41-\x7e]+$/);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('RFC 2812 §2.3.1 (user): a clean user name under the limit is unchanged (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[\x21-\x3f\x41-\x7e]{1,10}$/), (user) => {
        assert.equal(sanitizeUsername(user, 10), user);
      }),
    );
  });
});
