/**
 * A person's sessions (docs/PEOPLE.md, "Sessions"): the connections an account is using now,
 * as its owner sees them (which client, from where, since when), and ending one of them from
 * another. The SESSIONS command (commands/sessions.ts) and NickServ SESSIONS both go by it.
 */
import type { Session } from './session.js';

export interface SessionInfo {
  /** Stable for the connection's life; what SESSIONS END names. */
  id: number;
  /** The client as the connection showed it: "web (Firefox)", "IRC over TLS"… */
  client: string;
  /** The address it connects from. */
  address: string;
  /** When the connection was opened (ms). */
  since: number;
  /** The connection asking. */
  current: boolean;
}

/** The connections of `s`'s person, oldest first (a guest's: itself). */
export function sessionsOf(s: Session): SessionInfo[] {
  return (s.person.connections as Session[]).map((c) => ({
    id: c.id,
    client: clientOf(c),
    address: c.ip,
    since: c.connectedAt,
    current: c === s,
  }));
}

/**
 * Ends the connection `id` of `s`'s person (the client gets an ERROR saying from where);
 * false when the person has none with that id. The person stays while another remains or
 * it is always-on, as when that device disconnects itself.
 */
export function endSession(s: Session, id: number): boolean {
  const target = (s.person.connections as Session[]).find((c) => c.id === id);
  if (target === undefined) return false;
  const why = target === s ? 'Ended by you' : `Ended from your other session (${clientOf(s)}, ${s.ip})`;
  // Said first as a standard reply, so the client knows not to reconnect by itself.
  target.sendFail('*', 'SESSION_ENDED', why);
  s.server.disconnect(target, why);
  return true;
}

/** What the client is, as far as the connection tells: the browser for the web client. */
export function clientOf(c: Session): string {
  const t = c.transport;
  if (t.kind === 'ws') {
    const browser = browserOf(t.userAgent ?? '');
    return browser === null ? 'web' : `web (${browser})`;
  }
  if (t.kind === 'text') return 'text (nc, telnet)';
  if (t.kind === 'tls') return 'IRC over TLS';
  return 'IRC';
}

/** "Firefox", "Chrome", "Edge", "Safari"… from a User-Agent, or null. */
export function browserOf(ua: string): string | null {
  // Order matters: Edge and headless Chrome also say Chrome, Chrome also says Safari.
  const known: Array<[RegExp, string]> = [
    [/Edg\//, 'Edge'],
    [/Firefox\//, 'Firefox'],
    [/HeadlessChrome\//, 'Chrome, headless'],
    [/Chrome\//, 'Chrome'],
    [/Safari\//, 'Safari'],
  ];
  for (const [re, name] of known) if (re.test(ua)) return name;
  return null;
}
