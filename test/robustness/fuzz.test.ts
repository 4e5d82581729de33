/**
 * Property: whatever a client sends, the server answers or ignores it and carries on.
 * fast-check generates random and adversarial input (random bytes, huge and numerous
 * parameters, odd tags, every known command with random arguments, CR/LF/NUL sprinkled
 * anywhere) and sends it over live connections: registered and in the room, registered
 * elsewhere, and not yet registered. After every run the connection either answers PING or
 * was closed by the server with a reason; at the end two bystanders in the room still talk,
 * a newcomer can register, and no handler failed, rejected or threw.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { joinRoom, pingOrClosed, say } from './util.js';

const RUNS = 300;

const KNOWN_COMMANDS = [
  'PRIVMSG',
  'NOTICE',
  'TAGMSG',
  'JOIN',
  'PART',
  'TOPIC',
  'NAMES',
  'LIST',
  'KICK',
  'INVITE',
  'MODE',
  'WHO',
  'WHOIS',
  'WHOWAS',
  'USERHOST',
  'ISON',
  'AWAY',
  'SETNAME',
  'MONITOR',
  'OPER',
  'KILL',
  'WALLOPS',
  'CHGHOST',
  'LUSERS',
  'MOTD',
  'TIME',
  'VERSION',
  'INFO',
  'CAP',
  'PASS',
  'NICK',
  'USER',
  'PING',
  'PONG',
  'QUIT',
] as const;

/** Tokens that mean something to some command: targets, masks, modes, subcommands. */
const MEANINGFUL = [
  '#fuzz',
  '#FUZZ',
  '#',
  '##',
  '&local',
  '#a,#b,#c',
  '#fuzz,#fuzz,#fuzz',
  'bob',
  'carol',
  'BOB',
  'bob,carol,nobody',
  '*',
  '*!*@*',
  'bob!*@*',
  '+o',
  '-o',
  '+ovbl',
  '+b',
  '-b',
  '+k',
  '+l',
  '+i',
  '+m',
  '+n',
  '+t',
  '+s',
  '+imnst',
  '+oooooooooooooooooooo',
  '-',
  '+',
  '0',
  '-1',
  '99999999999999999999',
  'NaN',
  ':',
  '::',
  '',
  ',',
  ',,,',
  'LS',
  'LIST',
  'REQ',
  'END',
  'ACK',
  '302',
  'multi-prefix',
  'echo-message labeled-response batch message-tags server-time',
  '-cap-notify',
  '+',
  'C',
  'L',
  'S',
  'X',
  'root',
  '@#fuzz',
  '+#fuzz',
  'nick!user@host',
  '\u0130\u0131\u017f',
  '\u202e',
  '\u{1F600}',
];

const anyText = fc.string({ unit: 'binary', maxLength: 40 });
const asciiText = fc.string({ unit: 'binary-ascii', maxLength: 40 });
const huge = fc
  .tuple(fc.constantFrom('x', 'é', '😀', ' ', ':', ',', '#', '\\'), fc.integer({ min: 100, max: 12_000 }))
  .map(([c, n]) => c.repeat(n));

/** One middle parameter: no spaces, not starting with ':' (it may still be odd). */
const middle = fc
  .oneof(
    { weight: 4, arbitrary: fc.constantFrom(...MEANINGFUL) },
    { weight: 2, arbitrary: asciiText },
    { weight: 2, arbitrary: anyText },
    { weight: 1, arbitrary: huge },
  )
  .map((p) => p.replace(/ /g, '_'));

const trailing = fc.oneof(anyText, asciiText, huge, fc.constantFrom(...MEANINGFUL)).map((t) => ':' + t);

const params = fc.oneof(
  { weight: 5, arbitrary: fc.array(middle, { maxLength: 6 }) },
  { weight: 1, arbitrary: fc.array(middle, { minLength: 15, maxLength: 400 }) },
);

const tagKey = fc.oneof(
  fc.constantFrom(
    'label',
    'batch',
    'time',
    'msgid',
    'account',
    '+typing',
    '+draft/reply',
    '+example.com/foo',
    '+',
    '',
    '/',
    'a/b/c',
    '-',
    '=',
    'é',
  ),
  asciiText.map((k) => k.replace(/[ ;=]/g, '')),
);
const tagValue = fc.oneof(
  fc.constantFrom('', '\\', '\\\\', '\\s', '\\:', '\\r\\n', '\\0', 'a\\', '==', 'x'.repeat(5000)),
  asciiText.map((v) => v.replace(/[ ;]/g, '')),
  anyText.map((v) => v.replace(/[ ;]/g, '')),
);
const tagSection = fc.oneof(
  { weight: 4, arbitrary: fc.constant('') },
  {
    weight: 3,
    arbitrary: fc
      .array(fc.tuple(tagKey, fc.option(tagValue)), { minLength: 1, maxLength: 8 })
      .map((tags) => '@' + tags.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join(';') + ' '),
  },
  { weight: 1, arbitrary: fc.constantFrom('@ ', '@; ', '@=;=; ', '@;;;;; ', '@@ ', '@+ ') },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 100, max: 10_000 }).map((n) => `@+big=${'v'.repeat(n)} `),
  },
);

const source = fc.oneof(
  { weight: 5, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.constantFrom(':bob!~bob@127.0.0.1 ', ':tertulia.local ', ': ', ':x ') },
  { weight: 1, arbitrary: asciiText.map((s) => `:${s.replace(/ /g, '')} `) },
);

const command = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...KNOWN_COMMANDS) },
  { weight: 1, arbitrary: fc.constantFrom(...KNOWN_COMMANDS).map((c) => c.toLowerCase()) },
  { weight: 1, arbitrary: fc.constantFrom('001', '433', 'ERROR', 'BATCH', 'ACK', 'FAIL', 'AUTHENTICATE') },
  { weight: 1, arbitrary: asciiText.map((c) => c.replace(/ /g, '') || 'X') },
);

/** A line built from IRC parts, as text (no line end yet). */
const structured = fc
  .tuple(tagSection, source, command, params, fc.option(trailing))
  .map(([tags, src, cmd, ps, tr]) => tags + src + [cmd, ...ps, ...(tr === null ? [] : [tr])].join(' '));

/** Inserts CR, LF, NUL (and other control bytes) at random places. */
const sprinkled = fc
  .tuple(
    structured,
    fc.array(fc.tuple(fc.nat(), fc.constantFrom('\r', '\n', '\0', '\r\n', '\x01', '\x7f', '\t')), {
      minLength: 1,
      maxLength: 5,
    }),
  )
  .map(([line, inserts]) => {
    let out = line;
    for (const [at, ch] of inserts) {
      const i = at % (out.length + 1);
      out = out.slice(0, i) + ch + out.slice(i);
    }
    return out;
  });

const lineEnd = fc.constantFrom('\r\n', '\r\n', '\r\n', '\n', '\r', '');

/** One line as bytes: structured, sprinkled, or raw random bytes (often invalid UTF-8). */
const line: fc.Arbitrary<Buffer> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.tuple(structured, lineEnd).map(([l, end]) => Buffer.from(l + end)),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(sprinkled, lineEnd).map(([l, end]) => Buffer.from(l + end)),
  },
  {
    weight: 2,
    arbitrary: fc.uint8Array({ maxLength: 1500 }).map((b) => Buffer.from(b)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('PRIVMSG #fuzz :', 'NICK ', 'JOIN ', '@+x='), fc.uint8Array({ maxLength: 64 }))
      .map(([head, bytes]) => Buffer.concat([Buffer.from(head), Buffer.from(bytes), Buffer.from('\r\n')])),
  },
);

/** What one property run does: a burst of lines from one of the fuzzing connections. */
const script = fc.record({
  slot: fc.nat({ max: 2 }),
  lines: fc.array(line, { minLength: 1, maxLength: 8 }),
  /** Send everything in one write, or line by line. */
  oneWrite: fc.boolean(),
});

describe('fuzzing the wire', () => {
  let server: TestServer;
  const problems: string[] = [];
  const onUnhandled = (reason: unknown): void => {
    problems.push(`unhandledRejection: ${String((reason as Error)?.stack ?? reason)}`);
  };
  const onUncaught = (err: Error): void => {
    problems.push(`uncaughtException: ${err.stack ?? String(err)}`);
  };
  const opened: TestClient[] = [];

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUncaught);
    server = await startServer();
  });
  after(async () => {
    for (const c of opened) c.close();
    await server.stop();
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUncaught);
  });

  test(`${RUNS} runs of random and adversarial lines leave the server and the room working`, async () => {
    const bob = await TestClient.register(server.port, 'bob');
    const carol = await TestClient.register(server.port, 'carol');
    opened.push(bob, carol);
    await joinRoom('#fuzz', bob, carol);

    let serial = 0;
    /** Slot 0: registered and in #fuzz; 1: registered elsewhere; 2: not registered. */
    const fresh = async (slot: number): Promise<TestClient> => {
      const c = await TestClient.connect(server.port);
      opened.push(c);
      if (slot === 2) return c;
      await c.registerAs(`fz${slot}x${serial++}`);
      c.send(slot === 0 ? 'JOIN #fuzz' : 'JOIN #elsewhere');
      await c.sync();
      return c;
    };
    const fuzzers = [await fresh(0), await fresh(1), await fresh(2)];
    let closes = 0;
    let runs = 0;

    await fc.assert(
      fc.asyncProperty(script, async ({ slot, lines, oneWrite }) => {
        runs++;
        const c = fuzzers[slot]!;
        const start = c.received.length;
        if (oneWrite) c.sendRaw(Buffer.concat(lines));
        else for (const l of lines) c.sendRaw(l);
        const outcome = await pingOrClosed(c, 15_000);
        assert.deepEqual(problems, [], 'no unhandled rejection or uncaught exception');
        const replies = c.received.slice(start);
        const internal = replies.find((m) => /internal error/i.test(m.params.at(-1) ?? ''));
        assert.equal(internal, undefined, `the server failed inside a handler: ${internal?.raw}`);
        if (outcome === 'closed') {
          // A close is fine only as a deliberate, explained disconnect (QUIT, bad input...).
          const error = replies.find((m) => m.command === 'ERROR');
          assert.ok(
            error !== undefined,
            `the server closed the connection without an ERROR line; replies:\n${replies
              .map((m) => m.raw.slice(0, 200))
              .join('\n')}`,
          );
          closes++;
          fuzzers[slot] = await fresh(slot);
        }
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    assert.equal(runs, RUNS);

    // The bystanders never left and still talk to each other.
    assert.ok(!bob.closed && !carol.closed);
    await say(bob, '#fuzz', 'did you see all that?', carol);
    await say(carol, '#fuzz', 'yes, and we are fine', bob);
    const newcomer = await TestClient.register(server.port, 'newcomer');
    opened.push(newcomer);
    newcomer.send('JOIN #fuzz');
    await newcomer.expect('366', 'newcomer', '#fuzz');
    await say(newcomer, '#fuzz', 'hello after the storm', bob, carol);

    assert.deepEqual(problems, [], 'no unhandled rejection or uncaught exception');
    const failures = server.logs.filter((l) => /^\[SERVER\] (ERROR|FATAL)\b/.test(l));
    assert.deepEqual(failures, [], 'no command handler failed');
    // Sanity: the fuzzer did reach the interesting paths at least sometimes.
    assert.ok(closes < RUNS, 'most runs keep the connection open');
  });
});
