/**
 * Copies of command parameters for values kept as long as the connection (realname, away
 * message, nick). Parameters are slices of their line (protocol/message.ts), and V8 keeps a
 * slice of 13 characters or more as a view of the whole line: a kept realname would keep
 * its entire USER line alive, for every client.
 */

/**
 * A copy of `param` that shares no memory with the line it came from. Shorter slices are
 * copies already. UTF-16 code units go through as they are, so the copy is exact whatever
 * the string holds.
 */
export function ownCopy(param: string): string {
  return param.length < 13 ? param : Buffer.from(param, 'utf16le').toString('utf16le');
}
