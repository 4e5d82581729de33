/**
 * The person's own sessions, as the SESSIONS command lists them (src/core/commands/sessions.ts):
 * the lines of one listing gathered into a `SessionList`, and what a SESSIONS line means.
 */
import type { IrcMessage } from '../protocol/message.js';

export interface OwnSession {
  /** What `endSession` names. */
  id: number;
  /** "web (Firefox)", "IRC over TLS"… */
  client: string;
  address: string;
  since: Date;
  /** This connection. */
  current: boolean;
}

export interface SessionList {
  /** The account's always-on switch; `unavailable` when the server has it off. */
  alwaysOn: 'on' | 'off' | 'unavailable';
  sessions: OwnSession[];
}

/** What one SESSIONS line from the server says. */
export type SessionsEvent =
  | { kind: 'list'; list: SessionList }
  | { kind: 'ended'; id: number }
  | { kind: 'alwaysOn'; state: SessionList['alwaysOn'] };

/** Gathers SESSIONS lines: a listing ends with ENDOFLIST; ENDED and a lone ALWAYS-ON stand alone. */
export class SessionsReader {
  private open: SessionList | null = null;

  /** Feeds one SESSIONS line; returns an event when one is complete. */
  read(msg: IrcMessage): SessionsEvent | null {
    const p = msg.params;
    switch ((p[0] ?? '').toUpperCase()) {
      case 'ALWAYS-ON': {
        const state = p[1] === 'on' || p[1] === 'off' ? p[1] : 'unavailable';
        // The first line of a listing, or the answer to ALWAYS-ON ON|OFF.
        this.open = { alwaysOn: state, sessions: [] };
        return { kind: 'alwaysOn', state };
      }
      case 'ITEM':
        this.open ??= { alwaysOn: 'unavailable', sessions: [] };
        this.open.sessions.push({
          id: Number(p[1]),
          address: p[2] ?? '',
          since: new Date(p[3] ?? 0),
          current: p[4] === 'this',
          client: p[5] ?? '',
        });
        return null;
      case 'ENDOFLIST': {
        const list = this.open ?? { alwaysOn: 'unavailable', sessions: [] };
        this.open = null;
        return { kind: 'list', list };
      }
      case 'ENDED':
        return { kind: 'ended', id: Number(p[1]) };
      default:
        return null;
    }
  }
}
