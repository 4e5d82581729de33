/**
 * The command table: name → handler, with the checks every command shares (registration
 * state, parameter count) done once here rather than in each handler.
 */
import type { IrcMessage } from '../../protocol/message.js';
import * as N from '../../protocol/numerics.js';
import type { Session } from '../session.js';
import { channelCommands } from './channels.js';
import { historyCommands } from './chathistory.js';
import { helpCommands } from './help.js';
import { infoCommands } from './info.js';
import { messageEventCommands } from './message-events.js';
import { messagingCommands } from './messaging.js';
import { metadataCommands } from './metadata.js';
import { modeCommands } from './modes.js';
import { monitorCommands } from './monitor.js';
import { multilineCommands } from './multiline.js';
import { operCommands } from './oper.js';
import { queryCommands } from './queries.js';
import { registrationCommands } from './registration.js';
import { renameCommands } from './rename.js';
import { searchCommands } from './search.js';
import { sessionCommands } from './sessions.js';
import { webpushCommands } from './webpush.js';

export type Handler = (session: Session, msg: IrcMessage) => void | Promise<void>;

export interface CommandSpec {
  handler: Handler;
  /** Parameters required before the handler runs (else 461). */
  minParams: number;
  /** Usable before registration completes (else 451). */
  preRegistration?: boolean;
}

export type CommandGroup = Record<string, CommandSpec>;

export class CommandTable {
  private readonly specs = new Map<string, CommandSpec>();

  constructor() {
    for (const group of [
      registrationCommands,
      messagingCommands,
      channelCommands,
      modeCommands,
      queryCommands,
      monitorCommands,
      infoCommands,
      helpCommands,
      operCommands,
      historyCommands,
      messageEventCommands,
      multilineCommands,
      searchCommands,
      webpushCommands,
      renameCommands,
      metadataCommands,
      sessionCommands,
    ]) {
      for (const [name, spec] of Object.entries(group)) this.specs.set(name, spec);
    }
  }

  /** Adds commands provided by an optional layer (accounts: AUTHENTICATE, REGISTER). */
  add(group: CommandGroup): void {
    for (const [name, spec] of Object.entries(group)) this.specs.set(name, spec);
  }

  /** Every command name, for HELP's index. */
  names(): string[] {
    return [...this.specs.keys()].sort();
  }

  has(command: string): boolean {
    return this.specs.has(command);
  }

  run(session: Session, msg: IrcMessage): void | Promise<void> {
    const spec = this.specs.get(msg.command);
    if (spec === undefined) {
      if (session.registered) session.numeric(N.ERR_UNKNOWNCOMMAND, msg.command, 'Unknown command');
      else session.numeric(N.ERR_NOTREGISTERED, 'You have not registered');
      return;
    }
    if (!spec.preRegistration && !session.registered) {
      // RFC 2812 §3.3.2: no error reply to a NOTICE, not even 451 (it is simply dropped).
      if (msg.command !== 'NOTICE') session.numeric(N.ERR_NOTREGISTERED, 'You have not registered');
      return;
    }
    if (msg.params.length < spec.minParams) {
      session.numeric(N.ERR_NEEDMOREPARAMS, msg.command, 'Not enough parameters');
      return;
    }
    return spec.handler(session, msg);
  }
}
