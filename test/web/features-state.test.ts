/** Replies, reactions, edits and deletions in the web client's state (web/src/state/features.ts). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addEntries, initialState, setMembers, unreadCount } from '../../web/src/state/conversations.js';
import {
  canDelete,
  clearJump,
  findMessage,
  firstLine,
  foldEdits,
  highlightSegments,
  lastOwnMessage,
  looksLikeCode,
  redactMessage,
  replyTo,
  setCompose,
  setReactions,
  settleJump,
  startJump,
  togglesOn,
} from '../../web/src/state/features.js';
import type { Entry, State } from '../../web/src/state/model.js';

const T0 = Date.UTC(2025, 0, 15, 10, 0, 0);

function msg(id: string, from: string, text: string, tags: Record<string, string> = {}, self = false): Entry {
  return {
    id,
    kind: 'message',
    from,
    text,
    time: T0 + Number(id.replace(/\D/g, '')) * 1000,
    self,
    msgid: id,
    tags,
  };
}

const room = (s: State) => s.conversations['#sala']!;

describe('edits are folded into their original', () => {
  test('the original shows the latest correction and "(edited)"; the corrections are not shown', () => {
    const entries = [
      msg('m1', 'ana', '¿café a las diez?'),
      msg('m2', 'ben', 'sí'),
      msg('m3', 'ana', '¿café a las once?', { '+draft/edit': 'm1' }),
      msg('m4', 'ana', '¿café a las doce?', { '+draft/edit': 'm1' }),
    ];
    const shown = foldEdits(entries);
    assert.deepEqual(
      shown.map((e) => [e.id, e.text, e.edited ?? false]),
      [
        ['m1', '¿café a las doce?', true],
        ['m2', 'sí', false],
      ],
    );
  });

  test('a correction of a message not loaded stands alone, marked edited; none: the same list', () => {
    const entries = [msg('m5', 'ana', 'corrected', { '+draft/edit': 'm0' })];
    assert.deepEqual(
      foldEdits(entries).map((e) => [e.text, e.edited]),
      [['corrected', true]],
    );
    const plain = [msg('m1', 'ana', 'x')];
    assert.equal(foldEdits(plain), plain);
  });

  test('Up edits our latest plain message; corrections do not count as unread', () => {
    const entries = [
      msg('m1', 'me', 'first', {}, true),
      msg('m2', 'me', 'second', {}, true),
      msg('m3', 'ben', 'hi'),
    ];
    assert.equal(lastOwnMessage(foldEdits(entries))?.id, 'm2');
    assert.equal(lastOwnMessage([msg('m1', 'ben', 'x')]), undefined);
    let s = initialState('me');
    s = addEntries(
      s,
      '#sala',
      [msg('m1', 'ben', 'hi'), msg('m2', 'ben', 'hey', { '+draft/edit': 'm1' })],
      T0,
    );
    assert.equal(unreadCount(room(s)), 1);
  });
});

describe('replies', () => {
  test('the replied msgid from either tag spelling, and the original as shown', () => {
    assert.equal(replyTo(msg('m2', 'b', 'x', { '+draft/reply': 'm1' })), 'm1');
    assert.equal(replyTo(msg('m2', 'b', 'x', { '+reply': 'm1' })), 'm1');
    assert.equal(replyTo(msg('m2', 'b', 'x')), undefined);
    const shown = foldEdits([msg('m1', 'ana', 'old'), msg('m3', 'ana', 'new', { '+draft/edit': 'm1' })]);
    assert.equal(findMessage(shown, 'm1')?.text, 'new');
    assert.equal(findMessage(shown, 'nope'), undefined);
  });

  test('a quote is the first line, cut with an ellipsis', () => {
    assert.equal(firstLine('  hola\nsegunda'), 'hola');
    assert.equal(firstLine('a'.repeat(100), 10), `${'a'.repeat(9)}…`);
    assert.equal(firstLine('👍'.repeat(5), 3), '👍👍…');
  });
});

describe('reactions', () => {
  test('set per message; the same summary changes nothing; none removes them', () => {
    let s = addEntries(initialState('me'), '#sala', [msg('m1', 'ana', 'x')], T0);
    const r = [{ emoji: '🎉', count: 2, who: ['ana', 'me'], mine: true }];
    s = setReactions(s, '#sala', 'm1', r);
    assert.deepEqual(room(s).reactions['m1'], r);
    assert.equal(setReactions(s, '#sala', 'm1', [{ ...r[0]!, who: ['ana', 'me'] }]), s);
    assert.equal(togglesOn(room(s).reactions['m1'], '🎉'), false, 'mine: clicking takes it back');
    assert.equal(togglesOn(room(s).reactions['m1'], '👍'), true);
    assert.equal(togglesOn(undefined, '👍'), true);
    s = setReactions(s, '#sala', 'm1', []);
    assert.equal(room(s).reactions['m1'], undefined);
    assert.equal(setReactions(s, '#nowhere', 'm1', r), s);
  });
});

describe('deletion', () => {
  test('a deleted message goes with its corrections and reactions, and a later page cannot bring it back', () => {
    let s = initialState('me');
    s = addEntries(
      s,
      '#sala',
      [msg('m1', 'ana', 'x'), msg('m2', 'ana', 'y', { '+draft/edit': 'm1' }), msg('m3', 'ben', 'z')],
      T0,
    );
    s = setReactions(s, '#sala', 'm1', [{ emoji: '👍', count: 1, who: ['ben'], mine: false }]);
    s = setCompose(s, '#sala', { kind: 'reply', msgid: 'm1' });
    s = redactMessage(s, '#sala', 'm1');
    assert.deepEqual(
      room(s).entries.map((e) => e.id),
      ['m3'],
    );
    assert.equal(room(s).reactions['m1'], undefined);
    assert.equal(room(s).compose, null, 'no replying to a deleted message');
    assert.equal(redactMessage(s, '#sala', 'm1'), s);
    s = addEntries(s, '#sala', [msg('m1', 'ana', 'x')], T0);
    assert.deepEqual(
      room(s).entries.map((e) => e.id),
      ['m3'],
    );
  });

  test("the author may delete; someone else's only a logged-in operator (lasting authority), never a guest operator", () => {
    let s = addEntries(initialState('me', 'me'), '#sala', [msg('m1', 'ana', 'x')], T0);
    const mine = msg('m2', 'me', 'y', {}, true);
    assert.equal(canDelete(s, '#sala', mine), true);
    assert.equal(canDelete(s, '#sala', msg('m1', 'ana', 'x')), false);
    s = setMembers(s, '#sala', [{ nick: 'me', prefixes: '@' }]);
    assert.equal(canDelete(s, '#sala', msg('m1', 'ana', 'x')), true);
    assert.equal(canDelete(s, '#sala', { ...msg('m1', 'ana', 'x'), msgid: undefined }), false);
    // A guest holding +o (it created an unregistered room) deletes only its own.
    let guest = addEntries(initialState('me'), '#sala', [msg('m1', 'ana', 'x')], T0);
    guest = setMembers(guest, '#sala', [{ nick: 'me', prefixes: '@' }]);
    assert.equal(canDelete(guest, '#sala', msg('m1', 'ana', 'x')), false);
    assert.equal(canDelete(guest, '#sala', mine), true);
  });
});

describe('jumping to a message', () => {
  test('a jump is settled and cleared only by its own sequence number', () => {
    let s = startJump(initialState('me'), '#Sala', 'm1');
    const first = s.jump!.seq;
    assert.deepEqual(
      { ...s.jump!, seq: 0 },
      { conversation: '#sala', msgid: 'm1', status: 'loading', seq: 0 },
    );
    s = startJump(s, '#sala', 'm2');
    assert.equal(settleJump(s, first, 'found'), s, 'an older jump no longer counts');
    s = settleJump(s, s.jump!.seq, 'missing');
    assert.equal(s.jump!.status, 'missing');
    assert.equal(clearJump(s, first), s);
    assert.equal(clearJump(s, s.jump!.seq).jump, null);
  });
});

describe('text helpers', () => {
  test('code is recognised by fences or by indented, statement-like lines', () => {
    assert.equal(looksLikeCode('```\nx\n```'), true);
    assert.equal(looksLikeCode('function f() {\n  return 1;\n}'), true);
    assert.equal(looksLikeCode('hola\nqué tal'), false);
    assert.equal(looksLikeCode('one line;'), false);
  });

  test('search highlights cut the text into marked and plain parts', () => {
    assert.deepEqual(highlightSegments('the deploy broke', [[4, 10]]), [
      { text: 'the ', mark: false },
      { text: 'deploy', mark: true },
      { text: ' broke', mark: false },
    ]);
    // Out of order, overlapping and out of bounds.
    assert.deepEqual(
      highlightSegments('abcdef', [
        [4, 99],
        [0, 2],
        [1, 3],
      ]),
      [
        { text: 'abc', mark: true },
        { text: 'd', mark: false },
        { text: 'ef', mark: true },
      ],
    );
    assert.deepEqual(highlightSegments('abc', []), [{ text: 'abc', mark: false }]);
  });
});
