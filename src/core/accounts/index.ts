/**
 * Accounts: registration (IRCv3 draft/account-registration, NickServ REGISTER), login
 * (SASL PLAIN and SCRAM-SHA-256, NickServ IDENTIFY), nick protection, registered rooms
 * (ChanServ), and the account travelling with the user (account-notify, account-tag,
 * extended-join, WHOIS 330, WHOX `a`).
 *
 * Everything durable goes through the Store interface (server.store); with no store the
 * commands and services exist but say accounts are unavailable, and `sasl` is not offered.
 *
 * `installAccounts(server)` wires it all in; call it once the store (if any) is open.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { hashPassword, verifyPassword } from '../../crypto/password.js';
import { foldCase } from '../../protocol/casemapping.js';
import { isValidNick } from '../../protocol/names.js';
import * as N from '../../protocol/numerics.js';
import type { AccountRecord } from '../../store/store.js';
import { Cap } from '../caps.js';
import { toChannelPeers } from '../commands/queries.js';
import { Outgoing, serverTimeNow } from '../outgoing.js';
import type { ChatServer } from '../server.js';
import type { AccountHooks } from '../services.js';
import { type Session, State } from '../session.js';
import { ChanServ } from './chanserv.js';
import { NickServ } from './nickserv.js';
import { registerCommands } from './register.js';
import { Sasl } from './sasl.js';
import { scramCredentials } from './scram.js';
import { LoginThrottle } from './throttle.js';

/** draft/account-registration §Server considerations: 300 bytes is a safe limit. */
export const MAX_PASSWORD_BYTES = 300;
/** Nicks the server hands out when it renames someone; never account names. */
const GUEST_NICK = /^guest[0-9]+$/i;
const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;

const registry = new WeakMap<ChatServer, Accounts>();

/** Who is trying to log in: a connection, or e.g. an HTTP request (nick `*`). */
export type LoginSource = Pick<Session, 'ip' | 'nick'>;

/** The accounts layer of a server, if installed (tests use it to tune the throttle). */
export function accountsOf(server: ChatServer): Accounts | undefined {
  return registry.get(server);
}

/** Wires accounts into a server. Call after `server.store` is set (or left null). */
export async function installAccounts(server: ChatServer): Promise<Accounts> {
  const existing = registry.get(server);
  if (existing !== undefined) return existing;
  const accounts = new Accounts(server);
  registry.set(server, accounts);
  server.commands.add(accounts.sasl.commands);
  server.commands.add(registerCommands(accounts));
  server.services.set(foldCase(accounts.nickServ.nick), accounts.nickServ);
  server.services.set(foldCase(accounts.chanServ.nick), accounts.chanServ);
  server.accountHooks = accounts.hooks;
  if (server.store !== null) {
    await accounts.chanServ.load();
    server.channelHooks = accounts.chanServ;
  }
  return accounts;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class Accounts {
  /** Growing delay after failed logins, per account name and per source address. */
  readonly throttle = new LoginThrottle();
  /** Server secret for decoy SCRAM salts (accounts that do not exist). */
  readonly secret = randomBytes(32);
  readonly sasl: Sasl;
  readonly nickServ: NickServ;
  readonly chanServ: ChanServ;
  readonly hooks: AccountHooks;
  /** A hash of a random password, verified when the account does not exist (same cost). */
  private decoyHash: Promise<string> | null = null;
  /** Connections using someone's registered nick: when their grace ends. */
  private readonly grace = new Map<Session, { folded: string; deadline: number }>();
  private graceTimer: NodeJS.Timeout | null = null;
  private guestSeq = -1;

  constructor(readonly server: ChatServer) {
    this.sasl = new Sasl(this);
    this.nickServ = new NickServ(this);
    this.chanServ = new ChanServ(this);
    this.hooks = {
      beforeWelcome: (s) => this.sasl.abortOnRegistration(s),
      passLogin: (s, given) => this.passLogin(s, given),
      nickSettled: (s) => {
        void this.protectNick(s).catch((err: unknown) => this.logError('account.protect_failed', err));
      },
    };
  }

  get available(): boolean {
    return this.server.store !== null;
  }

  // ---------------------------------------------------------------- validation

  /** Why `name` cannot be a new account for `s`, or null when it can. */
  accountNameProblem(s: Session, name: string): string | null {
    const server = this.server;
    if (!isValidNick(name, server.config.nickLen)) {
      return `Account names follow the nickname rules: a letter or one of [ ] \\ \` _ ^ { | } first, then letters, digits, those or '-', at most ${server.config.nickLen} characters`;
    }
    const folded = foldCase(name);
    if (server.services.has(folded)) return `${name} is reserved for a network service`;
    if (GUEST_NICK.test(name)) return 'Guest nicks cannot be registered';
    const holder = server.directory.findUser(folded);
    if (holder !== undefined && holder !== s.person) return `${name} is a nick someone else is using now`;
    return null;
  }

  /** Why a password is unacceptable (empty, over 300 bytes), or null. */
  passwordProblem(password: string): string | null {
    if (password === '') return 'The password cannot be empty';
    if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
      return `The password is longer than ${MAX_PASSWORD_BYTES} bytes`;
    }
    return null;
  }

  emailProblem(email: string): string | null {
    return email.length <= 254 && EMAIL.test(email) ? null : `${email} is not an email address`;
  }

  // ---------------------------------------------------------------- accounts

  /**
   * Creates an account; null when the name is taken. Stores only the scrypt hash and the
   * SCRAM-SHA-256 credentials, never the password.
   */
  async createAccount(name: string, email: string | null, password: string): Promise<AccountRecord | null> {
    const store = this.server.store;
    if (store === null) throw new Error('no store');
    const [passwordHash, scram] = await Promise.all([hashPassword(password), scramCredentials(password)]);
    const record: AccountRecord = {
      name,
      folded: foldCase(name),
      passwordHash,
      scram,
      email,
      createdAt: Date.now(),
      certFingerprints: [],
    };
    if (!(await store.createAccount(record))) return null;
    this.server.log.info({ event: 'account.registered', account: name }, `Account ${name} registered`);
    return record;
  }

  /** Throttle keys for a login attempt: the account name and the source address. */
  loginKeys(s: LoginSource, name: string): string[] {
    return [`a:${foldCase(name)}`, `i:${s.ip}`];
  }

  /** Waits for this attempt's turn (growing delay after failures; never a rejection). */
  async waitTurn(keys: readonly string[]): Promise<void> {
    const wait = this.throttle.reserve(keys);
    if (wait > 0) await sleep(wait);
  }

  loginFailed(keys: readonly string[], s: LoginSource, name: string, via: string): void {
    this.throttle.fail(keys);
    this.server.log.info(
      { event: 'account.login_failed', nick: s.nick, ip: s.ip, account: name, via },
      `Failed login by ${s.nick} (${s.ip}) via ${via}`,
    );
  }

  /**
   * The account when `password` is right, else null. Waits its turn first, and does the
   * same work whether or not the account exists (a decoy hash stands in), so neither the
   * answer nor its timing tells which it was.
   */
  async checkPassword(
    s: LoginSource,
    name: string,
    password: string,
    via: string,
  ): Promise<AccountRecord | null> {
    const store = this.server.store;
    if (store === null) return null;
    const keys = this.loginKeys(s, name);
    await this.waitTurn(keys);
    const record = isValidNick(name, 255) ? await store.getAccount(foldCase(name)) : null;
    this.decoyHash ??= hashPassword(randomBytes(18).toString('base64'));
    const ok = await verifyPassword(record?.passwordHash ?? (await this.decoyHash), password);
    if (!ok || record === null) {
      this.loginFailed(keys, s, name, via);
      return null;
    }
    this.throttle.succeed(keys);
    if (record.scram === null) {
      // An account from before SCRAM: derive its credentials now that we hold the password.
      record.scram = await scramCredentials(password);
      await store.updateAccount(record).catch((err: unknown) => this.logError('account.update_failed', err));
    }
    return record;
  }

  // ---------------------------------------------------------------- login state

  /**
   * PASS `account:password` during registration (the server password irssi and WeeChat
   * users set): logs in like SASL PLAIN, through the same throttle. Anything else in PASS,
   * or no store, is not a login and is ignored as before.
   */
  private async passLogin(s: Session, given: string): Promise<boolean> {
    const colon = given.indexOf(':');
    if (!this.available || colon <= 0) return true;
    const record = await this.checkPassword(s, given.slice(0, colon), given.slice(colon + 1), 'PASS');
    if (record === null) return false;
    this.login(s, record, 'PASS');
    return true;
  }

  /** Logs a connection in: 900, ACCOUNT to peers (account-notify), grace cancelled, ops restored. */
  login(s: Session, record: AccountRecord, via: string): void {
    if (s.state === State.Closed) return;
    const previous = s.account;
    s.account = record.name;
    s.numeric(
      N.RPL_LOGGEDIN,
      `${s.nick}!${s.username || '*'}@${s.host}`,
      record.name,
      `You are now logged in as ${record.name}`,
    );
    if (s.registered) {
      this.announceAccount(s, previous);
      this.chanServ.restoreOps(s);
      this.server.adoptPerson(s.person);
    }
    const pending = this.grace.get(s);
    if (pending !== undefined && pending.folded === record.folded) this.grace.delete(s);
    this.server.log.info(
      { event: 'account.login', nick: s.nick, account: record.name, via },
      `Client: ${s.nick} logged in as ${record.name} (${via})`,
    );
  }

  logout(s: Session): void {
    const previous = s.account;
    if (previous === null) return;
    s.account = null;
    this.server.disownPerson(s.person, previous);
    s.numeric(N.RPL_LOGGEDOUT, `${s.nick}!${s.username || '*'}@${s.host}`, 'You are now logged out');
    if (s.registered) this.announceAccount(s, previous);
    this.server.log.info(
      { event: 'account.logout', nick: s.nick, account: previous },
      `Client: ${s.nick} logged out of ${previous}`,
    );
    this.hooks.nickSettled(s);
  }

  /**
   * account-notify: `:nick!user@host ACCOUNT <name|*>` to everyone sharing a channel who
   * has the capability, the user included. Its account tag is the one it had before (as
   * in the account-tag spec's example).
   */
  private announceAccount(s: Session, previous: string | null): void {
    const out = new Outgoing(s.mask, 'ACCOUNT', [s.account ?? '*'], serverTimeNow(), null, previous);
    toChannelPeers(s, out, Cap.accountNotify);
    if (s.hasCap(Cap.accountNotify)) s.deliver(out);
  }

  /** True when `s` is logged in to the account named like `folded`. */
  ownsNick(s: Session, folded: string): boolean {
    return s.account !== null && foldCase(s.account) === folded;
  }

  // ---------------------------------------------------------------- nick protection

  /**
   * A registered nick in use by someone not logged in to it: NickServ explains, and after
   * nick-grace seconds the connection is renamed to a guest nick.
   */
  async protectNick(s: Session): Promise<void> {
    this.grace.delete(s);
    const store = this.server.store;
    if (store === null || !s.registered) return;
    const folded = s.folded;
    if (this.ownsNick(s, folded) || GUEST_NICK.test(folded)) return;
    const record = await store.getAccount(folded);
    if (record === null || s.folded !== folded || !s.registered || s.quitReason !== null) return;
    if (this.ownsNick(s, folded)) return;
    const seconds = this.server.config.nickGrace;
    this.notice(
      s,
      this.nickServ.nick,
      `${s.nick} is a registered nick. If it is yours, log in within ${seconds} second${seconds === 1 ? '' : 's'} ` +
        `(/msg NickServ IDENTIFY <password>, or SASL); otherwise your nick will be changed to a guest nick.`,
    );
    this.grace.set(s, { folded, deadline: Date.now() + seconds * 1000 });
    if (this.graceTimer === null) {
      const period = Math.max(50, Math.min(250, (seconds * 1000) / 4));
      this.graceTimer = setInterval(() => this.sweepGrace(), period);
      this.graceTimer.unref();
    }
  }

  /** Connections whose grace is running (tests). */
  get graceCount(): number {
    return this.grace.size;
  }

  private sweepGrace(): void {
    const now = Date.now();
    for (const [s, g] of this.grace) {
      if (
        s.state === State.Closed ||
        s.quitReason !== null ||
        s.folded !== g.folded ||
        this.ownsNick(s, g.folded)
      ) {
        this.grace.delete(s);
        continue;
      }
      if (now < g.deadline) continue;
      this.grace.delete(s);
      this.renameToGuest(s);
    }
    if (this.grace.size === 0 && this.graceTimer !== null) {
      clearInterval(this.graceTimer);
      this.graceTimer = null;
    }
  }

  private renameToGuest(s: Session): void {
    const from = s.nick;
    const guest = this.guestNick();
    if (guest === null) {
      this.server.disconnect(s, `Did not log in to the registered nick ${from}`);
      return;
    }
    // The ordinary NICK path: the user and their channels see the change, WHOWAS and
    // MONITOR are told, as if the client had asked for it.
    void this.server.commands.run(s, { tags: {}, source: null, command: 'NICK', params: [guest] });
    if (s.nick !== guest) return;
    this.notice(
      s,
      this.nickServ.nick,
      `You did not log in to ${from} within ${this.server.config.nickGrace} seconds, so your nick was changed to ${guest}. ` +
        `${from} is registered; log in to use it.`,
    );
    this.server.log.info(
      { event: 'account.nick_reclaimed', from, to: guest },
      `Client: ${from} renamed to ${guest} (registered nick, not logged in)`,
    );
  }

  /** A free `Guest12345`-style nick, or null when NICKLEN is too short for one. */
  guestNick(): string | null {
    const server = this.server;
    const max = server.config.nickLen;
    const prefix = max >= 10 ? 'Guest' : 'G';
    const width = Math.min(5, max - prefix.length);
    if (width < 1) return null;
    // A counter from a random start rather than a fresh random number each time: two guest
    // nicks handed out in a row can then never be the same, and names in use are skipped.
    const low = 10 ** (width - 1);
    const span = 10 ** width - low;
    if (this.guestSeq < 0) this.guestSeq = randomInt(0, span);
    for (let attempt = 0; attempt < Math.min(span, 1000); attempt++) {
      this.guestSeq = (this.guestSeq + 1) % span;
      const nick = prefix + String(low + this.guestSeq);
      const folded = foldCase(nick);
      if (server.directory.findUser(folded) === undefined && !server.services.has(folded)) return nick;
    }
    return null;
  }

  // ---------------------------------------------------------------- helpers

  /** A NOTICE from a service to one connection (`NickServ!services@<server>`). */
  notice(s: Session, serviceNick: string, text: string): void {
    const source = `${serviceNick}!services@${this.server.config.serverName}`;
    s.deliver(new Outgoing(source, 'NOTICE', [s.nick, text], serverTimeNow()));
  }

  logError(event: string, err: unknown): void {
    this.server.log.error({ event, err: err instanceof Error ? err.message : String(err) }, event);
  }

  /** Waits for pending registered-channel writes (before the store closes). */
  flush(): Promise<void> {
    return this.chanServ.flush();
  }
}
