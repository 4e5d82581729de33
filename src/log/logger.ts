/**
 * The server's logger: pino, writing either its normal JSON lines or console lines through the
 * small pretty printer in pretty.ts. Records carry an `event` field naming what happened
 * (`listening`, `message`, `connect`...) plus structured fields; `msg` is the human sentence.
 */
import { pino } from 'pino';
import type { Config } from '../config/config.js';
import { PrettyStream } from './pretty.js';

/**
 * Creates the logger. `stream` defaults to stdout. Pretty output is coloured only when the
 * stream is a TTY and NO_COLOR is not set.
 */
export function createLogger(
  config: Pick<Config, 'logLevel' | 'logFormat'>,
  stream?: NodeJS.WritableStream,
): pino.Logger {
  if (config.logFormat === 'json') {
    // Synchronous writes: a line logged just before a crash or an exit is never lost.
    const dest = stream ?? pino.destination({ dest: 1, sync: true });
    return pino({ level: config.logLevel, base: null }, dest);
  }
  const out = stream ?? process.stdout;
  const color = (out as { isTTY?: boolean }).isTTY === true && process.env.NO_COLOR === undefined;
  // The console shows no timestamps, so pino need not compute them.
  return pino({ level: config.logLevel, base: null, timestamp: false }, new PrettyStream(out, color));
}
