/**
 * HTTP Basic credentials (RFC 7617) for the routes that log in with the IRC account's name
 * and password (uploads, the search API). Checking them goes through the accounts layer,
 * with its per-account and per-address throttle.
 */
import type http from 'node:http';

export const BASIC_CHALLENGE = { 'WWW-Authenticate': 'Basic realm="tertulia", charset="UTF-8"' } as const;

/** The name and password of an `Authorization: Basic` header, or null without a usable one. */
export function basicCredentials(req: http.IncomingMessage): { name: string; password: string } | null {
  const auth = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(req.headers.authorization ?? '');
  const decoded = auth === null ? '' : Buffer.from(auth[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
