/**
 * Wildcard masks (`*` any run, `?` one character) as used by bans, WHO and MONITOR-like
 * look-ups (RFC 2812 §2.5). Matching is iterative with one backtrack point, so a hostile
 * mask like `*a*a*a*a*b` costs O(n·m) at worst, never exponential time.
 */
import { foldCase } from './casemapping.js';

export function wildcardMatch(mask: string, text: string): boolean {
  const m = foldCase(mask);
  const t = foldCase(text);
  let mi = 0;
  let ti = 0;
  let star = -1;
  let mark = 0;
  while (ti < t.length) {
    const mc = m[mi];
    if (mc === '?' || (mc !== undefined && mc !== '*' && mc === t[ti])) {
      mi++;
      ti++;
    } else if (mc === '*') {
      star = mi++;
      mark = ti;
    } else if (star !== -1) {
      mi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (m[mi] === '*') mi++;
  return mi === m.length;
}

/**
 * Completes a partial ban mask to nick!user@host form the way servers conventionally do:
 * `alice` → `alice!*@*`, `*@host` → `*!*@host`, `a!b` → `a!b@*`.
 */
export function normalizeMask(mask: string): string {
  const bang = mask.indexOf('!');
  const at = mask.indexOf('@');
  if (bang === -1 && at === -1) return mask + '!*@*';
  if (bang === -1) return '*!' + mask;
  if (at === -1) return mask + '@*';
  return mask;
}
