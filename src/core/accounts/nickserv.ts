/**
 * NickServ, for clients without SASL or draft/account-registration:
 *   REGISTER <password> [email]      registers the current nick as an account
 *   IDENTIFY [account] <password>    logs in (LOGIN is an alias)
 *   LOGOUT                           logs out
 *   CERT ADD [fp] | DEL <fp> | LIST  TLS client certificates for SASL EXTERNAL
 *   SET ALWAYS-ON ON|OFF             stay in your rooms while no device is connected
 *   SET PASSWORD <current> <new>     change the password (other sessions are closed)
 *   SESSIONS [END <n>]               your connections (client, address, since); end one
 *   HELP
 * Replies are NOTICEs from NickServ!services@<server>. Slow work (hashing, the store, the
 * failed-login delay) holds the client's later commands so they run after it, in order:
 * `IDENTIFY` then `JOIN` joins logged in.
 */
import { foldCase } from '../../protocol/casemapping.js';
import { setAccountAlwaysOn } from '../always-on.js';
import { endSession, sessionsOf } from '../own-sessions.js';
import type { Service } from '../services.js';
import type { Session } from '../session.js';
import type { Accounts } from './index.js';

type Finish = (() => void) | undefined;

const HELP = [
  'NickServ keeps registered nicks for their owners.',
  '  REGISTER <password> [email]     register your current nick as an account (you are logged in)',
  '  IDENTIFY [account] <password>   log in (your current nick is the account when none is given)',
  '  LOGOUT                          log out',
  '  CERT ADD [fingerprint]          let a TLS client certificate log you in (SASL EXTERNAL);',
  '                                  without a fingerprint, the one this connection uses',
  '  CERT DEL <fingerprint>          forget a certificate',
  '  CERT LIST                       list your certificates',
  '  SET ALWAYS-ON ON|OFF            ON: with no device connected you stay in your rooms, shown',
  '                                  as away, and messages to you are kept; OFF: you leave the',
  '                                  network when your last device disconnects',
  '  SET ALWAYS-ON                   show whether it is on',
  '  SET PASSWORD <current> <new>    change your password; your other sessions are closed',
  '  SESSIONS                        list your connections: client, address, since',
  '  SESSIONS END <n>                end connection number n of that list',
  'Clients with SASL can log in while connecting instead. A registered nick is only for its',
  'account: asked for without logging in, you get a guest nick (IDENTIFY gives it back).',
];

export class NickServ implements Service {
  readonly nick = 'NickServ';
  readonly realname = 'Nickname services';

  constructor(private readonly accounts: Accounts) {}

  receive(s: Session, command: 'PRIVMSG' | 'NOTICE', text: string): void {
    if (command !== 'PRIVMSG') return; // services never answer NOTICEs (RFC 2812 §3.3.2)
    const words = text.trim().split(/ +/);
    const verb = (words[0] ?? '').toUpperCase();
    const args = words.slice(1).filter((w) => w !== '');
    if (verb === 'HELP' || verb === '') {
      for (const line of HELP) this.reply(s, line);
      return;
    }
    if (!this.accounts.available) {
      this.reply(s, 'Accounts are not available on this server (it runs without a database).');
      return;
    }
    switch (verb) {
      case 'REGISTER':
        this.hold(s, this.register(s, args));
        return;
      case 'IDENTIFY':
      case 'LOGIN':
        this.hold(s, this.identify(s, args));
        return;
      case 'CERT':
        this.hold(s, this.cert(s, args));
        return;
      case 'SET':
        this.set(s, args);
        return;
      case 'SESSIONS':
        this.sessions(s, args);
        return;
      case 'LOGOUT':
        if (s.account === null) this.reply(s, 'You are not logged in.');
        else {
          const was = s.account;
          this.accounts.logout(s);
          this.reply(s, `You are now logged out of ${was}.`);
        }
        return;
      default:
        this.reply(s, `Unknown command ${verb}. /msg NickServ HELP lists the commands.`);
    }
  }

  /** SET ALWAYS-ON [ON|OFF] (always-on.ts); the account's switch, stored with it. */
  private set(s: Session, args: string[]): void {
    const [option, value] = args.map((a) => a.toUpperCase());
    if (option === 'PASSWORD') {
      this.hold(s, this.changePassword(s, args.slice(1)));
      return;
    }
    if (option !== 'ALWAYS-ON') {
      this.reply(s, 'Syntax: SET ALWAYS-ON ON|OFF');
      return;
    }
    if (s.account === null) {
      this.reply(s, 'You need to be logged in to an account (guests are never always-on).');
      return;
    }
    const server = this.accounts.server;
    if (value === undefined) {
      const state = s.person.alwaysOn ? 'on' : 'off';
      const why = server.config.alwaysOn ? '' : ' (this server has always-on turned off)';
      this.reply(s, `Always-on is ${state} for ${s.account}${why}.`);
      return;
    }
    if (value !== 'ON' && value !== 'OFF') {
      this.reply(s, 'Syntax: SET ALWAYS-ON ON|OFF');
      return;
    }
    if (value === 'ON' && !server.config.alwaysOn) {
      this.reply(s, 'This server has always-on turned off; ask its operator.');
      return;
    }
    const account = s.account;
    const person = s.person;
    this.hold(
      s,
      setAccountAlwaysOn(server, person, value === 'ON').then(
        () => () =>
          this.reply(
            s,
            value === 'ON'
              ? `Always-on is now on for ${account}: you stay in your rooms while no device is connected.`
              : `Always-on is now off for ${account}: you leave the network when your last device disconnects.`,
          ),
      ),
    );
  }

  /** SESSIONS [END <n>] (own-sessions.ts): numbered as listed, oldest first. */
  private sessions(s: Session, args: string[]): void {
    if (s.account === null) {
      this.reply(s, 'You need to be logged in to an account to see its sessions.');
      return;
    }
    const list = sessionsOf(s);
    if ((args[0] ?? '').toUpperCase() === 'END') {
      const n = Number(args[1] ?? '');
      const item = Number.isInteger(n) ? list[n - 1] : undefined;
      if (item === undefined) {
        this.reply(s, `Syntax: SESSIONS END <n>, n from 1 to ${list.length} (SESSIONS lists them).`);
        return;
      }
      this.reply(s, `Ending session ${n} (${item.client} from ${item.address}).`);
      endSession(s, item.id);
      return;
    }
    const count = list.length === 1 ? '1 session' : `${list.length} sessions`;
    this.reply(s, `${s.account} has ${count}:`);
    list.forEach((item, i) => {
      const since = new Date(item.since).toISOString().replace('T', ' ').slice(0, 16);
      const mine = item.current ? ' (this one)' : '';
      this.reply(s, `  ${i + 1}. ${item.client} from ${item.address}, since ${since} UTC${mine}`);
    });
    if (list.length > 1) this.reply(s, 'SESSIONS END <n> ends one of them.');
  }

  private reply(s: Session, text: string): void {
    this.accounts.notice(s, this.nick, text);
  }

  /**
   * Runs slow work while the client's later commands wait; what it returns (replies, the
   * login) runs afterwards inside the command's labeled response.
   */
  private hold(s: Session, work: Promise<Finish>): void {
    let finish: Finish;
    s.deferUntil(
      work.then((f) => {
        finish = f;
      }),
      () => finish?.(),
      (err) => {
        this.accounts.logError('nickserv.failed', err);
        this.reply(s, 'That did not work because of a server problem; please try again later.');
      },
      true,
    );
  }

  private async register(s: Session, args: string[]): Promise<Finish> {
    const accounts = this.accounts;
    const say =
      (text: string): Finish =>
      () =>
        this.reply(s, text);
    if (!accounts.server.config.accountRegistration)
      return say('Account registration is disabled on this server.');
    if (s.account !== null) return say(`You are already logged in as ${s.account}.`);
    const [password, email] = args;
    if (password === undefined) return say('Syntax: REGISTER <password> [email]');
    const name = s.nick;
    const nameProblem = accounts.accountNameProblem(s, name);
    if (nameProblem !== null)
      return say(`${nameProblem}. Change your nick (/nick) to the account name you want first.`);
    const passwordProblem = accounts.passwordProblem(password);
    if (passwordProblem !== null) return say(`${passwordProblem}.`);
    if (email !== undefined && accounts.emailProblem(email) !== null)
      return say(`${accounts.emailProblem(email)}.`);
    const record = await accounts.createAccount(name, email ?? null, password);
    if (record === null) return say(`${name} is already registered. If it is yours, use IDENTIFY.`);
    return () => {
      accounts.login(s, record, 'NickServ REGISTER');
      this.reply(s, `Registered the account ${record.name}; you are now logged in. Keep your password safe.`);
    };
  }

  /** SET PASSWORD <current> <new> (the new one may hold spaces: it is the rest of the line). */
  private async changePassword(s: Session, args: string[]): Promise<Finish> {
    const say =
      (text: string): Finish =>
      () =>
        this.reply(s, text);
    if (s.account === null) return say('You need to be logged in to change your password.');
    if (args.length < 2) return say('Syntax: SET PASSWORD <current password> <new password>');
    const outcome = await this.accounts.changePassword(s, args[0]!, args.slice(1).join(' '));
    switch (outcome.kind) {
      case 'weak':
        return say(`${outcome.problem}.`);
      case 'refused':
        return say(`Too many password attempts; try again in ${Math.ceil(outcome.retryAfterMs / 1000)} s.`);
      case 'failed':
        return say('That is not your current password; nothing was changed.');
      case 'ok': {
        const others = outcome.closed === 0 ? '' : ` Your ${outcome.closed} other session(s) were closed.`;
        return say(`Your password is changed.${others}`);
      }
    }
  }

  private async identify(s: Session, args: string[]): Promise<Finish> {
    const say =
      (text: string): Finish =>
      () =>
        this.reply(s, text);
    if (args.length === 0) return say('Syntax: IDENTIFY [account] <password>');
    if (s.account !== null) return say(`You are already logged in as ${s.account}. LOGOUT first to switch.`);
    const [name, password] = args.length === 1 ? [s.nick, args[0]!] : [args[0]!, args.slice(1).join(' ')];
    const outcome = await this.accounts.tryPassword(s, name, password, 'NickServ IDENTIFY');
    if (outcome.kind === 'refused') {
      return say(`Too many login attempts; try again in ${Math.ceil(outcome.retryAfterMs / 1000)} s.`);
    }
    // One answer for a wrong password and for an account that does not exist.
    if (outcome.kind === 'failed') return say('Invalid account name or password.');
    const record = outcome.record;
    return () => {
      if (s.account !== null) return;
      this.accounts.login(s, record, 'NickServ IDENTIFY');
      this.reply(s, `You are now logged in as ${record.name}.`);
    };
  }

  /** CERT ADD [fp] / DEL <fp> / LIST: the SHA-256 fingerprints SASL EXTERNAL accepts. */
  private async cert(s: Session, args: string[]): Promise<Finish> {
    const say =
      (text: string): Finish =>
      () =>
        this.reply(s, text);
    const sub = (args[0] ?? '').toUpperCase();
    if (sub !== 'ADD' && sub !== 'DEL' && sub !== 'LIST')
      return say('Syntax: CERT ADD [fingerprint] | DEL <fingerprint> | LIST');
    if (s.account === null) return say('You need to be logged in to manage certificates.');
    const store = this.accounts.server.store!;
    const record = await store.getAccount(foldCase(s.account));
    if (record === null) return say('Your account no longer exists.');
    if (sub === 'LIST') {
      if (record.certFingerprints.length === 0) return say(`${record.name} has no certificates.`);
      return () => {
        this.reply(s, `Certificates of ${record.name}:`);
        for (const fp of record.certFingerprints) this.reply(s, `  ${fp}`);
      };
    }
    const given = args[1];
    if (sub === 'DEL' && given === undefined) return say('Syntax: CERT DEL <fingerprint>');
    const fp = given === undefined ? s.certFingerprint : normalizeFingerprint(given);
    if (fp === null)
      return say(
        given === undefined
          ? 'This connection has no TLS client certificate; give a fingerprint (CERT ADD <fingerprint>).'
          : `${given} is not a SHA-256 fingerprint (64 hexadecimal digits).`,
      );
    const has = record.certFingerprints.includes(fp);
    if (sub === 'DEL') {
      if (!has) return say(`${fp} is not one of your certificates.`);
      record.certFingerprints = record.certFingerprints.filter((f) => f !== fp);
      await store.updateAccount(record);
      return say(`Removed certificate ${fp} from ${record.name}.`);
    }
    if (has) return say(`${fp} is already one of your certificates.`);
    if (record.certFingerprints.length >= MAX_CERTS)
      return say(`An account can have at most ${MAX_CERTS} certificates; remove one first (CERT DEL).`);
    const owner = await store.findAccountByCert(fp);
    if (owner !== null) return say(`${fp} already belongs to another account.`);
    record.certFingerprints = [...record.certFingerprints, fp];
    await store.updateAccount(record);
    this.accounts.server.log.info(
      { event: 'account.cert_added', account: record.name },
      `Account ${record.name} added a certificate`,
    );
    return say(`Added certificate ${fp} to ${record.name}; it can now log in with SASL EXTERNAL.`);
  }
}

/** Certificates one account may register. */
const MAX_CERTS = 20;

/** `AB:CD:…` or `abcd…` → 64 lowercase hex digits; null when it is not a SHA-256 fingerprint. */
export function normalizeFingerprint(text: string): string | null {
  const hex = text.replace(/:/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : null;
}
