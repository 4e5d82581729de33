/**
 * Client-side SASL for the accounts suites: PLAIN (RFC 4616) and a real SCRAM-SHA-256
 * client (RFC 5802, RFC 7677) built on node:crypto, speaking AUTHENTICATE with 400-byte
 * chunking (IRCv3 sasl-3.1).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Received, TestClient } from '../helpers/client.js';

export type Mechanism = 'PLAIN' | 'SCRAM-SHA-256';

/** SASL outcome numerics (sasl-3.1 §Numerics). */
const OUTCOME = new Set(['903', '904', '905', '906', '907']);

/** Sends one SASL response: base64, 400-byte chunks, `+` after a full chunk or for empty. */
export function sendResponse(c: TestClient, data: Buffer): void {
  const text = data.toString('base64');
  for (let i = 0; i < text.length; i += 400) c.send(`AUTHENTICATE ${text.slice(i, i + 400)}`);
  if (text.length % 400 === 0) c.send('AUTHENTICATE +');
}

/** Reads one server response (all its AUTHENTICATE chunks), or the outcome numeric that came instead. */
export async function readResponse(c: TestClient): Promise<Buffer | Received> {
  let text = '';
  for (;;) {
    const m = await c.waitFor((x) => x.command === 'AUTHENTICATE' || OUTCOME.has(x.command));
    if (m.command !== 'AUTHENTICATE') return m;
    const chunk = m.params[0]!;
    if (chunk !== '+') text += chunk;
    if (chunk.length < 400) return Buffer.from(text, 'base64');
  }
}

export interface SaslResult {
  /** The final numeric: 903 on success, 904/905/906/907 otherwise. */
  outcome: Received;
  /** Every line from AUTHENTICATE <mechanism> to the outcome. */
  lines: Received[];
  /** SCRAM: whether the server's signature (v=) matched what the client computed. */
  serverVerified?: boolean;
}

/** Runs one whole SASL exchange on a connection that has the sasl capability. */
export async function authenticate(
  c: TestClient,
  mechanism: Mechanism,
  account: string,
  password: string,
): Promise<SaslResult> {
  const start = c.received.length;
  c.send(`AUTHENTICATE ${mechanism}`);
  const go = await c.waitFor(
    (m) => (m.command === 'AUTHENTICATE' && m.params[0] === '+') || OUTCOME.has(m.command),
  );
  const done = async (extra: Partial<SaslResult> = {}): Promise<SaslResult> => {
    const outcome = await c.waitFor((m) => OUTCOME.has(m.command));
    return { outcome, lines: c.received.slice(start), ...extra };
  };
  if (go.command !== 'AUTHENTICATE') return { outcome: go, lines: c.received.slice(start) };
  if (mechanism === 'PLAIN') {
    sendResponse(c, Buffer.from(`\0${account}\0${password}`, 'utf8'));
    return done();
  }
  const scram = new ScramClient(account, password);
  sendResponse(c, Buffer.from(scram.first(), 'utf8'));
  const serverFirst = await readResponse(c);
  if (!Buffer.isBuffer(serverFirst)) return { outcome: serverFirst, lines: c.received.slice(start) };
  sendResponse(c, Buffer.from(scram.final(serverFirst.toString('utf8')), 'utf8'));
  const serverFinal = await readResponse(c);
  if (!Buffer.isBuffer(serverFinal)) return { outcome: serverFinal, lines: c.received.slice(start) };
  const serverVerified = scram.verifyServer(serverFinal.toString('utf8'));
  c.send('AUTHENTICATE +');
  return done({ serverVerified });
}

/**
 * Connects with CAP LS 302, requests sasl (and `caps`), authenticates before CAP END and
 * finishes registration. Resolves once the MOTD ended.
 */
export async function connectWithSasl(
  port: number,
  nick: string,
  mechanism: Mechanism,
  account: string,
  password: string,
  caps: string[] = [],
): Promise<{ client: TestClient; result: SaslResult }> {
  const c = await TestClient.connect(port);
  c.nick = nick;
  c.send('CAP LS 302');
  c.send(`CAP REQ :${['sasl', ...caps].join(' ')}`);
  c.send(`NICK ${nick}`);
  c.send(`USER ${nick.toLowerCase()} 0 * :${nick} Tester`);
  await c.expect('CAP', '*', 'ACK');
  const result = await authenticate(c, mechanism, account, password);
  c.send('CAP END');
  await c.waitFor((m) => m.command === '376' || m.command === '422');
  c.mark();
  return { client: c, result };
}

const hmac = (key: Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();

/** A SCRAM-SHA-256 client (RFC 5802 §3 and §5), without channel binding (gs2 flag `n`). */
export class ScramClient {
  private readonly nonce = randomBytes(18).toString('base64');
  private readonly gs2 = 'n,,';
  private bare = '';
  private expectedServerSignature: Buffer | null = null;

  constructor(
    private readonly user: string,
    private readonly password: string,
  ) {}

  first(): string {
    const name = this.user.replace(/=/g, '=3D').replace(/,/g, '=2C');
    this.bare = `n=${name},r=${this.nonce}`;
    return this.gs2 + this.bare;
  }

  final(serverFirst: string): string {
    const attrs = new Map(serverFirst.split(',').map((a) => [a.slice(0, 1), a.slice(2)]));
    const nonce = attrs.get('r')!;
    if (!nonce.startsWith(this.nonce)) throw new Error('server nonce does not extend ours');
    const salt = Buffer.from(attrs.get('s')!, 'base64');
    const iterations = Number(attrs.get('i'));
    const salted = pbkdf2Sync(Buffer.from(this.password, 'utf8'), salt, iterations, 32, 'sha256');
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = createHash('sha256').update(clientKey).digest();
    const withoutProof = `c=${Buffer.from(this.gs2).toString('base64')},r=${nonce}`;
    const authMessage = `${this.bare},${serverFirst},${withoutProof}`;
    const signature = createHmac('sha256', storedKey).update(authMessage).digest();
    const proof = Buffer.alloc(32);
    for (let i = 0; i < 32; i++) proof[i] = clientKey[i]! ^ signature[i]!;
    this.expectedServerSignature = hmac(hmac(salted, 'Server Key'), authMessage);
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  verifyServer(serverFinal: string): boolean {
    if (!serverFinal.startsWith('v=') || this.expectedServerSignature === null) return false;
    const got = Buffer.from(serverFinal.slice(2), 'base64');
    return got.length === 32 && timingSafeEqual(got, this.expectedServerSignature);
  }
}
