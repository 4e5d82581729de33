/**
 * How IRC text is shown to a person at a terminal: control codes removed, names read from
 * sources and compared, reasons and times written the way a sentence needs them.
 */
import type { IrcMessage } from '../../protocol/message.js';

/** IRC formatting codes and other control characters never reach a terminal. */
const CONTROL = /\x03(\d{1,2}(,\d{1,2})?)?|[\x00-\x08\x0a-\x1f\x7f]/g;

export function clean(text: string): string {
  return text.replace(CONTROL, '');
}

/** A short quote: the first 30 characters. */
export function shorten(text: string): string {
  return [...text].length > 30 ? `${[...text].slice(0, 29).join('')}…` : text;
}

export function nickOf(source: string | null): string {
  if (source === null) return '';
  const bang = source.indexOf('!');
  return bang === -1 ? source : source.slice(0, bang);
}

export function sameName(a: string, b: string): boolean {
  // rfc1459 casemapping is close enough for "is this me?": the core decides the real rules.
  const fold = (s: string): string =>
    s.toLowerCase().replace(/[[\]\\~]/g, (c) => ({ '[': '{', ']': '}', '\\': '|', '~': '^' })[c]!);
  return fold(a) === fold(b);
}

export function nameRules(nickLen: number): string {
  return (
    `A name has 1 to ${nickLen} characters, starts with a letter or one of _ [ ] \\ \` ^ { } |, ` +
    'and may also use digits and "-"; no spaces.'
  );
}

/** "Quit: bye" → "bye"; "Client Quit" → "". */
export function quitReason(reason: string): string {
  if (reason === 'Client Quit' || reason === 'Quit:' || reason === '') return '';
  if (reason.startsWith('Quit: ')) return reason.slice(6);
  return reason;
}

export function withReason(text: string, reason: string | undefined): string {
  return reason === undefined || reason === '' ? text : `${text} (${clean(reason)})`;
}

/** `[HH:MM] ` in UTC from the server-time tag, for lines replayed from history. */
export function timeOf(msg: IrcMessage): string {
  const t = msg.tags['time'];
  if (t === undefined) return '';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return '';
  return `[${d.toISOString().slice(11, 16)}] `;
}
