/**
 * SCRAM-SHA-256 (RFC 5802 as profiled by RFC 7677), server side, as pure functions.
 *
 *   SaltedPassword  := Hi(Normalize(password), salt, i)        (PBKDF2-HMAC-SHA-256)
 *   ClientKey       := HMAC(SaltedPassword, "Client Key")
 *   StoredKey       := H(ClientKey)
 *   ServerKey       := HMAC(SaltedPassword, "Server Key")
 *   AuthMessage     := client-first-message-bare "," server-first-message ","
 *                      client-final-message-without-proof
 *   ClientSignature := HMAC(StoredKey, AuthMessage)
 *   ClientProof     := ClientKey XOR ClientSignature
 *   ServerSignature := HMAC(ServerKey, AuthMessage)
 *
 * The server keeps only salt, iteration count, StoredKey and ServerKey (RFC 5802 §3), and
 * checks a proof by recovering ClientKey and comparing H(ClientKey) with StoredKey in
 * constant time. Channel binding is not offered (no -PLUS mechanism), so the gs2 flag must
 * be `n` or `y` (RFC 5802 §6).
 */
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * RFC 7677 §4: the iteration count SHOULD be at least 4096. That is far cheaper to attack
 * than the scrypt hash kept beside it, so new keys use the configured `scram-iterations`
 * (600,000 by default, OWASP's figure for PBKDF2-HMAC-SHA256; docs/SECURITY.md).
 */
export const SCRAM_ITERATIONS = 600_000;
/** The least a stored key may have (RFC 7677 §4). */
export const MIN_SCRAM_ITERATIONS = 4096;
const SALT_BYTES = 16;

/** Stored credentials, base64 (the shape of AccountRecord.scram). */
export interface ScramCredentials {
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
}

const hmac = (key: Buffer, data: string | Buffer): Buffer => createHmac('sha256', key).update(data).digest();
const sha256 = (data: Buffer): Buffer => createHash('sha256').update(data).digest();

/**
 * A small SASLprep (RFC 4013) for passwords: non-ASCII spaces become U+0020, characters
 * "commonly mapped to nothing" are removed, then NFKC. ASCII passwords are unchanged.
 */
export function saslPrep(password: string): string {
  let mapped = '';
  for (const ch of password) {
    const cp = ch.codePointAt(0)!;
    if (MAPPED_TO_NOTHING(cp)) continue;
    mapped += NON_ASCII_SPACE(cp) ? ' ' : ch;
  }
  return mapped.normalize('NFKC');
}

/** RFC 3454 table C.1.2 (non-ASCII space characters). */
const NON_ASCII_SPACE = (cp: number): boolean =>
  cp === 0xa0 ||
  cp === 0x1680 ||
  (cp >= 0x2000 && cp <= 0x200b) ||
  cp === 0x202f ||
  cp === 0x205f ||
  cp === 0x3000;

/** RFC 3454 table B.1 (commonly mapped to nothing). */
const MAPPED_TO_NOTHING = (cp: number): boolean =>
  cp === 0xad ||
  cp === 0x34f ||
  cp === 0x1806 ||
  (cp >= 0x180b && cp <= 0x180d) ||
  cp === 0x200c ||
  cp === 0x200d ||
  cp === 0x2060 ||
  (cp >= 0xfe00 && cp <= 0xfe0f) ||
  cp === 0xfeff;

function saltedPassword(password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(Buffer.from(saslPrep(password), 'utf8'), salt, iterations, 32, 'sha256', (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
}

/** Derives the credentials to store for a password (the password itself is never kept). */
export async function scramCredentials(
  password: string,
  iterations = SCRAM_ITERATIONS,
  salt: Buffer = randomBytes(SALT_BYTES),
): Promise<ScramCredentials> {
  const salted = await saltedPassword(password, salt, iterations);
  const clientKey = hmac(salted, 'Client Key');
  return {
    salt: salt.toString('base64'),
    iterations,
    storedKey: sha256(clientKey).toString('base64'),
    serverKey: hmac(salted, 'Server Key').toString('base64'),
  };
}

/** RFC 5802 §5.1 saslname: `=2C` and `=3D` stand for ',' and '='; any other '=' is invalid. */
export function decodeSaslName(value: string): string | null {
  if (/=(?!2C|3D)/.test(value)) return null;
  return value.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

export interface ClientFirst {
  /** `n,,` / `y,,` / `n,a=…,`: echoed back (base64) in the final message's `c=`. */
  gs2Header: string;
  authzid: string | null;
  username: string;
  nonce: string;
  /** client-first-message-bare, part of AuthMessage. */
  bare: string;
}

/** printable = %x21-2B / %x2D-7E (RFC 5802 §7): no comma. */
const NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;

/** Parses client-first-message (RFC 5802 §7); null when malformed or unsupported. */
export function parseClientFirst(message: string): ClientFirst | null {
  const first = message.indexOf(',');
  const second = first === -1 ? -1 : message.indexOf(',', first + 1);
  if (second === -1) return null;
  const flag = message.slice(0, first);
  // 'p=' asks for channel binding, which this server does not offer: fail (RFC 5802 §6).
  if (flag !== 'n' && flag !== 'y') return null;
  const authzPart = message.slice(first + 1, second);
  let authzid: string | null = null;
  if (authzPart !== '') {
    if (!authzPart.startsWith('a=')) return null;
    authzid = decodeSaslName(authzPart.slice(2));
    if (authzid === null || authzid === '') return null;
  }
  const bare = message.slice(second + 1);
  const attrs = bare.split(',');
  // reserved-mext "m=" is a mandatory extension we do not know: MUST fail (§7).
  if (attrs[0]?.startsWith('m=')) return null;
  if (attrs.length < 2 || !attrs[0]!.startsWith('n=') || !attrs[1]!.startsWith('r=')) return null;
  const username = decodeSaslName(attrs[0]!.slice(2));
  const nonce = attrs[1]!.slice(2);
  if (username === null || username === '' || !NONCE.test(nonce)) return null;
  return { gs2Header: message.slice(0, second + 1), authzid, username, nonce, bare };
}

export interface ServerFirst {
  message: string;
  /** Client nonce + server nonce: the final message must carry exactly this. */
  nonce: string;
}

export function serverFirst(
  client: ClientFirst,
  credentials: Pick<ScramCredentials, 'salt' | 'iterations'>,
): ServerFirst {
  const nonce = client.nonce + randomBytes(18).toString('base64');
  return { message: `r=${nonce},s=${credentials.salt},i=${credentials.iterations}`, nonce };
}

export interface ClientFinal {
  channelBinding: string;
  nonce: string;
  proof: Buffer;
  /** client-final-message-without-proof, part of AuthMessage. */
  withoutProof: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function parseClientFinal(message: string): ClientFinal | null {
  const at = message.lastIndexOf(',p=');
  if (at === -1) return null;
  const withoutProof = message.slice(0, at);
  const proofText = message.slice(at + 3);
  const attrs = withoutProof.split(',');
  if (attrs.length < 2 || !attrs[0]!.startsWith('c=') || !attrs[1]!.startsWith('r=')) return null;
  const channelBinding = attrs[0]!.slice(2);
  if (!BASE64.test(channelBinding) || !BASE64.test(proofText)) return null;
  return { channelBinding, nonce: attrs[1]!.slice(2), proof: Buffer.from(proofText, 'base64'), withoutProof };
}

/**
 * Checks the client's final message against the exchange so far. Returns the
 * server-final-message (`v=…`) on success, null on any failure. Everything is compared in
 * constant time where a secret is involved.
 */
export function verifyClientFinal(
  client: ClientFirst,
  server: ServerFirst,
  final: ClientFinal,
  credentials: Pick<ScramCredentials, 'storedKey' | 'serverKey'>,
): string | null {
  // c= is base64(gs2-header) with no channel-binding data for 'n'/'y' (RFC 5802 §7).
  if (Buffer.from(final.channelBinding, 'base64').toString('utf8') !== client.gs2Header) return null;
  if (final.nonce !== server.nonce) return null;
  const storedKey = Buffer.from(credentials.storedKey, 'base64');
  const serverKey = Buffer.from(credentials.serverKey, 'base64');
  if (final.proof.length !== storedKey.length || storedKey.length !== 32) return null;
  const authMessage = `${client.bare},${server.message},${final.withoutProof}`;
  const clientSignature = hmac(storedKey, authMessage);
  const clientKey = Buffer.alloc(32);
  for (let i = 0; i < 32; i++) clientKey[i] = final.proof[i]! ^ clientSignature[i]!;
  if (!timingSafeEqual(sha256(clientKey), storedKey)) return null;
  return `v=${hmac(serverKey, authMessage).toString('base64')}`;
}

/**
 * Credentials for an account that does not exist (or has none): a salt derived from a
 * server secret and the name, so repeated attempts see the same salt and nothing tells
 * the client the account is missing; random keys so no proof can ever match.
 */
export function decoyCredentials(
  secret: Buffer,
  folded: string,
  iterations = SCRAM_ITERATIONS,
): ScramCredentials {
  return {
    salt: hmac(secret, `salt:${folded}`).subarray(0, SALT_BYTES).toString('base64'),
    iterations,
    storedKey: randomBytes(32).toString('base64'),
    serverKey: randomBytes(32).toString('base64'),
  };
}
