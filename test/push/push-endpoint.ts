/**
 * A local Web Push endpoint for tests: a real HTTP server playing the push service and the
 * browser at once. Each subscription has its own P-256 key pair and auth secret, as
 * PushManager.subscribe() makes them; every request is checked and decrypted here with
 * node:crypto, written from the RFCs (independently of the `web-push` package the server
 * uses):
 * - RFC 8188 aes128gcm framing and RFC 8291 §3.4 key derivation: ECDH with the server's
 *   ephemeral key (the record header's keyid), HKDF with the auth secret, then CEK and nonce.
 * - RFC 8292 VAPID: `Authorization: vapid t=<JWT>, k=<public key>`, an ES256 JWT whose
 *   `aud` is the endpoint's origin, with `exp` within 24 hours and a `sub` contact.
 */
import assert from 'node:assert/strict';
import {
  createDecipheriv,
  createECDH,
  createPublicKey,
  type ECDH,
  hkdfSync,
  randomBytes,
  verify,
} from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PushReceived {
  path: string;
  /** The decrypted payload: one IRC line without CR LF. */
  payload: string;
  /** The verified VAPID JWT claims and the key it was signed with. */
  claims: { aud: string; exp: number; sub: string };
  vapidKey: string;
  headers: http.IncomingHttpHeaders;
}

interface Subscription {
  ecdh: ECDH;
  auth: Buffer;
}

export class PushEndpoint {
  readonly received: PushReceived[] = [];
  /** Paths that answer this status instead of 201 (410: the subscription is gone). */
  readonly status = new Map<string, number>();
  readonly errors: Error[] = [];
  private readonly subscriptions = new Map<string, Subscription>();
  private waiters: Array<() => void> = [];

  private constructor(
    private readonly server: http.Server,
    readonly origin: string,
  ) {}

  static async start(): Promise<PushEndpoint> {
    let endpoint!: PushEndpoint;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          endpoint.receive(req, Buffer.concat(chunks));
        } catch (err) {
          endpoint.errors.push(err as Error);
        }
        res.writeHead(endpoint.status.get(req.url ?? '') ?? 201);
        res.end();
        for (const w of endpoint.waiters.splice(0)) w();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    endpoint = new PushEndpoint(server, `http://127.0.0.1:${port}`);
    return endpoint;
  }

  /** A new subscription at `path`: its endpoint URL and the WEBPUSH REGISTER keys (tag format). */
  subscribe(path: string): { url: string; keys: string } {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16);
    this.subscriptions.set(path, { ecdh, auth });
    return {
      url: this.origin + path,
      keys: `p256dh=${ecdh.getPublicKey().toString('base64url')};auth=${auth.toString('base64url')}`,
    };
  }

  /** Pushes received at a path. */
  at(path: string): PushReceived[] {
    return this.received.filter((r) => r.path === path);
  }

  /** Waits until `count` pushes have reached `path`. */
  async waitFor(path: string, count: number): Promise<PushReceived[]> {
    while (this.at(path).length < count) {
      if (this.errors.length > 0) throw this.errors[0];
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (this.errors.length > 0) throw this.errors[0];
    return this.at(path);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private receive(req: http.IncomingMessage, body: Buffer): void {
    const path = req.url ?? '';
    const sub = this.subscriptions.get(path);
    assert.ok(sub !== undefined, `push to an unknown subscription ${path}`);
    assert.equal(req.method, 'POST');
    assert.equal(req.headers['content-encoding'], 'aes128gcm');
    assert.ok(Number(req.headers['ttl']) > 0, 'TTL header (RFC 8030 §5.2)');
    const { claims, key } = verifyVapid(req.headers.authorization ?? '', this.origin);
    this.received.push({ path, payload: decrypt(body, sub), claims, vapidKey: key, headers: req.headers });
  }
}

/** RFC 8188 §2.1 header, RFC 8291 §3.4 keys, one record, padding delimiter 0x02. */
function decrypt(body: Buffer, sub: Subscription): string {
  const salt = body.subarray(0, 16);
  const idlen = body[20]!;
  const asPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  assert.equal(idlen, 65, 'keyid is the server’s uncompressed P-256 public key');
  const uaPublic = sub.ecdh.getPublicKey();
  const ecdhSecret = sub.ecdh.computeSecret(asPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, sub.auth, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([
    decipher.update(ciphertext.subarray(0, ciphertext.length - 16)),
    decipher.final(),
  ]);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  assert.equal(padded[end], 0x02, 'the last record ends with the 0x02 delimiter');
  return padded.subarray(0, end).toString('utf8');
}

function verifyVapid(header: string, origin: string): { claims: PushReceived['claims']; key: string } {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header);
  assert.ok(m !== null, `VAPID Authorization header: ${header}`);
  const [, jwt = '', key = ''] = m;
  const [h = '', p = '', s = ''] = jwt.split('.');
  assert.deepEqual(JSON.parse(Buffer.from(h, 'base64url').toString()), { typ: 'JWT', alg: 'ES256' });
  const point = Buffer.from(key, 'base64url');
  const publicKey = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  });
  const ok = verify(
    'sha256',
    Buffer.from(`${h}.${p}`),
    { key: publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(s, 'base64url'),
  );
  assert.ok(ok, 'the VAPID JWT signature verifies with k');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as PushReceived['claims'];
  assert.equal(claims.aud, origin);
  const now = Date.now() / 1000;
  assert.ok(claims.exp > now && claims.exp <= now + 24 * 3600, 'exp within 24 hours (RFC 8292 §2)');
  return { claims, key };
}
