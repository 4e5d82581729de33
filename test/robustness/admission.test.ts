/**
 * The per-IP connection-rate window (core/admission.ts), driven with explicit clocks: what
 * an address may do within a minute, across the minute boundary, and after it. The wire
 * behaviour (the ERROR a refused client reads) is in limits.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Admission } from '../../src/core/admission.js';

const MINUTE = 60_000;
const T0 = 1_700_000_040_000; // a window boundary (a multiple of 60 s)

/** Admits `n` connections from `ip` at `now` and releases them; returns how many got in. */
function burst(a: Admission, ip: string, n: number, now: number): number {
  let admitted = 0;
  for (let i = 0; i < n; i++) {
    if (a.admit(ip, now) === null) {
      admitted++;
      a.release(ip);
    }
  }
  return admitted;
}

describe('per-IP connection rate', () => {
  test('at most the limit within one minute, and the refusal names it', () => {
    const a = new Admission(100, 5);
    assert.equal(burst(a, '10.0.0.1', 5, T0 + 1000), 5);
    const refusal = a.admit('10.0.0.1', T0 + 2000);
    assert.match(refusal ?? '', /too fast.*\b5\b/i);
    // Another address has its own allowance.
    assert.equal(burst(a, '10.0.0.2', 5, T0 + 2000), 5);
  });

  test('a burst just before the minute boundary still counts just after it', () => {
    const a = new Admission(100, 10);
    assert.equal(burst(a, '10.0.0.1', 10, T0 + MINUTE - 10), 10);
    // 10 ms into the next window the previous window still weighs ~all of its 10.
    assert.equal(burst(a, '10.0.0.1', 10, T0 + MINUTE + 10), 0);
    // Half-way through, about half of them have slid out of the last 60 s.
    assert.equal(burst(a, '10.0.0.1', 10, T0 + MINUTE + MINUTE / 2), 5);
  });

  test('two minutes later the address starts afresh', () => {
    const a = new Admission(100, 3);
    assert.equal(burst(a, '10.0.0.1', 3, T0), 3);
    assert.equal(burst(a, '10.0.0.1', 3, T0 + 2 * MINUTE + 1), 3);
  });

  test('concurrent connections are limited separately from the rate', () => {
    const a = new Admission(2, 1000);
    assert.equal(a.admit('10.0.0.1', T0), null);
    assert.equal(a.admit('10.0.0.1', T0), null);
    assert.match(a.admit('10.0.0.1', T0) ?? '', /too many connections.*\b2\b/i);
    a.release('10.0.0.1');
    assert.equal(a.admit('10.0.0.1', T0), null);
  });

  test('a flood from ever-new addresses is remembered up to a bound, not without limit', () => {
    const a = new Admission(10, 10);
    for (let i = 0; i < 150_000; i++) {
      const ip = `2001:db8::${i.toString(16)}`;
      assert.equal(a.admit(ip, T0 + 1), null);
      a.release(ip);
    }
    assert.ok(a.tracked <= 100_000, `${a.tracked} addresses remembered`);
    // The newest address is still counted (one connection made, nine left)...
    assert.equal(burst(a, `2001:db8::${(149_999).toString(16)}`, 20, T0 + 2), 9);
    // ...while one of the oldest was forgotten and starts afresh.
    assert.equal(burst(a, '2001:db8::1', 20, T0 + 2), 10);
  });

  test('one address making 200,000 connections in a minute is counted, not remembered one by one', () => {
    // The old list of connection times made this quadratic; it now completes at once.
    const a = new Admission(1, 150_000);
    assert.equal(burst(a, '10.0.0.1', 200_000, T0 + 5), 150_000);
  });
});
