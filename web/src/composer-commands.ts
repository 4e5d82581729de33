/**
 * Which slash commands the composer knows, so a line like "/frobnicate" is answered ("there
 * is no such command") instead of silently going nowhere, and "/help" lists them. The
 * commands themselves run in the controller (`send`); this file only says which exist and
 * what a line that needs an argument lacks.
 */

/** Commands the controller runs, with the argument each needs (null: none required). */
const COMMANDS: Record<string, string | null> = {
  join: '#room',
  part: null,
  leave: null,
  msg: 'NICK',
  query: 'NICK',
  me: 'TEXT',
  nick: 'NAME',
  topic: null,
  away: null,
};

export type ComposerCheck =
  | { kind: 'help' }
  | { kind: 'unknown'; command: string }
  | { kind: 'usage'; command: string; argument: string };

/** What the composer answers itself for this line; null when it goes to the controller. */
export function checkComposerLine(text: string): ComposerCheck | null {
  const trimmed = text.trim();
  if (!trimmed.startsWith('/') || trimmed.startsWith('//')) return null;
  const [word = '', ...rest] = trimmed.slice(1).split(/\s+/);
  const command = word.toLowerCase();
  if (command === 'help' || command === '?') return { kind: 'help' };
  if (!(command in COMMANDS)) return { kind: 'unknown', command: word };
  const argument = COMMANDS[command];
  if (argument !== null && argument !== undefined && rest.join('') === '')
    return { kind: 'usage', command, argument };
  return null;
}
