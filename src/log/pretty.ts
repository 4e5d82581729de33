/**
 * A small synchronous pretty printer for pino: a destination stream that receives pino's JSON
 * lines and writes console lines in the style of the seed documents:
 *
 *   [SERVER] Client: alice connected!          info
 *   <alice> #room: hello                       event "message" (any level), msg alone
 *   listening irc 127.0.0.1:6667               event "listening" (any level), msg alone
 *   Open http://localhost:8080/ in a…          event "start-hint" (what to do next), msg alone
 *   [SERVER] WARN <msg> key=value ...          warn; ERROR / FATAL likewise
 *   [SERVER] debug <msg> key=value ...         debug; "trace" likewise
 *
 * Control characters (ESC, IRC formatting codes, CR...) and bidi overrides are escaped so a
 * logged chat line cannot drive the operator's terminal.
 */

/** Fields pino adds that the console does not show. */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v']);

const LABELS: Record<number, string> = { 10: 'trace', 20: 'debug', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

const ANSI = {
  reset: '\x1b[0m',
  dim: '\x1b[2m',
  bold: '\x1b[1m',
  cyan: '\x1b[36m',
  yellow: '\x1b[33m',
  red: '\x1b[31m',
  gray: '\x1b[90m',
};

// Tab and newline stay; everything else that a terminal could act on is shown as \xHH / \uHHHH.
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const BARE_VALUE = /^[^\s"=\\\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]+$/;

function escapeUnsafe(s: string): string {
  return s.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return BARE_VALUE.test(value) ? value : escapeUnsafe(JSON.stringify(value));
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return escapeUnsafe(JSON.stringify(value) ?? String(value));
}

interface SerializedError {
  message?: unknown;
  stack?: unknown;
}

/** Formats one pino record (already parsed) as a console line, newline included. */
export function formatRecord(record: Record<string, unknown>, color: boolean): string {
  const level = typeof record.level === 'number' ? record.level : 30;
  const msg = escapeUnsafe(typeof record.msg === 'string' ? record.msg : '');
  const paint = (code: string, s: string) => (color ? code + s + ANSI.reset : s);

  if (record.event === 'message' || record.event === 'listening' || record.event === 'start-hint')
    return `${msg}\n`;

  const tag = paint(ANSI.cyan, '[SERVER]');
  if (level === 30) return `${tag} ${msg}\n`;

  let label = LABELS[level] ?? (level > 30 ? 'WARN' : 'debug');
  if (level >= 50) label = paint(ANSI.bold + ANSI.red, label);
  else if (level >= 40) label = paint(ANSI.yellow, label);
  else label = paint(ANSI.gray, label);

  const parts = [tag, label];
  if (msg !== '') parts.push(msg);
  let stack = '';
  for (const [key, value] of Object.entries(record)) {
    if (HIDDEN.has(key) || value === undefined) continue;
    if (key === 'err' && typeof value === 'object' && value !== null) {
      const err = value as SerializedError;
      parts.push(`${paint(ANSI.dim, 'err=')}${formatValue(String(err.message ?? ''))}`);
      if (level >= 50 && typeof err.stack === 'string') {
        const lines = err.stack.split('\n').slice(1);
        if (lines.length > 0) stack = `\n${lines.map((l) => `    ${escapeUnsafe(l.trim())}`).join('\n')}`;
      }
      continue;
    }
    parts.push(`${paint(ANSI.dim, `${key}=`)}${formatValue(value)}`);
  }
  return `${parts.join(' ')}${stack}\n`;
}

/**
 * A pino destination: pino calls write() with one JSON line per record; each is reformatted and
 * written straight to `out` (process.stdout is synchronous for files, pipes and TTYs on Linux).
 */
export class PrettyStream {
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly color: boolean,
  ) {}

  write(chunk: string): boolean {
    let text = '';
    for (const line of chunk.split('\n')) {
      if (line === '') continue;
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        text += `${escapeUnsafe(line)}\n`;
        continue;
      }
      text +=
        typeof record === 'object' && record !== null
          ? formatRecord(record as Record<string, unknown>, this.color)
          : `${escapeUnsafe(line)}\n`;
    }
    if (text !== '') this.out.write(text);
    return true;
  }
}
