/**
 * RPL_ISUPPORT (modern client protocol docs, "Feature Advertisement" / "RPL_ISUPPORT Parameters").
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  escapeIsupportValue,
  formatIsupport,
  ISUPPORT_PER_LINE,
  type IsupportTokens,
} from '../../src/protocol/isupport.js';
import { parseLine, serializeBody } from '../../src/protocol/message.js';

/** Decodes `\xHH` escapes the way a client would. */
function unescapeIsupportValue(value: string): string {
  return value.replace(/\\x([0-9A-Fa-f]{2})/g, (_, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
}

const tokenKey = fc.stringMatching(/^[A-Z][A-Z0-9]{0,11}$/);
const tokenValue = fc.oneof(
  fc.constant(null),
  fc.constant(''),
  fc.string({
    unit: fc.constantFrom('a', '1', ' ', '=', '\\', 'x', '5', 'C', ',', '(', ')', '#', 'é'),
    maxLength: 12,
  }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
);
const tokensArb: fc.Arbitrary<IsupportTokens> = fc.array(fc.tuple(tokenKey, tokenValue), { maxLength: 60 });

describe('isupport: escaping', () => {
  test('modern docs §RPL_ISUPPORT Parameters: space, backslash and "=" are escaped as \\x20 \\x5C \\x3D', () => {
    assert.equal(escapeIsupportValue(' '), '\\x20');
    assert.equal(escapeIsupportValue('\\'), '\\x5C');
    assert.equal(escapeIsupportValue('='), '\\x3D');
    assert.equal(escapeIsupportValue('My Net=Work\\'), 'My\\x20Net\\x3DWork\\x5C');
    assert.equal(escapeIsupportValue('(ov)@+'), '(ov)@+');
    assert.equal(escapeIsupportValue(''), '');
  });

  test('modern docs §RPL_ISUPPORT Parameters: escaped values have no space or "=" and decode back (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          tokenValue.map((v) => v ?? ''),
        ),
        (v) => {
          const escaped = escapeIsupportValue(v);
          assert.doesNotMatch(escaped, /[ =]/);
          assert.equal(unescapeIsupportValue(escaped), v);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('isupport: formatIsupport', () => {
  test('modern docs §Feature Advertisement: at most 13 tokens per line', () => {
    assert.equal(ISUPPORT_PER_LINE, 13);
    const tokens = (n: number): IsupportTokens => Array.from({ length: n }, (_, i) => [`T${i}`, null]);
    assert.deepEqual(formatIsupport([]), []);
    assert.deepEqual(
      formatIsupport(tokens(1)).map((l) => l.length),
      [1],
    );
    assert.deepEqual(
      formatIsupport(tokens(13)).map((l) => l.length),
      [13],
    );
    assert.deepEqual(
      formatIsupport(tokens(14)).map((l) => l.length),
      [13, 1],
    );
    assert.deepEqual(
      formatIsupport(tokens(27)).map((l) => l.length),
      [13, 13, 1],
    );
  });

  test('modern docs §RPL_ISUPPORT Parameters: KEY, KEY=value, and empty/null values sent bare', () => {
    assert.deepEqual(
      formatIsupport([
        ['CASEMAPPING', 'ascii'],
        ['SAFELIST', null],
        ['EXCEPTS', ''],
        ['NETWORK', 'My Net'],
        ['CHANTYPES', '#'],
      ]),
      [['CASEMAPPING=ascii', 'SAFELIST', 'EXCEPTS', 'NETWORK=My\\x20Net', 'CHANTYPES=#']],
    );
  });

  test('modern docs §Feature Advertisement: ≤13 non-empty lines, ceil(n/13) of them, order preserved (property)', () => {
    fc.assert(
      fc.property(tokensArb, (tokens) => {
        const lines = formatIsupport(tokens);
        assert.equal(lines.length, Math.ceil(tokens.length / ISUPPORT_PER_LINE));
        for (const line of lines) {
          assert.ok(line.length >= 1 && line.length <= ISUPPORT_PER_LINE);
        }
        const flat = lines.flat();
        assert.equal(flat.length, tokens.length);
        flat.forEach((tok, i) => {
          const [key, value] = tokens[i]!;
          if (value === null || value === '') assert.equal(tok, key);
          else {
            assert.equal(tok, key + '=' + escapeIsupportValue(value));
            const eq = tok.indexOf('=');
            assert.equal(tok.slice(0, eq), key);
            assert.equal(unescapeIsupportValue(tok.slice(eq + 1)), value);
          }
        });
      }),
      { numRuns: 1000 },
    );
  });

  test('modern docs §Feature Advertisement: each 005 line survives the wire as separate middle parameters (property)', () => {
    fc.assert(
      fc.property(tokensArb, (tokens) => {
        for (const line of formatIsupport(tokens)) {
          const body = serializeBody('irc.example', '005', ['nick', ...line, 'are supported by this server']);
          const r = parseLine(body);
          assert.ok(r.ok);
          assert.deepEqual(r.message.params, ['nick', ...line, 'are supported by this server']);
        }
      }),
      { numRuns: 500 },
    );
  });
});
