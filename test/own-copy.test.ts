/** Long-lived parameters are kept as exact copies, not views of their line. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ownCopy } from '../src/core/own-copy.js';

describe('ownCopy', () => {
  test('returns the same text, whatever it holds', () => {
    const line = 'USER x 0 * :Ada Lovelace, née Byron 😀';
    const realname = line.slice(line.indexOf(':') + 1);
    assert.equal(ownCopy(realname), 'Ada Lovelace, née Byron 😀');
    assert.equal(ownCopy(''), '');
    assert.equal(ownCopy('short'), 'short');
    // A realname cut to its length limit can end in half a surrogate pair: kept as is.
    const cut = 'emoji at the end 😀'.slice(0, -1);
    assert.equal(ownCopy(cut), cut);
    assert.equal(ownCopy(cut).length, cut.length);
  });
});
