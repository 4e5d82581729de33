/**
 * IRCv3 draft/account-registration: `REGISTER <account> {<email> | "*"} <password>`.
 * Success logs the client in, as if it had used SASL (§Responses: REGISTER SUCCESS).
 * No email verification is done, so VERIFY is never needed.
 */
import { foldCase } from '../../protocol/casemapping.js';
import type { IrcMessage } from '../../protocol/message.js';
import { isValidNick } from '../../protocol/names.js';
import type { CommandGroup } from '../commands/table.js';
import type { Session } from '../session.js';
import type { Accounts } from './index.js';

export function registerCommands(accounts: Accounts): CommandGroup {
  return {
    REGISTER: { minParams: 3, preRegistration: true, handler: (s, m) => register(accounts, s, m) },
  };
}

function register(accounts: Accounts, s: Session, msg: IrcMessage): void | Promise<void> {
  const server = accounts.server;
  const [wanted, emailParam, password] = msg.params as [string, string, string];
  const shown = wanted === '*' ? (s.folded === '' ? '*' : s.nick) : wanted;
  if (!accounts.available || !server.config.accountRegistration) {
    s.sendFail(
      'REGISTER',
      'TEMPORARILY_UNAVAILABLE',
      accounts.available
        ? 'Account registration is disabled on this server'
        : 'Accounts are not available on this server (it runs without a database)',
      shown,
    );
    return;
  }
  // A server password must not be bypassable by registering first (§Server considerations);
  // such servers do not advertise before-connect, so this reply is allowed there.
  if (!s.registered && server.config.serverPassword !== null) {
    s.sendFail('REGISTER', 'COMPLETE_CONNECTION_REQUIRED', 'Complete connection registration first');
    return;
  }
  if (s.folded === '') {
    s.sendFail('REGISTER', 'NEED_NICK', 'Send NICK before REGISTER', '*');
    return;
  }
  if (s.account !== null) {
    s.sendFail('REGISTER', 'ALREADY_AUTHENTICATED', `You are already logged in as ${s.account}`, s.account);
    return;
  }
  const name = wanted === '*' ? s.nick : wanted;
  const nameProblem = accounts.accountNameProblem(s, name);
  if (nameProblem !== null) return refuseName(accounts, s, name, nameProblem);
  let email: string | null = null;
  if (emailParam !== '*') {
    const emailProblem = accounts.emailProblem(emailParam);
    if (emailProblem !== null) {
      s.sendFail('REGISTER', 'INVALID_EMAIL', emailProblem, name);
      return;
    }
    email = emailParam;
  }
  const passwordProblem = accounts.passwordProblem(password);
  if (passwordProblem !== null) {
    s.sendFail('REGISTER', 'UNACCEPTABLE_PASSWORD', passwordProblem, name);
    return;
  }
  return create(accounts, s, name, email, password);
}

/**
 * A name that cannot be registered now: ACCOUNT_EXISTS when it is an account already (its
 * owner may be online under that nick), else BAD_ACCOUNT_NAME (§Errors).
 */
async function refuseName(accounts: Accounts, s: Session, name: string, problem: string): Promise<void> {
  let exists = false;
  const store = accounts.server.store;
  if (store !== null && isValidNick(name, accounts.server.config.nickLen)) {
    try {
      exists = (await store.getAccount(foldCase(name))) !== null;
    } catch (err) {
      accounts.logError('account.lookup_failed', err);
    }
  }
  s.resume(() => {
    if (exists) s.sendFail('REGISTER', 'ACCOUNT_EXISTS', `${name} is already registered`, name);
    else s.sendFail('REGISTER', 'BAD_ACCOUNT_NAME', problem, name);
  });
}

async function create(
  accounts: Accounts,
  s: Session,
  name: string,
  email: string | null,
  password: string,
): Promise<void> {
  let record: Awaited<ReturnType<Accounts['createAccount']>>;
  try {
    record = await accounts.createAccount(name, email, password);
  } catch (err) {
    accounts.logError('account.register_failed', err);
    s.resume(() =>
      s.sendFail(
        'REGISTER',
        'TEMPORARILY_UNAVAILABLE',
        'The account could not be stored; try again later',
        name,
      ),
    );
    return;
  }
  s.resume(() => {
    if (record === null) {
      s.sendFail('REGISTER', 'ACCOUNT_EXISTS', `${name} is already registered`, name);
      return;
    }
    s.reply('REGISTER', ['SUCCESS', record.name, `Account ${record.name} registered; you are now logged in`]);
    accounts.login(s, record, 'REGISTER');
  });
}
