/**
 * Message grammar: RFC 2812 §2.3.1, the modern client protocol docs ("Message Format")
 * and the IRCv3 message-tags prefix.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type IrcMessage,
  MAX_BODY_BYTES,
  MAX_CLIENT_TAGS_BYTES,
  MAX_TAGS_BYTES,
  type ParseResult,
  parseLine,
  serializeBody,
  serializeMessage,
} from '../../src/protocol/message.js';
import type { Tags } from '../../src/protocol/tags.js';

function entries(tags: Tags): Array<[string, string]> {
  return Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Parses and asserts success; returns a plain, comparable view of the message. */
function parsed(line: string): {
  tags: Array<[string, string]>;
  source: string | null;
  command: string;
  params: string[];
} {
  const r = parseLine(line);
  if (!r.ok) throw new assert.AssertionError({ message: `expected ${JSON.stringify(line)} to parse` });
  return {
    tags: entries(r.message.tags),
    source: r.message.source,
    command: r.message.command,
    params: r.message.params,
  };
}

function failure(line: string): string {
  const r = parseLine(line);
  if (r.ok) throw new assert.AssertionError({ message: `expected ${JSON.stringify(line)} to be rejected` });
  return r.reason;
}

/** Strips the CR LF serializeMessage adds, asserting it is there. */
function wireLine(msg: IrcMessage): string {
  const wire = serializeMessage(msg);
  assert.ok(wire.endsWith('\r\n'));
  return wire.slice(0, -2);
}

// ---- generators --------------------------------------------------------------------------

/** Characters that stress the grammar, plus some non-ASCII. */
const trickyChar = fc.constantFrom('a', 'B', ':', '@', '!', '=', ';', '\\', '#', '*', '\t', 'é', '😀', '\0');
/** Any character except the message separators SPACE, CR, LF. */
const wordChar = fc
  .oneof(trickyChar, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }))
  .map((c) => c.replace(/[ \r\n]/g, 'x'));
const anyCharButCrLf = fc.oneof(wordChar, fc.constant(' '));

const tagKey = fc.stringMatching(/^\+?([a-z0-9][a-z0-9.-]{0,8}\/)?[A-Za-z0-9-]{1,10}$/);
const tagValue = fc.oneof(
  fc.string(),
  fc.string({ unit: fc.constantFrom(';', ' ', '\\', '\r', '\n', 's', ':') }),
);
const tagsArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant({} as Tags) },
  { weight: 2, arbitrary: fc.dictionary(tagKey, tagValue, { maxKeys: 5 }) as fc.Arbitrary<Tags> },
);
const sourceArb = fc.option(fc.string({ unit: wordChar, minLength: 1, maxLength: 20 }), { nil: null });
const commandArb = fc.oneof(fc.stringMatching(/^[A-Z]{1,12}$/), fc.stringMatching(/^[0-9]{3}$/));
/** A middle parameter: non-empty, no SPACE, not starting with ':'. */
const middleArb = fc
  .string({ unit: wordChar, minLength: 1, maxLength: 12 })
  .map((s) => (s.startsWith(':') ? 'x' + s : s));
/** The last parameter may be empty, contain spaces or start with ':'. */
const lastArb = fc.oneof(
  middleArb,
  fc.string({ unit: anyCharButCrLf, maxLength: 30 }),
  fc.constantFrom('', ' ', ':', '::', ' :a', 'a b', ':a b'),
);
const paramsArb = fc.oneof(
  fc.constant([] as string[]),
  fc.tuple(fc.array(middleArb, { maxLength: 14 }), lastArb).map(([middles, last]) => [...middles, last]),
);
const messageArb: fc.Arbitrary<IrcMessage> = fc.record({
  tags: tagsArb,
  source: sourceArb,
  command: commandArb,
  params: paramsArb,
});

/** Arbitrary input, heavy on the characters the parser branches on. */
const hostileLine = fc.oneof(
  fc.string({ unit: fc.constantFrom(' ', '@', ':', ';', '=', 'a', '\0', '\\', 'é', '\uD800', '\r', '\n') }),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.string(),
);

// ---- round trips -------------------------------------------------------------------------

describe('message: round trip', () => {
  test('RFC 2812 §2.3.1: parseLine(serializeMessage(m)) === m for generated valid messages', () => {
    fc.assert(
      fc.property(messageArb, (msg) => {
        const got = parsed(wireLine(msg));
        assert.deepEqual(got, {
          tags: entries(msg.tags),
          source: msg.source,
          command: msg.command,
          params: msg.params,
        });
      }),
      { numRuns: 3000 },
    );
  });

  test('RFC 2812 §2.3.1: serialized messages contain no CR/LF/NUL except the final CR LF', () => {
    fc.assert(
      fc.property(messageArb, (msg) => {
        const body = wireLine(msg);
        assert.doesNotMatch(body, /[\r\n]/);
      }),
      { numRuns: 1000 },
    );
  });

  test('RFC 2812 §2.3.1: serialize∘parse reaches a fixpoint after one step on arbitrary input', () => {
    fc.assert(
      fc.property(hostileLine, (raw) => {
        const line = raw.replace(/[\r\n]/g, '');
        const first = parseLine(line);
        if (!first.ok) return;
        // A command token starting with '@' or ':' (e.g. '@ @', tags section empty) is not a command
        // the grammar allows (letter / digit only); the server answers it with 421, never relays it.
        fc.pre(!/^[@:]/.test(first.message.command));
        const once = wireLine(first.message);
        const second = parseLine(once);
        assert.ok(second.ok, `re-parse of ${JSON.stringify(once)}`);
        assert.equal(wireLine(second.message), once);
      }),
      { numRuns: 3000 },
    );
  });
});

// ---- robustness --------------------------------------------------------------------------

describe('message: parser robustness', () => {
  test('modern docs §Message Format: parseLine never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(hostileLine, (line) => {
        const r: ParseResult = parseLine(line);
        assert.equal(typeof r.ok, 'boolean');
      }),
      { numRuns: 5000 },
    );
  });

  test('RFC 2812 §2.3.1: successful parses satisfy the grammar invariants (property)', () => {
    fc.assert(
      fc.property(hostileLine, (line) => {
        const r = parseLine(line);
        if (!r.ok) return;
        const { command, source, params } = r.message;
        assert.ok(command.length > 0, 'command is non-empty');
        assert.ok(!command.includes(' '), 'command has no space');
        if (source !== null) assert.ok(!source.includes(' '), 'source has no space');
        for (let i = 0; i < params.length - 1; i++) {
          const p = params[i]!;
          assert.ok(p.length > 0, 'middle params are non-empty');
          assert.ok(!p.includes(' '), 'middle params have no space');
          assert.ok(!p.startsWith(':'), 'middle params do not start with ":"');
        }
        assert.ok(r.tagBytes >= 0);
      }),
      { numRuns: 5000 },
    );
  });

  test('modern docs §Message Format: degenerate inputs are rejected, not thrown on', () => {
    assert.equal(failure(''), 'empty');
    assert.equal(failure(' '), 'empty');
    assert.equal(failure('     '), 'empty');
    assert.equal(failure('@'), 'no-command');
    assert.equal(failure('@@@'), 'no-command');
    assert.equal(failure('@a=b'), 'no-command');
    assert.equal(failure('@a=b '), 'no-command');
    assert.equal(failure('@a=b    '), 'no-command');
    assert.equal(failure(':'), 'no-command');
    assert.equal(failure('::'), 'no-command');
    assert.equal(failure(':src'), 'no-command');
    assert.equal(failure(':src '), 'no-command');
    assert.equal(failure(':src    '), 'no-command');
    assert.equal(failure('@a=b :src'), 'no-command');
    assert.equal(failure('@a=b :src  '), 'no-command');
    assert.equal(failure('  :src'), 'no-command');
  });

  test('modern docs §Message Format: NUL and other control characters do not break parsing', () => {
    assert.deepEqual(parsed('CMD a\0b :c\0d'), {
      tags: [],
      source: null,
      command: 'CMD',
      params: ['a\0b', 'c\0d'],
    });
    assert.deepEqual(parsed('\0'), { tags: [], source: null, command: '\0', params: [] });
    assert.deepEqual(parsed('CMD a\tb'), { tags: [], source: null, command: 'CMD', params: ['a\tb'] });
  });

  test('modern docs §Message Format: non-ASCII text passes through untouched', () => {
    assert.deepEqual(parsed(':ñíck!ü@hôst PRIVMSG #çanal :héllo 😀 wörld'), {
      tags: [],
      source: 'ñíck!ü@hôst',
      command: 'PRIVMSG',
      params: ['#çanal', 'héllo 😀 wörld'],
    });
  });
});

// ---- known lines -------------------------------------------------------------------------

describe('message: known lines', () => {
  test('RFC 2812 §2.3.1: prefix, command, no params (":src CMD")', () => {
    assert.deepEqual(parsed(':src CMD'), { tags: [], source: 'src', command: 'CMD', params: [] });
  });

  test('RFC 2812 §2.3.1: an empty trailing parameter ("CMD :")', () => {
    assert.deepEqual(parsed('CMD :'), { tags: [], source: null, command: 'CMD', params: [''] });
    assert.deepEqual(parsed('CMD a :'), { tags: [], source: null, command: 'CMD', params: ['a', ''] });
  });

  test('modern docs §Parameters: multiple spaces between parameters are one separator ("CMD a  b")', () => {
    assert.deepEqual(parsed('CMD a  b'), { tags: [], source: null, command: 'CMD', params: ['a', 'b'] });
    assert.deepEqual(parsed('CMD    a     b    :c  d '), {
      tags: [],
      source: null,
      command: 'CMD',
      params: ['a', 'b', 'c  d '],
    });
    assert.deepEqual(parsed(':src    CMD   x'), { tags: [], source: 'src', command: 'CMD', params: ['x'] });
  });

  test('message-tags §Format: tags then command ("@a=b CMD")', () => {
    assert.deepEqual(parsed('@a=b CMD'), { tags: [['a', 'b']], source: null, command: 'CMD', params: [] });
    assert.deepEqual(parsed('@a=b   CMD'), { tags: [['a', 'b']], source: null, command: 'CMD', params: [] });
    assert.deepEqual(parsed('@ CMD'), { tags: [], source: null, command: 'CMD', params: [] });
  });

  test('modern docs §Message Format: leading spaces are skipped', () => {
    assert.deepEqual(parsed('   CMD x'), { tags: [], source: null, command: 'CMD', params: ['x'] });
    assert.deepEqual(parsed('  @a=b :s CMD'), {
      tags: [['a', 'b']],
      source: 's',
      command: 'CMD',
      params: [],
    });
  });

  test('modern docs §Parameters: trailing spaces after middle parameters add no parameter', () => {
    assert.deepEqual(parsed('CMD a b '), { tags: [], source: null, command: 'CMD', params: ['a', 'b'] });
    assert.deepEqual(parsed('CMD a b      '), { tags: [], source: null, command: 'CMD', params: ['a', 'b'] });
    assert.deepEqual(parsed('CMD   '), { tags: [], source: null, command: 'CMD', params: [] });
  });

  test('RFC 2812 §2.3.1: trailing parameter keeps its spaces and colons', () => {
    assert.deepEqual(parsed('CMD a :b c :d  '), {
      tags: [],
      source: null,
      command: 'CMD',
      params: ['a', 'b c :d  '],
    });
    assert.deepEqual(parsed('CMD ::-)'), { tags: [], source: null, command: 'CMD', params: [':-)'] });
    assert.deepEqual(parsed('CMD : '), { tags: [], source: null, command: 'CMD', params: [' '] });
  });

  test('RFC 2812 §2.3.1: a colon inside a middle parameter is ordinary', () => {
    assert.deepEqual(parsed('CMD a:b c: :d'), {
      tags: [],
      source: null,
      command: 'CMD',
      params: ['a:b', 'c:', 'd'],
    });
  });

  test('RFC 2812 §2.3.1: the spec example ":WiZ!jto@tolsun.oulu.fi NICK Kilroy"', () => {
    assert.deepEqual(parsed(':WiZ!jto@tolsun.oulu.fi NICK Kilroy'), {
      tags: [],
      source: 'WiZ!jto@tolsun.oulu.fi',
      command: 'NICK',
      params: ['Kilroy'],
    });
  });

  test('modern docs §Message Format: the docs examples', () => {
    assert.deepEqual(parsed(':irc.example.com CAP * LIST :'), {
      tags: [],
      source: 'irc.example.com',
      command: 'CAP',
      params: ['*', 'LIST', ''],
    });
    assert.deepEqual(parsed('CAP * LS :multi-prefix sasl'), {
      tags: [],
      source: null,
      command: 'CAP',
      params: ['*', 'LS', 'multi-prefix sasl'],
    });
    assert.deepEqual(parsed('CAP REQ :sasl message-tags foo'), {
      tags: [],
      source: null,
      command: 'CAP',
      params: ['REQ', 'sasl message-tags foo'],
    });
    assert.deepEqual(
      parsed(':dan!d@localhost PRIVMSG #chan :Hey!'),
      parsed(':dan!d@localhost PRIVMSG #chan Hey!'),
    );
    assert.deepEqual(parsed(':dan!d@localhost PRIVMSG #chan ::-)').params, ['#chan', ':-)']);
    assert.deepEqual(parsed("@id=234AB :dan!d@localhost PRIVMSG #chan :Hey what's up!"), {
      tags: [['id', '234AB']],
      source: 'dan!d@localhost',
      command: 'PRIVMSG',
      params: ['#chan', "Hey what's up!"],
    });
  });

  test('message-tags §Format: the spec example with valueless and vendor tags', () => {
    assert.deepEqual(parsed('@aaa=bbb;ccc;example.com/ddd=eee :nick!ident@host.com PRIVMSG me :Hello'), {
      tags: [
        ['aaa', 'bbb'],
        ['ccc', ''],
        ['example.com/ddd', 'eee'],
      ],
      source: 'nick!ident@host.com',
      command: 'PRIVMSG',
      params: ['me', 'Hello'],
    });
  });

  test('message-tags §Escaping values: tag values are unescaped by the parser', () => {
    assert.deepEqual(parsed('@a=x\\sy\\:z\\\\ CMD').tags, [['a', 'x y;z\\']]);
  });

  test('RFC 2812 §2.3.1: an empty source (": CMD") is kept as ""', () => {
    assert.deepEqual(parsed(': CMD'), { tags: [], source: '', command: 'CMD', params: [] });
  });

  test('RFC 2812 §2.3.1: fifteen parameters, the 15th a trailing one', () => {
    const middles = Array.from({ length: 14 }, (_, i) => `p${i}`);
    assert.deepEqual(parsed(`CMD ${middles.join(' ')} :last one`).params, [...middles, 'last one']);
  });
});

// ---- command -----------------------------------------------------------------------------

describe('message: command', () => {
  test('RFC 2812 §2.3.1: commands are upper-cased', () => {
    assert.equal(parsed('privmsg #a :hi').command, 'PRIVMSG');
    assert.equal(parsed('PrivMsg #a :hi').command, 'PRIVMSG');
    assert.equal(parsed(':s nick x').command, 'NICK');
    assert.equal(parsed('@t=1 cap ls 302').command, 'CAP');
  });

  test('RFC 2812 §2.3.1: numerics stay as three digits', () => {
    assert.equal(parsed(':srv 001 nick :Welcome').command, '001');
    assert.equal(parsed(':srv 433 * nick :in use').command, '433');
  });

  test('RFC 2812 §2.3.1: upper-casing ASCII letter commands (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z]{1,16}$/), (cmd) => {
        assert.equal(parsed(`${cmd} x`).command, cmd.toUpperCase());
      }),
    );
  });

  test('RFC 2812 §2.3.1: only ASCII letters are upper-cased (non-ASCII never folds onto a command)', () => {
    // Unicode upper-casing maps 'ı' (U+0131) to 'I' and 'ſ' (U+017F) to 'S', and 'ß' to 'SS'.
    // letter = %x41-5A / %x61-7A, so such commands must stay distinct from PRIVMSG / SETNAME.
    assert.notEqual(parsed('prıvmsg #a :hi').command, 'PRIVMSG');
    assert.notEqual(parsed('ſetname :x').command, 'SETNAME');
    assert.equal(parsed('ſetname :x').command, 'ſETNAME');
    assert.equal(parsed('straße').command, 'STRAßE');
    assert.equal(parsed('éa').command, 'éA');
  });

  test('RFC 2812 §2.3.1: the command is the ASCII upper-case of the token, code unit for code unit (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: wordChar, minLength: 1, maxLength: 10 }), (tok) => {
        fc.pre(!tok.startsWith('@') && !tok.startsWith(':'));
        const cmd = parsed(`${tok} x`).command;
        assert.equal(cmd.length, tok.length);
        assert.equal(
          cmd,
          tok.replace(/[a-z]/g, (c) => c.toUpperCase()),
        );
      }),
      { numRuns: 2000 },
    );
  });
});

// ---- serializeBody / serializeMessage ---------------------------------------------------

describe('message: serialization', () => {
  test('RFC 2812 §2.3.1: serializeBody without params or source', () => {
    assert.equal(serializeBody(null, 'PING', []), 'PING');
    assert.equal(serializeBody('srv', 'PING', []), ':srv PING');
  });

  test('RFC 2812 §2.3.1: serializeBody adds ":" to the last param only when needed', () => {
    assert.equal(serializeBody(null, 'CMD', ['x']), 'CMD x');
    assert.equal(serializeBody(null, 'CMD', ['a', 'b']), 'CMD a b');
    assert.equal(serializeBody(null, 'CMD', ['a:b']), 'CMD a:b');
    assert.equal(serializeBody(null, 'CMD', ['a', '']), 'CMD a :');
    assert.equal(serializeBody(null, 'CMD', ['a', 'b c']), 'CMD a :b c');
    assert.equal(serializeBody(null, 'CMD', [':x']), 'CMD ::x');
    assert.equal(serializeBody(null, 'CMD', [' ']), 'CMD : ');
    assert.equal(serializeBody(null, 'CMD', ['x ']), 'CMD :x ');
    assert.equal(serializeBody('n!u@h', 'PRIVMSG', ['#c', 'hello world']), ':n!u@h PRIVMSG #c :hello world');
  });

  test('RFC 2812 §2.3.1: ":" precedes the last param exactly when it is empty, has a space or starts with ":" (property)', () => {
    fc.assert(
      fc.property(fc.array(middleArb, { maxLength: 5 }), lastArb, (middles, last) => {
        const body = serializeBody(null, 'CMD', [...middles, last]);
        const prefix = ['CMD', ...middles].join(' ') + ' ';
        assert.ok(body.startsWith(prefix));
        const tail = body.slice(prefix.length);
        const needs = last === '' || last.startsWith(':') || last.includes(' ');
        assert.equal(tail, needs ? ':' + last : last);
      }),
      { numRuns: 2000 },
    );
  });

  test('RFC 2812 §2.3: serializeMessage ends with CR LF and puts tags first', () => {
    assert.equal(serializeMessage({ tags: {}, source: null, command: 'PING', params: ['x'] }), 'PING x\r\n');
    assert.equal(
      serializeMessage({
        tags: { time: '2020-01-01T00:00:00.000Z' },
        source: 's',
        command: 'CMD',
        params: [],
      }),
      '@time=2020-01-01T00:00:00.000Z :s CMD\r\n',
    );
    assert.equal(
      serializeMessage({ tags: { a: '', b: 'x y' }, source: null, command: 'CMD', params: ['p q'] }),
      '@a;b=x\\sy CMD :p q\r\n',
    );
  });
});

// ---- sizes -------------------------------------------------------------------------------

describe('message: sizes', () => {
  test('message-tags §Size limit and RFC 2812 §2.3: the limits', () => {
    assert.equal(MAX_TAGS_BYTES, 8191);
    assert.equal(MAX_CLIENT_TAGS_BYTES, 4094);
    assert.equal(MAX_BODY_BYTES, 512);
  });

  test('message-tags §Size limit: tagBytes counts UTF-8 bytes of the section plus "@" and the space', () => {
    const r0 = parseLine('CMD');
    assert.ok(r0.ok);
    assert.equal(r0.tagBytes, 0);
    const r1 = parseLine('@a=b CMD');
    assert.ok(r1.ok);
    assert.equal(r1.tagBytes, 5);
    const r2 = parseLine('@a=é CMD');
    assert.ok(r2.ok);
    assert.equal(r2.tagBytes, 4 + 2); // "a=é" is 4 bytes
    const r3 = parseLine('@a=b    CMD');
    assert.ok(r3.ok);
    assert.equal(r3.tagBytes, 5);
  });

  test('message-tags §Size limit: tagBytes === bytes of "@" + section + " " (property)', () => {
    fc.assert(
      fc.property(fc.dictionary(tagKey, tagValue, { minKeys: 1, maxKeys: 5 }), (tags) => {
        const wire = wireLine({ tags, source: null, command: 'CMD', params: [] });
        const r = parseLine(wire);
        assert.ok(r.ok);
        assert.equal(r.tagBytes, Buffer.byteLength(wire) - Buffer.byteLength('CMD'));
      }),
    );
  });
});
