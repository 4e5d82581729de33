/**
 * The TLS gateway: the TCP gateway's `attachSocket` behind node:tls (TLS 1.2 minimum).
 *
 * Certificates come from `--tls-cert`/`--tls-key`, or, with neither, from a self-signed
 * certificate generated on the first start into `<data-dir>/tls/` and reused afterwards;
 * its SHA-256 fingerprint is logged so users can pin it. `reload` swaps the certificate
 * for new connections (SIGHUP) without touching the open ones.
 *
 * Client certificates are requested but not required and never verified against a CA:
 * what matters is their fingerprint, which SASL EXTERNAL and WHOIS (276) use.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { generate } from 'selfsigned';
import type { Config } from '../config/config.js';
import type { ChatServer } from '../core/server.js';
import { type BoundListener, bindListener } from './listener.js';
import { proxiedAddresses, readProxyHeader } from './proxy-protocol.js';
import { attachSocket } from './tcp.js';

export const TLS_MIN_VERSION = 'TLSv1.2';

/** A certificate chain and its key (PEM), with the leaf's SHA-256 fingerprint. */
export interface TlsMaterial {
  cert: string;
  key: string;
  /** `AB:CD:…` as printed for pinning (uppercase hex, colon-separated). */
  fingerprint: string;
  /** Where it came from: the configured files or the generated pair in data-dir. */
  source: 'configured' | 'generated';
}

export interface TlsListener extends BoundListener {
  /** Uses `material` for connections accepted from now on; open ones keep theirs. */
  setMaterial(material: TlsMaterial): void;
}

/** Paths of the generated self-signed pair. */
export function generatedPaths(dataDir: string): { dir: string; cert: string; key: string } {
  const dir = join(dataDir, 'tls');
  return { dir, cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
}

/** `AB:CD:…` → `abcd…`, the form stored for client certificates. */
export function compactFingerprint(fp: string): string {
  return fp.replace(/:/g, '').toLowerCase();
}

/**
 * Reads the configured certificate and key, or the generated pair (creating it on the
 * first start). Throws when the files cannot be read or the key does not match.
 */
export async function loadTlsMaterial(config: Config, log: Logger): Promise<TlsMaterial> {
  if ((config.tlsCert === null) !== (config.tlsKey === null))
    throw new Error('tls-cert and tls-key must be set together');
  let cert: string;
  let key: string;
  let source: TlsMaterial['source'];
  if (config.tlsCert !== null && config.tlsKey !== null) {
    cert = readFileSync(config.tlsCert, 'utf8');
    key = readFileSync(config.tlsKey, 'utf8');
    source = 'configured';
  } else {
    const paths = generatedPaths(config.dataDir);
    if (!existsSync(paths.cert) || !existsSync(paths.key)) {
      await generateSelfSigned(config.serverName, paths);
      log.info(
        { event: 'tls.generated', path: paths.dir },
        `Generated a self-signed TLS certificate in ${paths.dir}`,
      );
    }
    cert = readFileSync(paths.cert, 'utf8');
    key = readFileSync(paths.key, 'utf8');
    source = 'generated';
  }
  // Fails early (at start or reload) on a key that does not belong to the certificate.
  tls.createSecureContext({ cert, key, minVersion: TLS_MIN_VERSION });
  const fingerprint = new X509Certificate(cert).fingerprint256;
  log.info(
    { event: 'tls.certificate', fingerprint, source },
    `TLS certificate SHA-256 fingerprint: ${fingerprint}`,
  );
  return { cert, key, fingerprint, source };
}

/** A self-signed P-256 certificate for the server name, localhost and the loopbacks, valid 10 years. */
async function generateSelfSigned(
  serverName: string,
  paths: { dir: string; cert: string; key: string },
): Promise<void> {
  const now = new Date();
  const pems = await generate([{ name: 'commonName', value: serverName }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + 10 * 365 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: serverName },
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  // Key first, each file renamed into place: a crash never leaves a certificate without its key.
  writeAtomically(paths.key, pems.private, 0o600);
  writeAtomically(paths.cert, pems.cert, 0o644);
}

function writeAtomically(path: string, data: string, mode: number): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, path);
}

function contextOptions(material: TlsMaterial): tls.SecureContextOptions {
  return { cert: material.cert, key: material.key, minVersion: TLS_MIN_VERSION };
}

/** The client certificate's SHA-256 fingerprint (lowercase hex), or null when it sent none. */
export function peerFingerprint(socket: tls.TLSSocket): string | null {
  const cert = socket.getPeerX509Certificate();
  return cert === undefined ? null : compactFingerprint(cert.fingerprint256);
}

export async function listenTls(
  server: ChatServer,
  host: string,
  port: number,
  material: TlsMaterial,
): Promise<TlsListener> {
  if (server.config.proxyProtocol) return listenTlsBehindProxy(server, host, port, material);
  const srv = tls.createServer(
    {
      ...contextOptions(material),
      // Ask for a client certificate (SASL EXTERNAL, WHOIS 276) but accept any, or none.
      requestCert: true,
      rejectUnauthorized: false,
      handshakeTimeout: 30_000,
    },
    (socket) => attachSocket(server, socket, 'tls', true, peerFingerprint(socket)),
  );
  srv.on('tlsClientError', (err, socket) => {
    server.log.debug(
      { event: 'tls.handshake_failed', ip: socket.remoteAddress, err: err.message },
      'TLS handshake failed',
    );
  });
  const bound = await bindListener(srv, { kind: 'tls', host, port, backlog: 4096 }, server.log);
  return { ...bound, setMaterial: (m) => srv.setSecureContext(contextOptions(m)) };
}

/** How long a client behind a proxy has to finish the TLS handshake. */
const HANDSHAKE_TIMEOUT_MS = 30_000;

/**
 * With --proxy-protocol the PROXY header comes before the TLS handshake, so the listener is
 * plain TCP: each connection's header is read first (the real address is recorded for
 * per-IP limits and WHOIS), then TLS is layered on the same connection.
 */
async function listenTlsBehindProxy(
  server: ChatServer,
  host: string,
  port: number,
  material: TlsMaterial,
): Promise<TlsListener> {
  let context = tls.createSecureContext(contextOptions(material));
  const srv = net.createServer({ noDelay: true }, (raw) => {
    raw.on('error', () => {});
    readProxyHeader(raw)
      .then(({ source, rest }) => {
        const secure = new tls.TLSSocket(rest.length === 0 ? raw : replaying(raw, rest), {
          isServer: true,
          secureContext: context,
          requestCert: true,
          rejectUnauthorized: false,
        });
        if (source !== null) proxiedAddresses.set(secure, source.address);
        const timer = setTimeout(() => secure.destroy(), HANDSHAKE_TIMEOUT_MS);
        secure.on('error', (err) => {
          server.log.debug({ event: 'tls.handshake_failed', err: err.message }, 'TLS handshake failed');
        });
        secure.once('secure', () => {
          clearTimeout(timer);
          attachSocket(server, secure, 'tls', true, peerFingerprint(secure));
        });
        secure.once('close', () => clearTimeout(timer));
      })
      .catch((err: unknown) => {
        server.log.debug(
          { event: 'proxy.rejected', err: String(err) },
          'connection without a valid PROXY header',
        );
        raw.destroy();
      });
  });
  const bound = await bindListener(srv, { kind: 'tls', host, port, backlog: 4096 }, server.log);
  return {
    ...bound,
    setMaterial: (m) => {
      context = tls.createSecureContext(contextOptions(m));
    },
  };
}

/**
 * A stream over `raw` that first yields `head` (bytes read past the PROXY header, i.e. the
 * start of the TLS handshake). A TLSSocket over a net.Socket reads from the socket's handle
 * and would never see bytes put back into the JavaScript stream, so it wraps this instead.
 */
function replaying(raw: net.Socket, head: Buffer): Duplex {
  const stream = new Duplex({
    read() {
      raw.resume();
    },
    write(chunk: Buffer, _encoding, done) {
      raw.write(chunk, done);
    },
    final(done) {
      raw.end();
      done();
    },
    destroy(err, done) {
      raw.destroy();
      done(err);
    },
  });
  stream.push(head);
  raw.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) raw.pause();
  });
  raw.on('end', () => stream.push(null));
  raw.on('close', () => stream.destroy());
  return stream;
}
