/** `tertulia hash-password`: read a password on stdin, print the hash for the config file. */
import { hashPassword } from '../crypto/password.js';

const MAX_INPUT = 64 * 1024;

class Cancelled extends Error {}

export async function runHashPassword(): Promise<number> {
  let password: string;
  try {
    if (process.stdin.isTTY) {
      password = await promptHidden('Password: ');
      const again = await promptHidden('Repeat password: ');
      if (again !== password) {
        process.stderr.write('tertulia: the passwords do not match\n');
        return 1;
      }
    } else {
      password = await readPipedPassword();
    }
  } catch (err) {
    if (err instanceof Cancelled) return 130;
    process.stderr.write(`tertulia: ${(err as Error).message}\n`);
    return 1;
  }
  if (password === '') {
    process.stderr.write('tertulia: the password is empty\n');
    return 1;
  }
  process.stdout.write(`${await hashPassword(password)}\n`);
  return 0;
}

/** Reads all of stdin; one trailing newline (from `echo`) is not part of the password. */
async function readPipedPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > MAX_INPUT) throw new Error('the input is too long for a password');
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (/[\r\n\0]/.test(text)) throw new Error('the password must be a single line');
  return text;
}

/** Prompts on stderr and reads one line from the terminal without echoing it. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let buf = '';
    const finish = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(buf);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\x03') return finish(new Cancelled()); // Ctrl+C
        if (ch === '\x04') {
          if (buf === '') return finish(new Cancelled()); // Ctrl+D on an empty line
          continue;
        }
        if (ch === '\x7f' || ch === '\b') buf = Array.from(buf).slice(0, -1).join('');
        else if (ch === '\x15')
          buf = ''; // Ctrl+U
        else if (ch >= ' ') buf += ch;
        if (buf.length > MAX_INPUT) return finish(new Error('the input is too long for a password'));
      }
    };
    stdin.setEncoding('utf8');
    stdin.setRawMode(true); // before the prompt, so nothing typed ahead is echoed
    process.stderr.write(prompt);
    stdin.on('data', onData);
    stdin.resume();
  });
}
