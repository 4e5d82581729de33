/** The web client's state (web/src/state): pure updates, checked without a browser. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pickLanguage, translate } from '../../web/src/i18n.js';
import {
  addEntries,
  initialState,
  markAllRead,
  mergeEntries,
  neighbour,
  renameUser,
  replaceSavedPage,
  setActive,
  setMembers,
  setReadMarker,
  setTyping,
  sortedConversations,
  TYPING_ACTIVE_MS,
  totalUnread,
  typingNow,
  unreadCount,
} from '../../web/src/state/conversations.js';
import { GROUP_GAP_MS, groupEntries } from '../../web/src/state/grouping.js';
import type { Entry, EntryKind } from '../../web/src/state/model.js';
import { formatBytes, linkify, sharedFile } from '../../web/src/state/text.js';

const T0 = Date.UTC(2025, 0, 15, 10, 0, 0);

function msg(
  id: string,
  from: string,
  time: number,
  text = id,
  kind: EntryKind = 'message',
  self = false,
): Entry {
  return { id, kind, from, text, time, self, msgid: id.startsWith('local') ? undefined : id, tags: {} };
}

const conv = (s: ReturnType<typeof initialState>, name: string) => s.conversations[name.toLowerCase()]!;

describe('merging history pages and live messages', () => {
  test('history pages, live delivery and catch-up overlap: each msgid once, in time order', () => {
    const live = [msg('m4', 'bob', T0 + 4000), msg('m5', 'bob', T0 + 5000)];
    const olderPage = [msg('m1', 'ann', T0 + 1000), msg('m2', 'ann', T0 + 2000), msg('m3', 'bob', T0 + 3000)];
    const catchUp = [msg('m3', 'bob', T0 + 3000), msg('m4', 'bob', T0 + 4000), msg('m6', 'ann', T0 + 6000)];
    let merged = mergeEntries([], live);
    merged = mergeEntries(merged, olderPage);
    merged = mergeEntries(merged, catchUp);
    merged = mergeEntries(merged, live);
    assert.deepEqual(
      merged.map((e) => e.id),
      ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'],
    );
  });

  test('nothing new leaves the list untouched (same object: no re-render)', () => {
    const list = mergeEntries([], [msg('a', 'x', T0)]);
    assert.equal(mergeEntries(list, [msg('a', 'x', T0)]), list);
    assert.equal(mergeEntries(list, []), list);
  });

  test('equal times keep arrival order (a stable merge)', () => {
    const first = mergeEntries([], [msg('a', 'x', T0), msg('c', 'x', T0 + 10)]);
    const merged = mergeEntries(first, [msg('b', 'y', T0)]);
    assert.deepEqual(
      merged.map((e) => e.id),
      ['a', 'b', 'c'],
    );
  });
});

describe('the page saved on this device, shown at once on a reload', () => {
  const saved = [msg('m1', 'ann', T0 + 1000), msg('m2', 'bob', T0 + 2000), msg('m3', 'ann', T0 + 3000)];
  const ids = new Set(saved.map((e) => e.id));

  test("the server's latest page overlapping it extends it, each message once", () => {
    const s = addEntries(initialState('me'), '#sala', saved, T0);
    const page = [msg('m3', 'ann', T0 + 3000), msg('m4', 'bob', T0 + 4000)];
    const next = replaceSavedPage(s, '#sala', ids, page, T0);
    assert.deepEqual(
      conv(next, '#sala').entries.map((e) => e.id),
      ['m1', 'm2', 'm3', 'm4'],
    );
  });

  test('a latest page that does not reach it replaces it: no silent gap in the history', () => {
    let s = addEntries(initialState('me'), '#sala', saved, T0);
    s = addEntries(s, '#sala', [msg('live', 'bob', T0 + 99_000)], T0); // arrived meanwhile
    const page = [msg('m80', 'bob', T0 + 80_000), msg('m81', 'ann', T0 + 81_000)];
    const next = replaceSavedPage(s, '#sala', ids, page, T0);
    assert.deepEqual(
      conv(next, '#sala').entries.map((e) => e.id),
      ['m80', 'm81', 'live'],
    );
  });
});

describe('unread counts and read markers', () => {
  test('messages from others after the marker are unread; own messages and events never are', () => {
    let s = initialState('me');
    s = addEntries(s, '#sala', [msg('m1', 'ann', T0 + 1000)], T0);
    s = addEntries(s, '#sala', [msg('m2', 'me', T0 + 2000, 'mine', 'message', true)], T0);
    s = addEntries(s, '#sala', [msg('local-1', 'bob', T0 + 2500, '', 'join')], T0);
    s = addEntries(s, '#sala', [msg('m3', 'bob', T0 + 3000, 'waves', 'action')], T0);
    assert.equal(unreadCount(conv(s, '#sala')), 2);
    s = setReadMarker(s, '#sala', T0 + 1000);
    assert.equal(unreadCount(conv(s, '#sala')), 1);
    assert.equal(totalUnread(s), 1);
  });

  test('without a marker, history older than opening the conversation is not unread', () => {
    let s = initialState('me');
    s = addEntries(s, 'ann', [msg('old', 'ann', T0 - 60_000)], T0);
    assert.equal(unreadCount(conv(s, 'ann')), 0);
    s = addEntries(s, 'ann', [msg('new', 'ann', T0 + 1)], T0);
    assert.equal(unreadCount(conv(s, 'ann')), 1);
  });

  test('markers only move forward (draft/read-marker), and markAllRead reports what to send', () => {
    let s = initialState('me');
    s = addEntries(s, '#sala', [msg('m1', 'ann', T0 + 1000), msg('m2', 'ann', T0 + 2000)], T0);
    const read = markAllRead(s, '#sala');
    assert.equal(read.marker, T0 + 2000);
    s = read.state;
    assert.equal(unreadCount(conv(s, '#sala')), 0);
    assert.equal(markAllRead(s, '#sala').marker, null, 'nothing new: nothing to send');
    s = setReadMarker(s, '#sala', T0); // an older marker from another device
    assert.equal(conv(s, '#sala').readMarker, T0 + 2000);
    s = setReadMarker(s, '#SALA', T0 + 5000); // a newer one, any case
    assert.equal(conv(s, '#sala').readMarker, T0 + 5000);
  });
});

describe('conversation list', () => {
  test('most recent activity first; Alt+Up/Down neighbours wrap around', () => {
    let s = initialState('me');
    s = addEntries(s, '#a', [msg('1', 'x', T0 + 1)], T0);
    s = addEntries(s, '#b', [msg('2', 'x', T0 + 3)], T0);
    s = addEntries(s, 'carol', [msg('3', 'carol', T0 + 2)], T0);
    assert.deepEqual(
      sortedConversations(s).map((c) => c.key),
      ['#b', 'carol', '#a'],
    );
    s = setActive(s, '#B');
    assert.equal(neighbour(s, 1), 'carol');
    assert.equal(neighbour(s, -1), '#a');
    assert.equal(setActive(s, 'nobody'), s, 'unknown conversations cannot be opened by key');
  });

  test('a nick change follows members, the private conversation, and the active one', () => {
    let s = initialState('me');
    s = addEntries(s, '#a', [], T0);
    s = setMembers(s, '#a', [{ nick: 'ann', prefixes: '@' }]);
    s = addEntries(s, 'ann', [msg('1', 'ann', T0 + 1)], T0);
    s = setActive(s, 'ann');
    s = renameUser(s, 'ann', 'Anna');
    assert.deepEqual(conv(s, '#a').members, { anna: { nick: 'Anna', prefixes: '@' } });
    assert.equal(conv(s, 'anna').name, 'Anna');
    assert.equal(s.conversations['ann'], undefined);
    assert.equal(s.active, 'anna');
  });

  test('typing indicators expire after 6 s (IRCv3 typing) and end with a message or "done"', () => {
    let s = initialState('me');
    s = addEntries(s, '#a', [], T0);
    s = setTyping(s, '#a', 'ann', 'active', T0);
    s = setTyping(s, '#a', 'bob', 'active', T0);
    assert.deepEqual(typingNow(conv(s, '#a'), T0 + 1000), ['ann', 'bob']);
    assert.deepEqual(typingNow(conv(s, '#a'), T0 + TYPING_ACTIVE_MS + 1), []);
    s = setTyping(s, '#a', 'bob', 'done', T0);
    s = addEntries(s, '#a', [msg('m', 'ann', T0 + 10)], T0);
    assert.deepEqual(typingNow(conv(s, '#a'), T0 + 1000), []);
  });
});

describe('grouping', () => {
  test('consecutive messages of one person group; events, notices, gaps and new days break groups', () => {
    const day2 = T0 + 24 * 3600_000;
    const blocks = groupEntries([
      msg('1', 'ann', T0),
      msg('2', 'ann', T0 + 1000),
      msg('3', 'ANN', T0 + 2000, 'x', 'action'),
      msg('4', 'bob', T0 + 3000),
      msg('5', 'bob', T0 + 4000, '', 'join'),
      msg('6', 'bob', T0 + 5000),
      msg('7', 'bob', T0 + 5000 + GROUP_GAP_MS + 1),
      msg('8', 'bob', day2),
    ]);
    assert.deepEqual(
      blocks.map((b) => (b.kind === 'group' ? `${b.from}:${b.entries.map((e) => e.id).join('')}` : b.kind)),
      ['day', 'ann:123', 'bob:4', 'event', 'bob:6', 'bob:7', 'day', 'bob:8'],
    );
  });

  test('one person is one nick and one account: a guest and the account that used the same nick never share a header', () => {
    const as = (e: Entry, account: string): Entry => ({ ...e, tags: { account } });
    const blocks = groupEntries([
      msg('1', 'ana', T0),
      as(msg('2', 'ana', T0 + 1000), 'ana'),
      as(msg('3', 'ANA', T0 + 2000), 'ANA'),
      msg('4', 'ana', T0 + 3000),
      as(msg('5', 'ana', T0 + 4000), 'otra'),
    ]);
    assert.deepEqual(
      blocks
        .filter((b) => b.kind === 'group')
        .map((b) => `${b.from}/${b.account ?? '-'}:${b.entries.map((e) => e.id).join('')}`),
      ['ana/-:1', 'ana/ana:23', 'ana/-:4', 'ana/otra:5'],
    );
  });
});

describe('message text', () => {
  test('links become clickable without the punctuation that ends the sentence', () => {
    assert.deepEqual(linkify('see https://example.org/a_(b), ok?'), [
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.org/a_(b)', href: 'https://example.org/a_(b)' },
      { kind: 'text', text: ', ok?' },
    ]);
    assert.deepEqual(linkify('javascript:alert(1) and ftp://x'), [
      { kind: 'text', text: 'javascript:alert(1) and ftp://x' },
    ]);
  });

  test("this server's file links become previews on the page's own origin; others stay links", () => {
    const host = 'http://localhost:8080/upload';
    assert.deepEqual(
      sharedFile('http://localhost:8080/files/abc/caf%C3%A9.png', host, 'http://127.0.0.1:8080'),
      {
        href: 'http://127.0.0.1:8080/files/abc/caf%C3%A9.png',
        name: 'café.png',
        image: true,
      },
    );
    assert.equal(sharedFile('http://localhost:8080/files/abc/notes.txt', host, 'http://x')?.image, false);
    assert.equal(sharedFile('look http://localhost:8080/files/abc/a.png', host, 'http://x'), null);
    assert.equal(sharedFile('http://evil.example/files/abc/a.png', host, 'http://x'), null);
    assert.equal(sharedFile('http://localhost:8080/files/abc/a.png', null, 'http://x'), null);
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KB');
    assert.equal(formatBytes(25 * 1024 * 1024), '25 MB');
  });
});

describe('i18n', () => {
  test('the first browser language we speak, else English; placeholders filled', () => {
    assert.equal(pickLanguage(['fr-FR', 'es-AR', 'en']), 'es');
    assert.equal(pickLanguage(['de']), 'en');
    assert.equal(translate('es', 'typing.two', { a: 'Ana', b: 'Bea' }), 'Ana y Bea están escribiendo…');
    assert.equal(translate('en', 'sidebar.unread', { count: 3 }), '3 unread');
  });
});
