/**
 * Password hashing with node:crypto scrypt (no native build).
 *
 * A stored hash is self-describing so its cost can be raised later without breaking old hashes:
 *   scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>
 * Passwords are NFC-normalized before hashing (as RFC 8265's OpaqueString profile asks), so the
 * same password typed on two systems that compose accents differently still matches.
 */
import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;

/** Bounds on parameters read back from a stored hash, so a hostile config cannot make verify hog memory. */
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;

interface ParsedHash {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const DECIMAL = /^[1-9][0-9]{0,9}$/;

function derive(
  plain: string,
  salt: Buffer,
  keyLen: number,
  n: number,
  r: number,
  p: number,
): Promise<Buffer> {
  // scrypt needs 128 * N * r bytes; give it that plus headroom instead of the 32 MiB default cap.
  const options: ScryptOptions = { N: n, r, p, maxmem: 128 * n * r * 2 + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(Buffer.from(plain.normalize('NFC'), 'utf8'), salt, keyLen, options, (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
}

function parse(stored: string): ParsedHash | null {
  if (typeof stored !== 'string') return null;
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [, nText, rText, pText, saltText, hashText] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (!DECIMAL.test(nText) || !DECIMAL.test(rText) || !DECIMAL.test(pText)) return null;
  const n = Number(nText);
  const r = Number(rText);
  const p = Number(pText);
  // N must be a power of two greater than 1.
  if (n < 2 || n > MAX_N || (n & (n - 1)) !== 0 || r > MAX_R || p > MAX_P) return null;
  if (!BASE64.test(saltText) || !BASE64.test(hashText)) return null;
  const salt = Buffer.from(saltText, 'base64');
  const hash = Buffer.from(hashText, 'base64');
  if (salt.length < SALT_BYTES || salt.length > 64 || hash.length !== KEY_BYTES) return null;
  return { n, r, p, salt, hash };
}

/** Hashes a password into the self-describing `scrypt$N$r$p$salt$hash` form. */
export async function hashPassword(plain: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(plain, salt, KEY_BYTES, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** True when `stored` is a well-formed hash this module can verify against. */
export function isPasswordHash(stored: string): boolean {
  return parse(stored) !== null;
}

/**
 * Checks `plain` against a hash from hashPassword. Compares in constant time.
 * Returns false (never throws) when the stored string is malformed.
 */
export async function verifyPassword(stored: string, plain: string): Promise<boolean> {
  const parsed = parse(stored);
  if (parsed === null || typeof plain !== 'string') return false;
  let candidate: Buffer;
  try {
    candidate = await derive(plain, parsed.salt, parsed.hash.length, parsed.n, parsed.r, parsed.p);
  } catch {
    return false;
  }
  return candidate.length === parsed.hash.length && timingSafeEqual(candidate, parsed.hash);
}
