/**
 * A raw socket that behaves like `nc`: writes exactly the bytes it is given and records the
 * text lines the server sends, so tests can wait for what a person would read.
 */
import net from 'node:net';

export class NcClient {
  readonly lines: string[] = [];
  closed = false;
  private buffer = '';
  private cursor = 0;
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      const parts = this.buffer.split(/\r?\n/);
      this.buffer = parts.pop()!;
      this.lines.push(...parts);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<NcClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1' }, () => resolve(new NcClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Connects, answers the name prompt and waits until the person is in #lobby. */
  static async join(port: number, name: string): Promise<NcClient> {
    const c = await NcClient.connect(port);
    await c.waitFor('What is your name?');
    c.type(name);
    await c.waitFor(`Welcome to the best chat in the universe, ${name}!`);
    await c.waitFor(/^\d+ (person|people) in #lobby: /);
    return c;
  }

  /** Sends a line ending in LF, as nc does. */
  type(line: string): void {
    this.socket.write(line + '\n');
  }

  raw(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Lines after the cursor. */
  get since(): string[] {
    return this.lines.slice(this.cursor);
  }

  /** Waits for a line (exact text or pattern) after the cursor and moves the cursor past it. */
  waitFor(match: string | RegExp, timeoutMs = 5000): Promise<string> {
    const test = (l: string): boolean => (typeof match === 'string' ? l === match : match.test(l));
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        for (let i = this.cursor; i < this.lines.length; i++) {
          if (test(this.lines[i]!)) {
            this.cursor = i + 1;
            resolve(this.lines[i]!);
            return true;
          }
        }
        return false;
      };
      if (check()) return;
      const fail = (why: string): void => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`${why} waiting for ${String(match)}; received:\n  ${this.since.join('\n  ')}`));
      };
      const timer = setTimeout(() => fail('timed out'), timeoutMs);
      const waiter = (): void => {
        if (check()) {
          clearTimeout(timer);
          this.waiters = this.waiters.filter((w) => w !== waiter);
        } else if (this.closed) {
          clearTimeout(timer);
          fail('connection closed');
        }
      };
      this.waiters.push(waiter);
    });
  }

  /** Resolves when the server has closed the connection. */
  waitClosed(timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closed) return resolve();
      const timer = setTimeout(() => reject(new Error('connection still open')), timeoutMs);
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
