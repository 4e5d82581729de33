/**
 * TLS test helpers: certificates made with the same library the server uses (selfsigned),
 * and connections that pin the server certificate's SHA-256 fingerprint.
 */
import { X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import { generate } from 'selfsigned';
import { TestClient } from '../helpers/client.js';

export interface Pair {
  cert: string;
  key: string;
  /** `AB:CD:…` (node's fingerprint256 form). */
  fingerprint: string;
  /** 64 lowercase hex digits (the server's form for client certificates). */
  compact: string;
}

export async function makeCert(cn: string): Promise<Pair> {
  const pems = await generate([{ name: 'commonName', value: cn }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  const fingerprint = new X509Certificate(pems.cert).fingerprint256;
  return {
    cert: pems.cert,
    key: pems.private,
    fingerprint,
    compact: fingerprint.replace(/:/g, '').toLowerCase(),
  };
}

export interface ConnectOptions {
  /** Pin: the handshake fails unless the server certificate has this fingerprint256. */
  pin?: string;
  /** A client certificate to present. */
  client?: Pair;
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  ciphers?: string;
}

/**
 * Connects over TLS. With `pin`, the server certificate is accepted only when its SHA-256
 * fingerprint matches (checkServerIdentity), whatever signed it; without, any certificate
 * is accepted and the caller inspects it.
 */
export function connectTls(port: number, opts: ConnectOptions = {}): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      // Self-signed: chain verification is replaced by the pin below.
      rejectUnauthorized: false,
      ...(opts.client ? { cert: opts.client.cert, key: opts.client.key } : {}),
      ...(opts.minVersion ? { minVersion: opts.minVersion } : {}),
      ...(opts.maxVersion ? { maxVersion: opts.maxVersion } : {}),
      ...(opts.ciphers ? { ciphers: opts.ciphers } : {}),
    });
    socket.once('secureConnect', () => {
      // node calls checkServerIdentity only for certificates that verify against a CA, so the
      // pin runs here with the same signature on the peer certificate.
      const err =
        opts.pin === undefined ? undefined : pinCheck(opts.pin)('localhost', socket.getPeerCertificate());
      if (err !== undefined) {
        socket.destroy();
        reject(err);
      } else resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** A checkServerIdentity that accepts exactly one certificate, by SHA-256 fingerprint. */
export function pinCheck(
  fingerprint: string,
): (host: string, cert: tls.PeerCertificate) => Error | undefined {
  return (_host, cert) =>
    cert.fingerprint256 === fingerprint
      ? undefined
      : new Error(`certificate fingerprint ${cert.fingerprint256} is not the pinned ${fingerprint}`);
}

/** The fingerprint256 of the certificate a fresh connection is given. */
export async function serverFingerprint(port: number): Promise<string> {
  const s = await connectTls(port);
  const fp = s.getPeerCertificate().fingerprint256;
  s.destroy();
  return fp;
}

/** A TestClient over a pinned TLS connection, registered as `nick`. */
export async function tlsClient(
  port: number,
  nick: string,
  opts: ConnectOptions & { caps?: string[] } = {},
): Promise<TestClient> {
  const c = TestClient.fromSocket(await connectTls(port, opts));
  await c.registerAs(nick, opts.caps ?? []);
  return c;
}

/** The fingerprint the server printed at start-up (`TLS certificate SHA-256 fingerprint: …`). */
export function loggedFingerprints(logs: string[]): string[] {
  const out: string[] = [];
  for (const line of logs) {
    const m = /TLS certificate SHA-256 fingerprint: ([0-9A-F:]{95})/.exec(line);
    if (m) out.push(m[1]!);
  }
  return out;
}
