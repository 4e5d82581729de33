/** utf8Length (src/protocol/utf8.ts) counts exactly what Buffer would encode, without Buffer. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { utf8Length } from '../../src/protocol/utf8.js';

test('utf8Length equals Buffer.byteLength for any string, lone surrogates included (property)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (s) => utf8Length(s) === Buffer.byteLength(s)),
    { numRuns: 2000 },
  );
  for (const s of ['', 'a', 'ñ', '€', '😀', '\ud800', '\udc00x', 'a\ud83d'])
    assert.equal(utf8Length(s), Buffer.byteLength(s), JSON.stringify(s));
});
