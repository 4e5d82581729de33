/**
 * A raw IRC test client over a real socket: it sends exact lines and records every line
 * the server sends, parsed, so tests can wait for and assert on what a user would see.
 */
import net from 'node:net';
import { WebSocket } from 'ws';
import { type IrcMessage, parseLine } from '../../src/protocol/message.js';

/** IRC port → HTTP port of each test server (see TERTULIA_TEST_TRANSPORT in `connect`). */
const wsPorts = new Map<number, number>();

/** Records a test server's HTTP port; returns it. */
export function registerWsPort(ircPort: number, httpPort: number): number {
  if (ircPort !== 0 && httpPort !== 0) wsPorts.set(ircPort, httpPort);
  return httpPort;
}

export interface Received extends IrcMessage {
  raw: string;
}

export class TestClient {
  readonly received: Received[] = [];
  nick = '';
  closed = false;
  private buffer = '';
  private waiters: Array<() => void> = [];
  private cursor = 0;

  /** Set when the client speaks IRC over WebSocket (`socket` is then the TCP socket under it). */
  private ws: WebSocket | null = null;

  private constructor(
    readonly socket: net.Socket,
    ws: WebSocket | null = null,
  ) {
    if (ws !== null) {
      // One IRC line per WebSocket message, without CR LF (IRCv3 websocket).
      this.ws = ws;
      ws.on('message', (data: Buffer) => {
        const raw = data.toString('utf8');
        const parsed = parseLine(raw);
        if (parsed.ok) this.received.push({ ...parsed.message, raw });
        this.wake();
      });
      ws.on('close', () => {
        this.closed = true;
        this.wake();
      });
      ws.on('error', () => {});
      socket.on('close', () => {
        this.closed = true;
        this.wake();
      });
      return;
    }
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let i = this.buffer.indexOf('\r\n');
      while (i !== -1) {
        const raw = this.buffer.slice(0, i);
        this.buffer = this.buffer.slice(i + 2);
        const parsed = parseLine(raw);
        if (parsed.ok) this.received.push({ ...parsed.message, raw });
        i = this.buffer.indexOf('\r\n');
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static connect(port: number, host = '127.0.0.1'): Promise<TestClient> {
    // TERTULIA_TEST_TRANSPORT=ws runs a suite over WebSocket: the server's IRC port maps to its HTTP port.
    if (process.env['TERTULIA_TEST_TRANSPORT'] === 'ws' && wsPorts.has(port))
      return TestClient.connectWs(wsPorts.get(port)!, { host });
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host }, () => resolve(new TestClient(socket)));
      socket.once('error', reject);
    });
  }

  /**
   * Connects over the IRCv3 WebSocket transport to an HTTP port. `protocols` are offered in
   * order (default text.ircv3.net); rejects if the server refuses the upgrade.
   */
  static connectWs(
    port: number,
    opts: { host?: string; protocols?: string[]; headers?: Record<string, string> } = {},
  ): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      let tcp: net.Socket | null = null;
      const ws = new WebSocket(
        `ws://${opts.host ?? '127.0.0.1'}:${port}/`,
        opts.protocols ?? ['text.ircv3.net'],
        {
          headers: opts.headers ?? {},
          // Keep the TCP socket, so tests can pause or destroy it as with a plain connection.
          createConnection: ((options: net.NetConnectOpts) => {
            tcp = net.connect(options);
            return tcp;
          }) as typeof net.createConnection,
        },
      );
      ws.once('open', () => resolve(new TestClient(tcp!, ws)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  /** The negotiated WebSocket subprotocol ('' for none); null on a plain socket. */
  get wsProtocol(): string | null {
    return this.ws?.protocol ?? null;
  }

  /** Wraps an already connected socket (a TLS one, for instance). */
  static fromSocket(socket: net.Socket): TestClient {
    return new TestClient(socket);
  }

  /** Connects and registers; resolves after the end of the MOTD (376 or 422). */
  static async register(port: number, nick: string, caps: string[] = []): Promise<TestClient> {
    const c = await TestClient.connect(port);
    await c.registerAs(nick, caps);
    return c;
  }

  /**
   * Creates the account `name` (password `secret-<name>` unless given) with IRCv3 REGISTER
   * on a connection of its own, which then quits.
   */
  static async registerAccount(port: number, name: string, password = `secret-${name}`): Promise<void> {
    const c = await TestClient.register(port, name, ['draft/account-registration']);
    c.send(`REGISTER ${name} * ${password}`);
    await c.expect('REGISTER', 'SUCCESS');
    c.send('QUIT');
    await c.waitClosed();
  }

  async registerAs(nick: string, caps: string[] = []): Promise<void> {
    this.nick = nick;
    if (caps.length > 0) {
      this.send('CAP LS 302');
      this.send(`CAP REQ :${caps.join(' ')}`);
      this.send('CAP END');
    }
    this.send(`NICK ${nick}`);
    this.send(`USER ${nick.toLowerCase()} 0 * :${nick} Tester`);
    await this.waitFor((m) => m.command === '376' || m.command === '422');
    // The nick the server welcomed us under (a guest nick for a registered one not logged in to).
    this.nick = this.received.find((m) => m.command === '001')?.params[0] ?? nick;
    this.mark();
  }

  send(line: string): void {
    if (this.ws !== null) this.ws.send(line);
    else this.socket.write(line + '\r\n');
  }

  /** Raw bytes; over WebSocket they go as one message (binary for a Buffer). */
  sendRaw(data: string | Buffer): void {
    if (this.ws !== null) this.ws.send(data);
    else this.socket.write(data);
  }

  /**
   * Everything received after the mark. Note that `waitFor`/`expect` move the mark past
   * what they matched; use `until` to collect a whole reply.
   */
  get since(): Received[] {
    return this.received.slice(this.cursor);
  }

  /** Forgets earlier lines for the purpose of `waitFor` and `since`. */
  mark(): void {
    this.cursor = this.received.length;
  }

  /**
   * Resolves with the first message (after the mark) matching `pred`, and moves the mark
   * past it. Rejects after `timeoutMs` with what was received, so failures explain themselves.
   */
  waitFor(pred: (m: Received) => boolean, timeoutMs = 5000): Promise<Received> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        for (let i = this.cursor; i < this.received.length; i++) {
          const m = this.received[i]!;
          if (pred(m)) {
            this.cursor = i + 1;
            resolve(m);
            return true;
          }
        }
        return false;
      };
      if (check()) return;
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const seen = this.since.map((m) => m.raw).join('\n  ');
        reject(new Error(`${this.nick || 'client'}: timed out waiting; received since mark:\n  ${seen}`));
      }, timeoutMs);
      const waiter = (): void => {
        if (check()) {
          clearTimeout(timer);
          this.waiters = this.waiters.filter((w) => w !== waiter);
        } else if (this.closed) {
          clearTimeout(timer);
          this.waiters = this.waiters.filter((w) => w !== waiter);
          const seen = this.since.map((m) => m.raw).join('\n  ');
          reject(
            new Error(`${this.nick || 'client'}: connection closed while waiting; received:\n  ${seen}`),
          );
        }
      };
      this.waiters.push(waiter);
    });
  }

  /**
   * Everything received from the mark up to and including the first message matching
   * `pred` (for replies that end with a terminator numeric, e.g. LIST → 323).
   */
  async until(pred: (m: Received) => boolean, timeoutMs = 5000): Promise<Received[]> {
    const start = this.cursor;
    await this.waitFor(pred, timeoutMs);
    return this.received.slice(start, this.cursor);
  }

  /** The members NAMES lists for `channel` (RFC 2812 §3.2.5), with their prefixes (`@ana`). */
  async names(channel: string): Promise<string[]> {
    this.mark();
    this.send(`NAMES ${channel}`);
    const lines = await this.until((m) => m.command === '366');
    return lines
      .filter((m) => m.command === '353')
      .flatMap((m) => m.params.at(-1)!.split(' '))
      .filter((n) => n !== '');
  }

  /** Waits for a command (and optionally its parameters' prefix). */
  expect(command: string, ...params: string[]): Promise<Received> {
    return this.waitFor((m) => m.command === command && params.every((p, i) => m.params[i] === p));
  }

  /** Sends PING and waits for its PONG: everything sent before it has been processed. */
  /** Everything received until the answer to a PING: the whole reply to what was sent before. */
  async replyUntilPong(): Promise<Received[]> {
    const token = `r${Math.random().toString(36).slice(2)}`;
    this.send(`PING ${token}`);
    const all = await this.until((m) => m.command === 'PONG' && m.params.at(-1) === token);
    return all.slice(0, -1);
  }

  async sync(): Promise<void> {
    const token = `sync${Math.random().toString(36).slice(2)}`;
    this.send(`PING ${token}`);
    await this.waitFor((m) => m.command === 'PONG' && m.params.at(-1) === token);
  }

  /** Resolves when the server closes the connection. */
  waitClosed(timeoutMs = 5000): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.nick}: still open`)), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
