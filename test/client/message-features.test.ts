/**
 * The client library's message features (src/client/message-features.ts) against a real
 * tertulia on both storage back ends: replies, reactions with their counts after a reload,
 * edits, deletion and multiline messages, as typed events.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChatClient, cutLine, editOf, MessageFeatures, replyOf } from '../../src/client/index.js';
import { backends } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';

describe('cutLine', () => {
  it('cuts after a space, within the budget, never inside a character, and joins back exactly', () => {
    const line = 'ñandú corre '.repeat(40);
    const pieces = cutLine(line, 50);
    assert.ok(pieces.length > 1);
    for (const p of pieces) assert.ok(Buffer.byteLength(p) <= 50, p);
    assert.equal(pieces.join(''), line);
    assert.deepEqual(cutLine('', 10), ['']);
  });
});

for (const backend of backends()) {
  describe(`MessageFeatures on ${backend.name}`, { timeout: 30_000 }, () => {
    let server: TestServer;
    const clients: ChatClient[] = [];
    const connect = async (nick: string): Promise<{ client: ChatClient; features: MessageFeatures }> => {
      const client = new ChatClient({ host: '127.0.0.1', port: server.port, nick, reconnect: false });
      clients.push(client);
      const features = new MessageFeatures(client);
      await client.connect();
      return { client, features };
    };
    before(async () => {
      server = await startServer({ database: await backend.fresh() });
    });
    after(async () => {
      for (const c of clients) c.destroy();
      await server.stop();
      await backend.cleanup();
    });

    it('requests the message feature capabilities', async () => {
      const { client } = await connect('capper');
      for (const cap of ['draft/multiline', 'draft/message-redaction', 'draft/event-playback'])
        assert.ok(client.caps.has(cap), cap);
    });

    it('replies, reactions (counted per person, replayed after a reload), edits and deletion', async () => {
      const a = await connect('ana');
      const b = await connect('ben');
      for (const c of [a, b]) {
        const joined = c.client.next('names', (e) => e.channel === '#cafe');
        c.client.join('#cafe');
        await joined;
      }
      const got = b.client.next('message', (m) => m.text === '¿café?');
      a.client.say('#cafe', '¿café?');
      const question = await got;
      const msgid = question.msgid!;

      const reply = a.client.next('message', (m) => m.text === 'sí, ya voy');
      b.features.reply('#cafe', msgid, 'sí, ya voy');
      assert.equal(replyOf(await reply), msgid);

      const reacted = a.features.next('reaction', (r) => r.emoji === '☕');
      b.features.react('#cafe', msgid, '☕');
      const r = await reacted;
      assert.deepEqual([r.to, r.from, r.added, r.replay], [msgid, 'ben', true, false]);
      const own = a.features.next('reaction', (e) => e.emoji === '☕' && e.self);
      a.features.react('#cafe', msgid, '☕');
      await own;
      assert.deepEqual(a.features.reactionsTo(msgid), [
        { emoji: '☕', count: 2, who: ['ben', 'ana'], mine: true },
      ]);

      // After a "reload" (a fresh client), history brings the counts back.
      const c = await connect('cleo');
      const cj = c.client.next('names', (e) => e.channel === '#cafe');
      c.client.join('#cafe');
      await cj;
      const past = await c.client.history('#cafe', { limit: 10 });
      assert.deepEqual(
        past.map((m) => m.text),
        ['¿café?', 'sí, ya voy'],
      );
      assert.deepEqual(c.features.reactionsTo(msgid), [
        { emoji: '☕', count: 2, who: ['ben', 'ana'], mine: false },
      ]);

      const undone = c.features.next('reaction', (e) => !e.added);
      b.features.unreact('#cafe', msgid, '☕');
      assert.equal((await undone).from, 'ben');
      assert.deepEqual(c.features.reactionsTo(msgid)[0]?.who, ['ana']);

      const edited = b.features.next('edit');
      a.features.edit('#cafe', msgid, '¿café o té?');
      const e = await edited;
      assert.deepEqual([e.msgid, e.text, e.edit.from], [msgid, '¿café o té?', 'ana']);
      assert.equal(editOf(e.edit), msgid);

      const gone = c.features.next('redact');
      a.features.redact('#cafe', msgid, 'never mind');
      const d = await gone;
      assert.deepEqual([d.msgid, d.from, d.reason], [msgid, 'ana', 'never mind']);
      assert.deepEqual(c.features.reactionsTo(msgid), []);
      assert.deepEqual(
        (await c.client.history('#cafe', { limit: 10 })).map((m) => m.text),
        ['sí, ya voy'],
      );
    });

    it('sends and receives a multiline message as one message with its line breaks', async () => {
      const a = await connect('mia');
      const b = await connect('max');
      for (const c of [a, b]) {
        const joined = c.client.next('names', (e) => e.channel === '#code');
        c.client.join('#code');
        await joined;
      }
      const long = `${'palabra '.repeat(80)}fin`;
      const text = `if (x) {\n  y();\n\n}\n${long}`;
      const got = b.client.next('message', (m) => m.text.startsWith('if (x)'));
      const echo = a.client.next('message', (m) => m.self && m.text.startsWith('if (x)'));
      a.features.say('#code', text);
      assert.equal((await got).text, text);
      assert.equal((await echo).text, text);
      const past = await b.client.history('#code', { limit: 5 });
      assert.deepEqual(
        past.map((m) => m.text),
        [text],
      );
    });
  });
}
