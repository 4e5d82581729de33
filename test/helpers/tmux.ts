/**
 * Driving real terminal programs for the interop tests: a private tmux server on its own
 * socket (own config, HOME, UTF-8 locale) that starts programs detached, types into them
 * (`send-keys`) and reads their screens (`capture-pane`).
 */
import { execFile, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Generous: CI machines can be slow to start curses programs. */
export const WAIT_MS = 15_000;

export function has(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;
}

/** The binaries of `needed` that are not installed. */
export function missingBinaries(needed: string[]): string[] {
  return needed.filter((b) => !has(b));
}

/** A test's skip reason: missing binaries skip locally, and fail in CI (`CI` set). */
export function skipWithout(missing: string[]): string | false {
  return missing.length > 0 && !process.env.CI
    ? `not installed: ${missing.join(', ')} (apt-get install tmux irssi weechat-curses)`
    : false;
}

/** WeeChat 4 renamed the "ssl" server options to "tls". */
export function weechatNoTlsFlag(): string {
  const out = spawnSync('weechat', ['--version'], { encoding: 'utf8' }).stdout ?? '';
  const major = Number.parseInt(out.trim().split('.')[0] ?? '', 10);
  return major >= 4 ? '-notls' : '-nossl';
}

/** A captured screen without its blank lines and trailing padding. */
export function tidy(screen: string): string {
  return screen
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => !/^[\s│]*$/.test(l))
    .join('\n');
}

/** A private tmux server: its own socket directory, config and environment. */
export class Tmux {
  readonly socket = `tertulia-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private readonly env: NodeJS.ProcessEnv;
  private readonly conf: string;

  constructor(readonly dir: string) {
    this.conf = join(dir, 'tmux.conf');
    // Keep dead panes so a failure can still show what a client printed before exiting.
    writeFileSync(this.conf, 'set -g remain-on-exit on\nset -g history-limit 5000\n');
    this.env = {
      PATH: process.env.PATH,
      HOME: dir,
      TMUX_TMPDIR: dir,
      TERM: 'xterm-256color',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
    };
  }

  async tmux(...args: string[]): Promise<string> {
    const { stdout } = await run('tmux', ['-u', '-L', this.socket, '-f', this.conf, ...args], {
      env: this.env,
    });
    return stdout;
  }

  /** Starts `argv` (executed directly, no shell) in a detached 200x50 session. */
  async start(session: string, argv: string[]): Promise<void> {
    await this.tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50', '--', ...argv);
  }

  /** Types a line and presses Enter. */
  async type(session: string, text: string): Promise<void> {
    await this.tmux('send-keys', '-t', session, '-l', text);
    await this.tmux('send-keys', '-t', session, 'Enter');
  }

  async screen(session: string): Promise<string> {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', session);
  }

  /** Polls the session's screen until `pattern` shows, or fails showing the screen. */
  async waitFor(session: string, pattern: RegExp, timeoutMs = WAIT_MS): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      last = await this.screen(session).catch((err: Error) => `(capture failed: ${err.message})`);
      const found = last.match(pattern);
      if (found) return found[0];
      if (Date.now() > deadline) {
        throw new Error(`${session}: ${pattern} not on screen after ${timeoutMs} ms; screen:\n${tidy(last)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Adds every session's screen to a failure, so a CI log shows what the clients saw. */
  async explain(err: unknown, sessions: string[] = ['irssi', 'weechat']): Promise<unknown> {
    if (!(err instanceof Error)) return err;
    for (const session of sessions) {
      if (err.message.startsWith(`${session}:`)) continue;
      const screen = await this.screen(session).catch((e: Error) => `(capture failed: ${e.message})`);
      err.message += `\n--- ${session} screen ---\n${tidy(screen)}`;
    }
    return err;
  }

  async kill(): Promise<void> {
    await this.tmux('kill-server').catch(() => undefined);
  }
}
