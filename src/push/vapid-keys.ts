/**
 * The server's VAPID key pair (RFC 8292): an ECDSA P-256 key it signs every push request
 * with, and whose public half browsers subscribe with (PushManager.subscribe's
 * applicationServerKey, given to clients as the `vapid` value of `draft/webpush`).
 *
 * Generated once into `<data-dir>/webpush/vapid.json` (owner-only) and reused: a new key
 * would silently invalidate every subscription browsers made with the old one.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface VapidKeys {
  /** Uncompressed P-256 point (65 bytes), URL-safe base64 without padding. */
  publicKey: string;
  /** The private scalar (32 bytes), URL-safe base64 without padding. */
  privateKey: string;
}

const B64URL = /^[A-Za-z0-9_-]+$/;

export function vapidKeyPath(dataDir: string): string {
  return join(dataDir, 'webpush', 'vapid.json');
}

/** Reads the key pair from the data dir, generating and saving it the first time. */
export function loadVapidKeys(dataDir: string): { keys: VapidKeys; created: boolean } {
  const path = vapidKeyPath(dataDir);
  let text: string | null = null;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== null) {
    const keys = JSON.parse(text) as Partial<VapidKeys>;
    const ok =
      typeof keys.publicKey === 'string' &&
      typeof keys.privateKey === 'string' &&
      B64URL.test(keys.publicKey) &&
      B64URL.test(keys.privateKey) &&
      Buffer.from(keys.publicKey, 'base64url').length === 65 &&
      Buffer.from(keys.privateKey, 'base64url').length === 32;
    if (!ok) throw new Error(`${path} does not hold a VAPID key pair; move it away to generate a new one`);
    return { keys: { publicKey: keys.publicKey!, privateKey: keys.privateKey! }, created: false };
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' });
  const point = Buffer.concat([
    Buffer.from([0x04]),
    Buffer.from(jwk.x!, 'base64url'),
    Buffer.from(jwk.y!, 'base64url'),
  ]);
  const keys = { publicKey: point.toString('base64url'), privateKey: jwk.d! };
  mkdirSync(join(dataDir, 'webpush'), { recursive: true, mode: 0o700 });
  // 'wx': two servers starting on one data dir at once must not both write a key.
  writeFileSync(path, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return { keys, created: true };
}
