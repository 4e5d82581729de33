/**
 * The cuts that keep every line the server sends within RFC 2812 §2.3 (512 bytes with CR LF,
 * tags aside), on UTF-8 character boundaries.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fitText, serializeBodyWithin, truncateUtf8 } from '../../src/protocol/line-limits.js';
import { parseLine, serializeBody } from '../../src/protocol/message.js';

describe('line limits (RFC 2812 §2.3)', () => {
  test('truncateUtf8 keeps the longest prefix of whole characters within the budget', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        fc.integer({ min: 0, max: 600 }),
        (text, max) => {
          const cut = truncateUtf8(text, max);
          assert.ok(text.startsWith(cut));
          assert.ok(Buffer.byteLength(cut) <= max);
          assert.ok(!Buffer.from(cut).toString('utf8').includes('\ufffd') || text.includes('\ufffd'));
          // Maximal: the next code point would not have fitted.
          if (cut.length < text.length) {
            const next = String.fromCodePoint(text.codePointAt(cut.length)!);
            assert.ok(Buffer.byteLength(cut + next) > max);
          }
        },
      ),
    );
    assert.equal(truncateUtf8('aé😀', 2), 'a');
    assert.equal(truncateUtf8('aé😀', 6), 'aé');
    assert.equal(truncateUtf8('aé😀', 7), 'aé😀');
  });

  test('fitText leaves room for the prefix, the command and the target', () => {
    const text = 'ñ'.repeat(400);
    const cut = fitText('nick!~user@host', 'PRIVMSG', '#room', text);
    const line = serializeBody('nick!~user@host', 'PRIVMSG', ['#room', cut]);
    assert.ok(Buffer.byteLength(line) <= 510);
    assert.ok(Buffer.byteLength(line) >= 509, 'no more than one character short of the limit');
  });

  test('serializeBodyWithin cuts the last parameter first, then the longest middle one, and stays parseable', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 400 }), {
          minLength: 1,
          maxLength: 5,
        }),
        (params) => {
          const body = serializeBodyWithin('server.name', 'FAIL', params);
          assert.ok(Buffer.byteLength(body) <= 510, `${Buffer.byteLength(body)} bytes`);
          const parsed = parseLine(body);
          assert.ok(parsed.ok);
          assert.equal(parsed.message.command, 'FAIL');
        },
      ),
    );
    const short = serializeBodyWithin('s', 'CAP', ['*', 'NAK', 'a b c']);
    assert.equal(short, ':s CAP * NAK :a b c');
    const long = serializeBodyWithin('s', 'FAIL', ['REGISTER', 'BAD', 'n'.repeat(600), 'why']);
    assert.ok(long.startsWith(':s FAIL REGISTER BAD nnn'));
    assert.ok(Buffer.byteLength(long) <= 510);
  });
});
