/**
 * The search query syntax (src/protocol/search-query.ts): parsing, the FTS5 and tsquery
 * renderings, and highlight ranges. The property test runs every rendering through a real
 * SQLite FTS5 index: nothing a user types may become an FTS5 syntax error.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import {
  foldText,
  highlightRanges,
  type ParsedQuery,
  parseSearchQuery,
  toFts5Query,
  toTsQuery,
} from '../../src/protocol/search-query.js';

function parse(text: string): ParsedQuery {
  const q = parseSearchQuery(text);
  if ('error' in q) throw new Error(q.error);
  return q;
}

describe('search queries', () => {
  test('folding removes case and accents, like the indexes', () => {
    assert.equal(foldText('Mañana CAFÉ Über'), 'manana cafe uber');
    assert.equal(foldText('cafe\u0301'), 'cafe');
  });

  test('words, "phrases", prefixes and exclusions', () => {
    assert.deepEqual(parse('Deploy "broke AGAIN" hol* -staging').terms, [
      { words: ['deploy'], prefix: false, negated: false },
      { words: ['broke', 'again'], prefix: false, negated: false },
      { words: ['hol'], prefix: true, negated: false },
      { words: ['staging'], prefix: false, negated: true },
    ]);
    // Punctuation separates words; a term of punctuation only is dropped.
    assert.deepEqual(parse('alice@example.com ;;').terms, [
      { words: ['alice', 'example', 'com'], prefix: false, negated: false },
    ]);
  });

  test('queries with nothing to find, or too long, are refused with a reason', () => {
    for (const text of ['', '   ', '-only', '"" -x', '!!!']) {
      assert.match((parseSearchQuery(text) as { error: string }).error, /at least one word/);
    }
    assert.match((parseSearchQuery('a'.repeat(301)) as { error: string }).error, /longer than/);
    assert.match((parseSearchQuery('a b c d e f g h i j k l m') as { error: string }).error, /more than 12/);
  });

  test('renderings quote every word', () => {
    const q = parse('deploy "broke again" hol* -staging');
    assert.equal(toFts5Query(q), '("deploy" AND "broke again" AND "hol"*) NOT "staging"');
    assert.equal(toTsQuery(q), "'deploy' & ('broke' <-> 'again') & 'hol':* & !'staging'");
  });

  test('highlights: word boundaries, accents, phrases, prefixes; never the excluded', () => {
    const text = 'El café de mañana: ¡CAFÉ y más café-bar! cafeteria';
    const shown = (query: string) => highlightRanges(text, parse(query)).map(([s, e]) => text.slice(s, e));
    assert.deepEqual(shown('cafe'), ['café', 'CAFÉ', 'café']);
    assert.deepEqual(shown('caf*'), ['café', 'CAFÉ', 'café', 'cafeteria']);
    assert.deepEqual(shown('"de manana"'), ['de mañana']);
    assert.deepEqual(shown('manana -bar'), ['mañana']);
    // UTF-16 ranges over astral characters.
    const emoji = '🎉 party 🎉 PARTY';
    assert.deepEqual(highlightRanges(emoji, parse('party')), [
      [3, 8],
      [12, 17],
    ]);
  });

  test('property: any input is refused cleanly or runs in FTS5 without a syntax error', () => {
    const db = new Database(':memory:');
    db.exec("CREATE VIRTUAL TABLE f USING fts5(text, tokenize='unicode61 remove_diacritics 2')");
    db.exec("INSERT INTO f (text) VALUES ('hola a todos'), ('deploy broke')");
    const match = db.prepare('SELECT count(*) AS n FROM f WHERE f MATCH ?');
    const tricky = fc.string({
      unit: fc.constantFrom(
        '"',
        '*',
        '-',
        '(',
        ')',
        ':',
        '^',
        '+',
        ' ',
        'a',
        'OR',
        'NOT',
        'NEAR',
        'é',
        "'",
        '\\',
        '{',
      ),
    });
    fc.assert(
      fc.property(fc.oneof(tricky, fc.string(), fc.string({ unit: 'grapheme' })), (input) => {
        const q = parseSearchQuery(input);
        if ('error' in q) return;
        match.get(toFts5Query(q));
        // Every lexeme in the tsquery rendering is quoted and free of quotes.
        for (const term of q.terms) for (const w of term.words) assert.match(w, /^[\p{L}\p{N}]+$/u);
      }),
      { numRuns: 500 },
    );
    db.close();
  });
});
