/**
 * Read markers of a connection that is not logged in (IRCv3 draft/read-marker): kept for
 * the connection's life only, since there is no account to keep them for. A logged-in
 * client's markers are the account's, in the store.
 *
 * Held beside the session rather than in it (a WeakMap), so they go when it goes; bounded
 * per connection like every queue (DESIGN.md), the oldest-set target forgotten first.
 */
import type { Session } from './session.js';

/** Targets one connection may hold a marker for. */
export const MAX_CONNECTION_MARKERS = 1000;

const markers = new WeakMap<Session, Map<string, number>>();

export function connectionMarker(s: Session, folded: string): number | null {
  return markers.get(s)?.get(folded) ?? null;
}

/** Sets the marker unless it would move backwards (read-marker §MARKREAD); returns the marker now. */
export function setConnectionMarker(s: Session, folded: string, time: number): number {
  let own = markers.get(s);
  if (own === undefined) {
    own = new Map();
    markers.set(s, own);
  }
  const current = own.get(folded);
  if (current !== undefined && current >= time) return current;
  own.delete(folded);
  own.set(folded, time);
  if (own.size > MAX_CONNECTION_MARKERS) own.delete(own.keys().next().value!);
  return time;
}
