/**
 * The `tertulia` command. `bin/tertulia.js` calls main() with the arguments after the program
 * name and exits with the code it returns: 0 success, 1 failure, 2 usage or configuration error.
 */
import { readFileSync } from 'node:fs';
import { CHAT_HELP, runChat } from './chat.js';
import { runHashPassword } from './hash-password.js';
import { HASH_PASSWORD_HELP, serveHelp, USAGE } from './help.js';
import { runServe } from './serve.js';

function version(): string {
  // Compiled to dist/src/cli/main.js; package.json is three levels up.
  const pkg: unknown = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
  const v = (pkg as { version?: unknown }).version;
  return typeof v === 'string' ? v : 'unknown';
}

const wantsHelp = (args: readonly string[]) => {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
};

function usageError(message: string): number {
  process.stderr.write(`tertulia: ${message}\n\n${USAGE}`);
  return 2;
}

function commandHelp(command: string | undefined): string | undefined {
  switch (command) {
    case undefined:
      return USAGE;
    case 'serve':
      return serveHelp();
    case 'hash-password':
      return HASH_PASSWORD_HELP;
    case 'chat':
      return CHAT_HELP;
    default:
      return undefined;
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
        process.stderr.write(USAGE);
        return 2;
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return 0;
      case 'help': {
        const text = commandHelp(rest[0]);
        if (text === undefined) return usageError(`unknown command "${rest[0]}"`);
        process.stdout.write(text);
        return 0;
      }
      case '--version':
      case '-V':
        process.stdout.write(`tertulia ${version()}\n`);
        return 0;
      case 'serve':
        if (wantsHelp(rest)) {
          process.stdout.write(serveHelp());
          return 0;
        }
        return await runServe(rest, version());
      case 'chat':
        if (wantsHelp(rest)) {
          process.stdout.write(CHAT_HELP);
          return 0;
        }
        return await runChat(rest);
      case 'hash-password':
        if (wantsHelp(rest)) {
          process.stdout.write(HASH_PASSWORD_HELP);
          return 0;
        }
        if (rest.length > 0)
          return usageError(`hash-password takes no arguments (it reads stdin), got "${rest[0]}"`);
        return await runHashPassword();
      default:
        return usageError(
          command.startsWith('-')
            ? `unknown option ${command} (options go after the command)`
            : `unknown command "${command}"`,
        );
    }
  } catch (err) {
    process.stderr.write(`tertulia: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    return 1;
  }
}
