/**
 * Bearer tokens (RFC 6750 §2.1, `Authorization: Bearer <token>`) for the operator's routes:
 * `/metrics` answers only to the configured `metrics-token`. The comparison hashes both
 * sides first so it takes the same time whatever the guess and whatever its length.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';

export const BEARER_CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="tertulia metrics"' } as const;

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** True when the request carries exactly `token` as its bearer token. */
export function bearerMatches(req: http.IncomingMessage, token: string): boolean {
  const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(req.headers.authorization ?? '');
  if (m === null) return false;
  return timingSafeEqual(digest(m[1]!), digest(token));
}
