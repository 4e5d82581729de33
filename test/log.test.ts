/** The logger: pino JSON lines and the console (pretty) format, written to a real stream. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { createLogger } from '../src/log/logger.js';

class Collector extends Writable {
  text = '';
  isTTY: boolean;
  constructor(isTTY = false) {
    super();
    this.isTTY = isTTY;
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString('utf8');
    callback();
  }
}

describe('pretty format', () => {
  test('the line shapes', () => {
    const out = new Collector();
    const log = createLogger({ logLevel: 'trace', logFormat: 'pretty' }, out);
    log.info({ event: 'connect', nick: 'alice', ip: '127.0.0.1' }, 'Client: alice connected!');
    log.info({ event: 'message', from: 'alice', target: '#room' }, '<alice> #room: hello there');
    log.info(
      { event: 'listening', transport: 'irc', host: '127.0.0.1', port: 40123 },
      'listening irc 127.0.0.1:40123',
    );
    log.warn({ event: 'sendq', ip: '10.0.0.1', bytes: 1048577 }, 'client dropped');
    log.error({ reason: 'two words', empty: '', n: null, list: [1, 2] }, 'something failed');
    log.fatal('cannot go on');
    log.debug({ command: 'PRIVMSG' }, 'parsed');
    log.trace({ bytes: 12 }, 'read');
    assert.equal(
      out.text,
      [
        '[SERVER] Client: alice connected!',
        '<alice> #room: hello there',
        'listening irc 127.0.0.1:40123',
        '[SERVER] WARN client dropped event=sendq ip=10.0.0.1 bytes=1048577',
        '[SERVER] ERROR something failed reason="two words" empty="" n=null list=[1,2]',
        '[SERVER] FATAL cannot go on',
        '[SERVER] debug parsed command=PRIVMSG',
        '[SERVER] trace read bytes=12',
        '',
      ].join('\n'),
    );
  });

  test('errors show their message, and the stack at error level', () => {
    const out = new Collector();
    const log = createLogger({ logLevel: 'info', logFormat: 'pretty' }, out);
    log.warn({ err: new Error('disk full') }, 'write failed');
    assert.equal(out.text, '[SERVER] WARN write failed err="disk full"\n');
    out.text = '';
    log.error({ err: new Error('boom') }, 'crashed');
    const [first, ...stack] = out.text.trimEnd().split('\n');
    assert.equal(first, '[SERVER] ERROR crashed err=boom');
    assert.ok(stack.length > 0 && stack.every((l) => l.startsWith('    at ')), out.text);
  });

  test('control characters cannot reach the terminal', () => {
    const out = new Collector();
    const log = createLogger({ logLevel: 'info', logFormat: 'pretty' }, out);
    log.info({ event: 'message' }, '<mallory> #room: \x1b[2J\x03' + '4red\r\u202etxt');
    log.warn({ nick: 'a\x1bb' }, 'odd nick');
    assert.equal(
      out.text,
      '<mallory> #room: \\x1b[2J\\x034red\\x0d\\u202etxt\n[SERVER] WARN odd nick nick="a\\u001bb"\n',
    );
  });

  test('the level filters records', () => {
    const out = new Collector();
    const log = createLogger({ logLevel: 'warn', logFormat: 'pretty' }, out);
    log.info('hidden');
    log.debug('hidden');
    log.warn('shown');
    assert.equal(out.text, '[SERVER] WARN shown\n');
  });

  test('colour only on a TTY without NO_COLOR', () => {
    const saved = process.env.NO_COLOR;
    try {
      delete process.env.NO_COLOR;
      const tty = new Collector(true);
      createLogger({ logLevel: 'info', logFormat: 'pretty' }, tty).warn('coloured');
      assert.match(tty.text, /\x1b\[/);

      process.env.NO_COLOR = '1';
      const noColor = new Collector(true);
      createLogger({ logLevel: 'info', logFormat: 'pretty' }, noColor).warn('plain');
      assert.equal(noColor.text, '[SERVER] WARN plain\n');

      delete process.env.NO_COLOR;
      const pipe = new Collector(false);
      createLogger({ logLevel: 'info', logFormat: 'pretty' }, pipe).warn('plain');
      assert.equal(pipe.text, '[SERVER] WARN plain\n');

      // Even in colour, the lines scripts look for are untouched.
      const tty2 = new Collector(true);
      createLogger({ logLevel: 'info', logFormat: 'pretty' }, tty2).info(
        { event: 'listening' },
        'listening irc 127.0.0.1:1',
      );
      assert.equal(tty2.text, 'listening irc 127.0.0.1:1\n');
    } finally {
      if (saved === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved;
    }
  });
});

describe('json format', () => {
  test('one pino JSON object per line', () => {
    const out = new Collector();
    const log = createLogger({ logLevel: 'info', logFormat: 'json' }, out);
    log.info({ event: 'listening', transport: 'irc', host: '::1', port: 6667 }, 'listening irc [::1]:6667');
    log.debug('hidden');
    log.warn({ event: 'flood', nick: 'bob' }, 'excess flood');
    const lines = out.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 2);
    const [first, second] = lines as [Record<string, unknown>, Record<string, unknown>];
    assert.equal(first.level, 30);
    assert.equal(typeof first.time, 'number');
    assert.equal(first.event, 'listening');
    assert.equal(first.port, 6667);
    assert.equal(first.msg, 'listening irc [::1]:6667');
    assert.equal('pid' in first, false);
    assert.equal('hostname' in first, false);
    assert.equal(second.level, 40);
    assert.equal(second.nick, 'bob');
  });
});
