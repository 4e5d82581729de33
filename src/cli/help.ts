/** Help texts, generated from the option table so they cannot drift from what is parsed. */
import { CONFIG_FILE_OPTION, formatDefault, OPTIONS } from '../config/schema.js';

export const USAGE = `tertulia: a self-hosted chat server that speaks IRC

Usage:
  tertulia serve [options]    run the server (options: "tertulia serve --help")
  tertulia chat [options]     chat from the terminal (options: "tertulia chat --help")
  tertulia hash-password      read a password on stdin, print its hash for the config file
  tertulia help [command]     show this help, or a command's
  tertulia --version          print the version
`;

export const HASH_PASSWORD_HELP = `Usage: tertulia hash-password

Reads a password from standard input (prompting twice without echo on a terminal) and prints
its scrypt hash. Put the hash in the config file, for example:

  opers:
    - name: alice
      password-hash: "scrypt$16384$8$1$..."
      mask: "*!*@127.0.0.1"
`;

function pad(s: string, width: number): string {
  return s.length >= width ? `${s} ` : s + ' '.repeat(width - s.length);
}

export function serveHelp(): string {
  const rows = [
    {
      flag: `${CONFIG_FILE_OPTION.flag} ${CONFIG_FILE_OPTION.hint}`,
      env: CONFIG_FILE_OPTION.env,
      def: 'none',
      help: CONFIG_FILE_OPTION.help,
    },
    ...OPTIONS.filter((o) => o.flag !== null).map((o) => ({
      flag: `${o.flag} ${o.hint}`,
      env: o.env ?? '',
      def: formatDefault(o),
      help: o.help,
    })),
  ];
  const flagWidth = Math.max(...rows.map((r) => r.flag.length)) + 2;
  const envWidth = Math.max(...rows.map((r) => r.env.length)) + 2;

  let out = `Usage: tertulia serve [options]

Runs the chat server. Every option can also be given as the environment variable shown, or as
a key of the YAML file named by --config (the flag without its "--"). Precedence: flag, then
environment, then file, then default. Boolean options take --flag, --flag=false or --no-flag.

Options:
`;
  for (const r of rows) {
    out += `  ${pad(r.flag, flagWidth)}${pad(r.env, envWidth)}default: ${r.def}\n      ${r.help}\n`;
  }
  out += '  --help\n      Show this help.\n';
  const fileOnly = OPTIONS.filter((o) => o.flag === null);
  if (fileOnly.length > 0) {
    out += '\nConfig file only (no flag or environment variable):\n';
    for (const o of fileOnly)
      out += `  ${pad(o.key, flagWidth + envWidth)}default: ${formatDefault(o)}\n      ${o.help}\n`;
  }
  return out;
}
