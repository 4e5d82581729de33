/**
 * The clock every bench process and thread shares: milliseconds (µs precision) on the
 * system-wide monotonic clock (CLOCK_MONOTONIC, what `process.hrtime` reads). Each thread
 * calibrates once the offset between it and its own `performance.now()`, so reading the clock
 * costs one `performance.now()` call, and a time stamped by a sender in one worker can be
 * subtracted from a receive time taken in another.
 */
import { performance } from 'node:perf_hooks';

function calibrate(): number {
  let best = Number.POSITIVE_INFINITY;
  let offset = 0;
  for (let i = 0; i < 9; i++) {
    const a = performance.now();
    const h = Number(process.hrtime.bigint()) / 1e6;
    const b = performance.now();
    if (b - a < best) {
      best = b - a;
      offset = h - (a + b) / 2;
    }
  }
  return offset;
}

const OFFSET = calibrate();

/** Milliseconds on the shared monotonic clock. */
export function now(): number {
  return OFFSET + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Sleeps until the shared clock reads `t`. */
export function sleepUntil(t: number): Promise<void> {
  return sleep(t - now());
}
