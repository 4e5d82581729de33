/**
 * IRCv3 message-tags (https://ircv3.net/specs/extensions/message-tags).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  escapeTagValue,
  isClientTag,
  isValidTagKey,
  parseTags,
  serializeTags,
  type Tags,
  unescapeTagValue,
} from '../../src/protocol/tags.js';

/** Plain, sorted view of a tag record so null-prototype objects compare cleanly. */
function entries(tags: Tags): Array<[string, string]> {
  return Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Valid tag keys: optional '+', optional vendor (a host name) and '/', then a key name. */
const tagKey = fc.stringMatching(/^\+?([a-z0-9][a-z0-9.-]{0,10}\/)?[A-Za-z0-9-]{1,12}$/);

/** Strings biased towards the characters the escaping rules care about. */
const trickyString = fc.oneof(
  fc.string({ unit: fc.constantFrom(';', ' ', '\\', '\r', '\n', ':', 's', 'r', 'n', '=', 'a', '\0') }),
  fc.string({ unit: 'binary' }),
  fc.string(),
);

describe('tags: escaping', () => {
  test('message-tags §Escaping values: unescape(escape(v)) === v for arbitrary strings', () => {
    fc.assert(
      fc.property(trickyString, (v) => {
        assert.equal(unescapeTagValue(escapeTagValue(v)), v);
      }),
      { numRuns: 2000 },
    );
  });

  test('message-tags §Escaping values: escaped values never contain ; SPACE CR LF', () => {
    fc.assert(
      fc.property(trickyString, (v) => {
        assert.doesNotMatch(escapeTagValue(v), /[; \r\n]/);
      }),
      { numRuns: 1000 },
    );
  });

  test('message-tags §Escaping values: escapes leave other characters untouched', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (v) => {
        const plain = v.replace(/[; \\\r\n]/g, '');
        assert.equal(escapeTagValue(plain), plain);
        assert.equal(unescapeTagValue(plain), plain);
      }),
    );
  });

  test('message-tags §Escaping values: the spec table, in both directions', () => {
    const table: Array<[string, string]> = [
      [';', '\\:'],
      [' ', '\\s'],
      ['\\', '\\\\'],
      ['\r', '\\r'],
      ['\n', '\\n'],
    ];
    for (const [raw, escaped] of table) {
      assert.equal(escapeTagValue(raw), escaped, `escape ${JSON.stringify(raw)}`);
      assert.equal(unescapeTagValue(escaped), raw, `unescape ${JSON.stringify(escaped)}`);
    }
    assert.equal(escapeTagValue('a; b\\c\r\nd'), 'a\\:\\sb\\\\c\\r\\nd');
    assert.equal(unescapeTagValue('a\\:\\sb\\\\c\\r\\nd'), 'a; b\\c\r\nd');
  });

  test('message-tags §Escaping values: an invalid escape drops the backslash and keeps the character', () => {
    assert.equal(unescapeTagValue('\\b'), 'b');
    assert.equal(unescapeTagValue('a\\bc'), 'abc');
    assert.equal(unescapeTagValue('\\x41'), 'x41');
    assert.equal(unescapeTagValue('\\S'), 'S');
    assert.equal(unescapeTagValue('\\R\\N'), 'RN');
    assert.equal(unescapeTagValue('\\é'), 'é');
  });

  test('message-tags §Escaping values: a trailing lone backslash is dropped', () => {
    assert.equal(unescapeTagValue('\\'), '');
    assert.equal(unescapeTagValue('abc\\'), 'abc');
    assert.equal(unescapeTagValue('abc\\\\'), 'abc\\');
    assert.equal(unescapeTagValue('abc\\\\\\'), 'abc\\');
  });

  test('message-tags §Escaping values: unescaping arbitrary input never throws and never grows', () => {
    fc.assert(
      fc.property(trickyString, (raw) => {
        assert.ok(unescapeTagValue(raw).length <= raw.length);
      }),
      { numRuns: 1000 },
    );
  });

  test('message-tags §Escaping values: values without a backslash come back unchanged', () => {
    assert.equal(unescapeTagValue(''), '');
    assert.equal(unescapeTagValue('plain=value:with:colons'), 'plain=value:with:colons');
  });
});

describe('tags: parseTags', () => {
  test('message-tags §Format: an item with an empty key (`=x`) names no tag and is dropped', () => {
    // Found by the serialize∘parse fixpoint property: `@é;= X` kept a '' key that
    // serialization then lost, so a second parse differed from the first.
    assert.deepEqual({ ...parseTags('é;=') }, { é: '' });
    assert.deepEqual({ ...parseTags('=x;a=b') }, { a: 'b' });
  });

  test('message-tags §Format: key=value pairs separated by ;', () => {
    assert.deepEqual(entries(parseTags('a=1;b=2;c=3')), [
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
    ]);
  });

  test('message-tags §Format: values are unescaped', () => {
    assert.deepEqual(entries(parseTags('msg=hello\\sworld\\:\\\\')), [['msg', 'hello world;\\']]);
  });

  test('message-tags §Format: a value may itself contain "="', () => {
    assert.deepEqual(entries(parseTags('k=a=b=c')), [['k', 'a=b=c']]);
  });

  test('message-tags §Format: a tag without a value maps to ""', () => {
    assert.deepEqual(entries(parseTags('bot')), [['bot', '']]);
    assert.deepEqual(entries(parseTags('a;b=1;c')), [
      ['a', ''],
      ['b', '1'],
      ['c', ''],
    ]);
  });

  test('message-tags §Format: an empty value ("key=") is the same as no value', () => {
    assert.deepEqual(entries(parseTags('a=')), [['a', '']]);
    assert.deepEqual(entries(parseTags('a=')), entries(parseTags('a')));
  });

  test('message-tags §Format: duplicate keys, the last one wins', () => {
    assert.deepEqual(entries(parseTags('a=1;a=2')), [['a', '2']]);
    assert.deepEqual(entries(parseTags('a=1;b=x;a=3')), [
      ['a', '3'],
      ['b', 'x'],
    ]);
    assert.deepEqual(entries(parseTags('a=1;a')), [['a', '']]);
    assert.deepEqual(entries(parseTags('a;a=1')), [['a', '1']]);
  });

  test('message-tags §Format: duplicates, last wins (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', '+d', 'x/e'), fc.string()), { minLength: 1 }),
        (pairs) => {
          const section = pairs.map(([k, v]) => (v === '' ? k : k + '=' + escapeTagValue(v))).join(';');
          const expected = new Map<string, string>();
          for (const [k, v] of pairs) expected.set(k, v);
          const parsed = parseTags(section);
          assert.deepEqual(
            entries(parsed),
            [...expected].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
          );
        },
      ),
    );
  });

  test('message-tags §Format: empty items (";;", leading/trailing ";") are ignored', () => {
    assert.deepEqual(entries(parseTags('')), []);
    assert.deepEqual(entries(parseTags(';')), []);
    assert.deepEqual(entries(parseTags(';a=1;;b;')), [
      ['a', '1'],
      ['b', ''],
    ]);
  });

  test('message-tags §Format: keys such as __proto__ are stored as plain data', () => {
    const tags = parseTags('__proto__=x;constructor=y');
    assert.equal(Object.getOwnPropertyDescriptor(tags, '__proto__')?.value, 'x');
    assert.equal(tags['constructor'], 'y');
    assert.equal(Object.getPrototypeOf(tags), null);
  });

  test('message-tags §Format: parsing arbitrary input never throws', () => {
    fc.assert(
      fc.property(trickyString, (s) => {
        parseTags(s);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('tags: serializeTags', () => {
  test('message-tags §Format: empty record serializes to ""', () => {
    assert.equal(serializeTags({}), '');
  });

  test('message-tags §Format: empty values are sent without "="', () => {
    assert.equal(serializeTags({ a: '', b: 'x' }), 'a;b=x');
  });

  test('message-tags §Escaping values: values are escaped on the way out', () => {
    assert.equal(serializeTags({ msg: 'a b;c\\d\r\n' }), 'msg=a\\sb\\:c\\\\d\\r\\n');
  });

  test('message-tags §Format: serializeTags/parseTags round trip (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(tagKey, trickyString, { maxKeys: 8 }), (tags) => {
        const wire = serializeTags(tags);
        assert.doesNotMatch(wire, /[ \r\n]/);
        assert.deepEqual(entries(parseTags(wire)), entries(tags));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('tags: keys', () => {
  test('message-tags §Format: isValidTagKey accepts spec-shaped keys', () => {
    for (const key of [
      'a',
      'time',
      'msgid',
      'draft-reply',
      '+typing',
      '+draft/reply',
      'example.com/foo',
      '+example.com/foo-bar',
      'vendor-1.example/x',
      'A1',
      '0',
    ]) {
      assert.equal(isValidTagKey(key), true, key);
    }
  });

  test('message-tags §Format: isValidTagKey rejects malformed keys', () => {
    for (const key of [
      '',
      '+',
      '/',
      'a/',
      '/a',
      'a b',
      'a=b',
      'a;b',
      'a_b',
      '++a',
      'a+',
      'x/y/z',
      'é',
      'a\r',
      'a\n',
      'a\0',
      '@a',
      ':a',
    ]) {
      assert.equal(isValidTagKey(key), false, JSON.stringify(key));
    }
  });

  test('message-tags §Format: generated valid keys are accepted (property)', () => {
    fc.assert(fc.property(tagKey, (k) => assert.equal(isValidTagKey(k), true)));
  });

  test('message-tags §Format: a valid key never contains "=", ";", space, CR, LF or NUL (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary-ascii' }), (k) => {
        if (isValidTagKey(k)) assert.doesNotMatch(k, /[=; \r\n\0]/);
      }),
      { numRuns: 2000 },
    );
  });

  test('message-tags §Client-only tags: keys starting with "+" are client-only', () => {
    assert.equal(isClientTag('+typing'), true);
    assert.equal(isClientTag('+example.com/x'), true);
    assert.equal(isClientTag('time'), false);
    assert.equal(isClientTag('example.com/+x'), false);
    assert.equal(isClientTag(''), false);
  });
});
