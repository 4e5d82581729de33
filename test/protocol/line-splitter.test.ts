/**
 * Byte stream → lines. Modern client protocol docs §Messages: messages end in CR LF, and
 * servers should also accept a lone LF or CR; RFC 2812 §2.3: empty messages are ignored.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { type LineSink, LineSplitter } from '../../src/protocol/line-splitter.js';

type Ev = { kind: 'line'; text: string } | { kind: 'overlong' };
type SplitEvent = { kind: 'line'; bytes: Buffer } | { kind: 'overlong' };

/** A sink that reports each line or overlong drop as an event. */
function sink(emit: (e: SplitEvent) => void): LineSink {
  return {
    receiveLine: (bytes) => emit({ kind: 'line', bytes }),
    receiveOverlong: () => emit({ kind: 'overlong' }),
  };
}

/** Feeds chunks and collects events (lines as latin1 text, so every byte shows). */
function run(maxBytes: number, chunks: readonly Buffer[], onPush?: (s: LineSplitter) => void): Ev[] {
  const splitter = new LineSplitter(maxBytes);
  const events: Ev[] = [];
  for (const chunk of chunks) {
    splitter.push(
      chunk,
      sink((e) => {
        events.push(
          e.kind === 'line' ? { kind: 'line', text: e.bytes.toString('latin1') } : { kind: 'overlong' },
        );
      }),
    );
    onPush?.(splitter);
  }
  return events;
}

/** Reference model: every CR and every LF ends a piece; empty pieces vanish; long pieces are overlong. */
function model(maxBytes: number, stream: Buffer): Ev[] {
  const text = stream.toString('latin1');
  const pieces = text.split(/[\r\n]/);
  const tail = pieces.pop()!;
  const events: Ev[] = [];
  for (const p of pieces) {
    if (p.length === 0) continue;
    events.push(p.length > maxBytes ? { kind: 'overlong' } : { kind: 'line', text: p });
  }
  // An unterminated piece is only reported once it has become too long to buffer.
  if (tail.length > maxBytes) events.push({ kind: 'overlong' });
  return events;
}

/** Splits a buffer at the given (unsorted, possibly duplicate, possibly out-of-range) cut points. */
function cut(stream: Buffer, points: readonly number[]): Buffer[] {
  const at = [...new Set(points.map((p) => (stream.length === 0 ? 0 : p % (stream.length + 1))))].sort(
    (a, b) => a - b,
  );
  const chunks: Buffer[] = [];
  let prev = 0;
  for (const p of at) {
    chunks.push(stream.subarray(prev, p));
    prev = p;
  }
  chunks.push(stream.subarray(prev));
  return chunks;
}

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Raw bytes heavy on CR and LF. */
const byteArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 255 }) },
  { weight: 1, arbitrary: fc.constantFrom(10, 13) },
);
const rawStream = fc.array(byteArb, { maxLength: 120 }).map((a) => Buffer.from(a));
/** A stream made of lines with random terminators, some of them longer than the limit. */
const lineStream = fc
  .array(
    fc.tuple(
      fc.array(
        fc.integer({ min: 0, max: 255 }).filter((x) => x !== 10 && x !== 13),
        { maxLength: 40 },
      ),
      fc.constantFrom('\r', '\n', '\r\n'),
    ),
    { maxLength: 10 },
  )
  .map((lines) => Buffer.concat(lines.flatMap(([body, term]) => [Buffer.from(body), b(term)])));
const streamArb = fc.oneof(rawStream, lineStream);
const cutsArb = fc.array(fc.nat(), { maxLength: 30 });
const maxArb = fc.integer({ min: 1, max: 32 });

describe('line-splitter', () => {
  test('modern docs §Messages: CR, LF and CR LF each terminate a line', () => {
    assert.deepEqual(run(100, [b('a\rb\nc\r\nd\r\n')]), [
      { kind: 'line', text: 'a' },
      { kind: 'line', text: 'b' },
      { kind: 'line', text: 'c' },
      { kind: 'line', text: 'd' },
    ]);
  });

  test('RFC 2812 §2.3: empty lines are skipped silently', () => {
    assert.deepEqual(run(100, [b('\r\n\r\n\n\r\r\r\n\n')]), []);
    assert.deepEqual(run(100, [b('\r\nPING x\r\n\r\n\nPONG y\n')]), [
      { kind: 'line', text: 'PING x' },
      { kind: 'line', text: 'PONG y' },
    ]);
  });

  test('modern docs §Messages: an unterminated line is held until its terminator arrives', () => {
    const splitter = new LineSplitter(100);
    const events: string[] = [];
    const emit = sink((e) => {
      events.push(e.kind === 'line' ? e.bytes.toString() : 'overlong');
    });
    splitter.push(b('PRIV'), emit);
    assert.deepEqual(events, []);
    assert.equal(splitter.bufferedBytes, 4);
    splitter.push(b('MSG #a :hi'), emit);
    assert.equal(splitter.bufferedBytes, 14);
    splitter.push(b('\r'), emit);
    assert.deepEqual(events, ['PRIVMSG #a :hi']);
    assert.equal(splitter.bufferedBytes, 0);
    splitter.push(b('\n'), emit);
    assert.deepEqual(events, ['PRIVMSG #a :hi']);
  });

  test('modern docs §Messages: CR LF split across chunks yields one line, no empty line', () => {
    assert.deepEqual(run(100, [b('a\r'), b('\nb\r'), b('\n')]), [
      { kind: 'line', text: 'a' },
      { kind: 'line', text: 'b' },
    ]);
  });

  test('modern docs §Messages: multi-byte UTF-8 split across chunks arrives intact', () => {
    const whole = Buffer.from('PRIVMSG #a :héllo 😀\r\n', 'utf8');
    const out: string[] = [];
    const splitter = new LineSplitter(100);
    for (let i = 0; i < whole.length; i++) {
      splitter.push(
        whole.subarray(i, i + 1),
        sink((e) => {
          if (e.kind === 'line') out.push(e.bytes.toString('utf8'));
        }),
      );
    }
    assert.deepEqual(out, ['PRIVMSG #a :héllo 😀']);
  });

  test('RFC 2812 §2.3: a line of exactly maxBytes is delivered, maxBytes + 1 is overlong', () => {
    assert.deepEqual(run(5, [b('12345\n')]), [{ kind: 'line', text: '12345' }]);
    assert.deepEqual(run(5, [b('123456\n')]), [{ kind: 'overlong' }]);
    assert.deepEqual(run(5, [b('123'), b('45'), b('\n')]), [{ kind: 'line', text: '12345' }]);
    assert.deepEqual(run(5, [b('123'), b('456'), b('\n')]), [{ kind: 'overlong' }]);
    assert.deepEqual(run(5, [b('12345'), b('6\n')]), [{ kind: 'overlong' }]);
  });

  test('a partial line is held as a copy: reusing the read buffer cannot corrupt it', () => {
    // A line inside one chunk is a view valid during emit (the session copies what it
    // queues); the held remainder of a chunk must survive the chunk being overwritten.
    const chunk = b('abc\r\ndef');
    const lines: string[] = [];
    const splitter = new LineSplitter(100);
    const emit = sink((e) => {
      if (e.kind === 'line') lines.push(e.bytes.toString('latin1'));
    });
    splitter.push(chunk, emit);
    chunk.fill(0x58);
    splitter.push(b('\n'), emit);
    assert.deepEqual(lines, ['abc', 'def']);
  });

  test('modern docs §Messages: the splitter agrees with the reference model (property)', () => {
    fc.assert(
      fc.property(streamArb, maxArb, (stream, max) => {
        assert.deepEqual(run(max, [stream]), model(max, stream));
      }),
      { numRuns: 3000 },
    );
  });

  test('modern docs §Messages: any chunking yields the same events as feeding the stream whole (property)', () => {
    fc.assert(
      fc.property(streamArb, cutsArb, maxArb, (stream, cuts, max) => {
        assert.deepEqual(run(max, cut(stream, cuts)), run(max, [stream]));
      }),
      { numRuns: 3000 },
    );
  });

  test('modern docs §Messages: byte-by-byte feeding yields the same events as feeding whole (property)', () => {
    fc.assert(
      fc.property(streamArb, maxArb, (stream, max) => {
        const bytes = Array.from(stream, (x) => Buffer.from([x]));
        assert.deepEqual(run(max, bytes), run(max, [stream]));
      }),
      { numRuns: 1000 },
    );
  });

  test('RFC 2812 §2.3: bufferedBytes never exceeds maxBytes (property)', () => {
    fc.assert(
      fc.property(streamArb, cutsArb, maxArb, (stream, cuts, max) => {
        run(max, cut(stream, cuts), (s) => {
          assert.ok(s.bufferedBytes <= max, `${s.bufferedBytes} > ${max}`);
          assert.ok(s.bufferedBytes >= 0);
        });
      }),
      { numRuns: 3000 },
    );
  });

  test('RFC 2812 §2.3: an overlong line yields exactly one overlong event and the next line intact, in one chunk or many (property)', () => {
    fc.assert(
      fc.property(
        maxArb,
        fc.integer({ min: 1, max: 200 }),
        fc.constantFrom('\r', '\n', '\r\n'),
        fc.constantFrom('\r', '\n', '\r\n'),
        fc.stringMatching(/^[ -~]{1,32}$/),
        fc.stringMatching(/^[ -~]{0,5}$/),
        cutsArb,
        (max, extra, term1, term2, nextRaw, before, cuts) => {
          const next = nextRaw.slice(0, max);
          const prefix = before.slice(0, max);
          const long = 'x'.repeat(max + extra);
          const stream = b((prefix === '' ? '' : prefix + '\n') + long + term1 + next + term2);
          const expected: Ev[] = [
            ...(prefix === '' ? [] : [{ kind: 'line', text: prefix } as const]),
            { kind: 'overlong' },
            { kind: 'line', text: next },
          ];
          assert.deepEqual(run(max, [stream]), expected, 'one chunk');
          assert.deepEqual(run(max, cut(stream, cuts)), expected, 'arbitrary chunks');
          const bytes = Array.from(stream, (x) => Buffer.from([x]));
          assert.deepEqual(run(max, bytes), expected, 'byte by byte');
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('RFC 2812 §2.3: an overlong line spread over many chunks is reported once and discarded', () => {
    const chunks = [b('x'.repeat(10)), b('x'.repeat(10)), b('x'.repeat(10)), b('x\r'), b('\nNEXT\r\n')];
    const bufferSizes: number[] = [];
    assert.deepEqual(
      run(16, chunks, (s) => bufferSizes.push(s.bufferedBytes)),
      [{ kind: 'overlong' }, { kind: 'line', text: 'NEXT' }],
    );
    assert.deepEqual(bufferSizes, [10, 0, 0, 0, 0]);
  });

  test('RFC 2812 §2.3: a never-terminated flood is reported once and nothing is buffered', () => {
    const splitter = new LineSplitter(512);
    let overlong = 0;
    for (let i = 0; i < 1000; i++) {
      splitter.push(
        Buffer.alloc(1000, 0x61),
        sink((e) => {
          if (e.kind === 'overlong') overlong++;
          else assert.fail('no line expected');
        }),
      );
      assert.ok(splitter.bufferedBytes <= 512);
    }
    assert.equal(overlong, 1);
  });
});
