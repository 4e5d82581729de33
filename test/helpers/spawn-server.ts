/**
 * `tertulia serve` as a real child process (for tests that kill it, restart it or run its
 * workers): every listener but IRC off, IRC on an ephemeral port read back from the
 * "listening irc" line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const bin = join(root, 'bin', 'tertulia.js');

export interface SpawnedServer {
  child: ChildProcess;
  port: number;
  /** Everything printed on stdout and stderr so far. */
  output(): string;
  exited: Promise<number | null>;
}

/**
 * Starts `serve` with `args` after the defaults above; resolves once it listens (and, when
 * `ready` is given, once the output also matches it), rejects if it exits first.
 */
export function spawnServe(args: string[], ready?: RegExp): Promise<SpawnedServer> {
  const child = spawn(
    process.execPath,
    [
      bin,
      'serve',
      '--host=127.0.0.1',
      '--irc-port=0',
      '--tls-port=off',
      '--text-port=off',
      '--http-port=off',
      ...args,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  let out = '';
  return new Promise((resolvePort, reject) => {
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /^listening irc 127\.0\.0\.1:(\d+)$/m.exec(out);
      if (m !== null && (ready === undefined || ready.test(out))) {
        resolvePort({ child, port: Number(m[1]), output: () => out, exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`server exited early (${code}): ${out}`)));
  });
}
