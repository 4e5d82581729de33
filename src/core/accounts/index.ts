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
import type { Tags } from '../../protocol/tags.js';
import type { AccountRecord } from '../../store/store.js';
import { attachAfterLogin } from '../attach.js';
import { Cap } from '../caps.js';
import { toChannelPeers } from '../commands/queries.js';
import { Outgoing, serverTimeNow } from '../outgoing.js';
import type { ChatServer } from '../server.js';
import type { AccountHooks } from '../services.js';
import { type Session, State } from '../session.js';
import { ChanServ } from './chanserv.js';
import { LoginGuard } from './login-guard.js';
import { NickServ } from './nickserv.js';
import { registerCommands } from './register.js';
import { Sasl } from './sasl.js';
import { scramCredentials } from './scram.js';

/** draft/account-registration §Server considerations: 300 bytes is a safe limit. */
export const MAX_PASSWORD_BYTES = 300;
/** Nicks the server hands out when it renames someone; never account names. */
const GUEST_NICK = /^guest[0-9]+$/i;
const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;

const registry = new WeakMap<ChatServer, Accounts>();

/** Who is trying to log in: a connection, or e.g. an HTTP request (nick `*`). */
export type LoginSource = Pick<Session, 'ip' | 'nick'>;

/**
 * How a password check went: the account; `failed` (wrong password, or no such account:
 * the same answer); or `refused`, not checked at all because this source has too many
 * attempts in hand (login-guard.ts), with when to try again.
 */
export type PasswordOutcome =
  | { kind: 'ok'; record: AccountRecord }
  | { kind: 'failed' }
  | { kind: 'refused'; retryAfterMs: number };

/** The accounts layer of a server, if installed (tests use it to tune the login guard). */
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

/** What a password change came to (Accounts.changePassword). */
export type PasswordChange =
  | { kind: 'ok'; record: AccountRecord; closed: number }
  | { kind: 'weak'; problem: string }
  | { kind: 'failed' }
  | { kind: 'refused'; retryAfterMs: number };

export class Accounts {
  /** Who gets a password checked, and when (per account and address, never per account alone). */
  readonly guard = new LoginGuard();
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
      admitNick: (s) => this.admitNick(s),
      nickAllowed: (s, nick, folded) => this.nickAllowed(s, nick, folded),
      nickSettled: (s) => {
        void this.protectNick(s).catch((err: unknown) => this.logError('account.protect_failed', err));
      },
    };
  }

  /** PBKDF2 iterations for SCRAM keys stored now (`scram-iterations`). */
  get scramIterations(): number {
    return this.server.config.scramIterations;
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
    const [passwordHash, scram] = await Promise.all([
      hashPassword(password),
      scramCredentials(password, this.scramIterations),
    ]);
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

  /**
   * Changes the password of the account `s` is logged in to, once `current` checks out
   * (through the login guard, like any other password check). The new scrypt hash and SCRAM
   * credentials replace the old in one write; every other connection of the account is then
   * closed with a reason, so no device stays logged in on the strength of the old password.
   */
  async changePassword(s: Session, current: string, next: string): Promise<PasswordChange> {
    const store = this.server.store;
    if (store === null || s.account === null) return { kind: 'failed' };
    const problem = this.passwordProblem(next);
    if (problem !== null) return { kind: 'weak', problem };
    const outcome = await this.tryPassword(s, s.account, current, 'NickServ SET PASSWORD');
    if (outcome.kind !== 'ok') return outcome;
    const record = outcome.record;
    [record.passwordHash, record.scram] = await Promise.all([
      hashPassword(next),
      scramCredentials(next, this.scramIterations),
    ]);
    await store.updateAccount(record);
    const reason = 'Password changed from another session; log in again with the new password';
    let closed = 0;
    for (const other of [...s.person.connections] as Session[]) {
      if (other === s || other.state === State.Closed) continue;
      this.server.disconnect(other, reason);
      closed++;
    }
    this.server.log.info(
      { event: 'account.password_changed', account: record.name, nick: s.nick, ip: s.ip, closed },
      `Account ${record.name}: password changed by ${s.nick} (${s.ip}); ${closed} other sessions closed`,
    );
    return { kind: 'ok', record, closed };
  }

  /** Logs a failed login (wrong password or no such account; refusals are only counted). */
  loginFailed(s: LoginSource, name: string, via: string): void {
    this.server.log.info(
      { event: 'account.login_failed', nick: s.nick, ip: s.ip, account: name, via },
      `Failed login by ${s.nick} (${s.ip}) via ${via}`,
    );
  }

  /** The account when `password` is right, else null (failed or refused alike). */
  async checkPassword(
    s: LoginSource,
    name: string,
    password: string,
    via: string,
  ): Promise<AccountRecord | null> {
    const outcome = await this.tryPassword(s, name, password, via);
    return outcome.kind === 'ok' ? outcome.record : null;
  }

  /**
   * Checks a password once the login guard lets it (login-guard.ts). Does the same work
   * whether or not the account exists (a decoy hash stands in), so neither the answer nor
   * its timing tells which it was.
   */
  async tryPassword(s: LoginSource, name: string, password: string, via: string): Promise<PasswordOutcome> {
    const store = this.server.store;
    if (store === null) return { kind: 'failed' };
    const pass = await this.guard.admit(foldCase(name), s.ip);
    if (!pass.ok) return { kind: 'refused', retryAfterMs: pass.retryAfterMs };
    let record: AccountRecord | null = null;
    try {
      record = isValidNick(name, 255) ? await store.getAccount(foldCase(name)) : null;
      this.decoyHash ??= hashPassword(randomBytes(18).toString('base64'));
      const ok = await verifyPassword(record?.passwordHash ?? (await this.decoyHash), password);
      if (!ok || record === null) record = null;
    } catch (err) {
      pass.done(null); // the store failed: no answer, so no penalty either
      throw err;
    }
    pass.done(record !== null);
    if (record === null) {
      this.loginFailed(s, name, via);
      return { kind: 'failed' };
    }
    await this.upgradeScram(record, password);
    return { kind: 'ok', record };
  }

  /**
   * Derives SCRAM-SHA-256 credentials at the current iteration count for an account that
   * has none (it predates SCRAM) or has them at a lower count (docs/SECURITY.md), now that
   * the password is in hand. A failed write is logged; the login goes on.
   */
  private async upgradeScram(record: AccountRecord, password: string): Promise<void> {
    const iterations = this.scramIterations;
    if (record.scram !== null && record.scram.iterations >= iterations) return;
    record.scram = await scramCredentials(password, iterations);
    await this.server
      .store!.updateAccount(record)
      .catch((err: unknown) => this.logError('account.update_failed', err));
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
    // The account's profile (draft/metadata-2) is read now, so it is there by the welcome.
    void this.server.metadata.load(record.folded);
    s.numeric(
      N.RPL_LOGGEDIN,
      `${s.nick}!${s.username || '*'}@${s.host}`,
      record.name,
      `You are now logged in as ${record.name}`,
    );
    // A guest that logged in to its offline always-on self becomes that person (attach.ts).
    const attached = s.registered && previous === null && attachAfterLogin(s);
    if (s.registered && !attached) {
      this.announceAccount(s, previous);
      // Welcomed as a guest because it asked for this account's nick: it gets the nick now.
      const asked = this.reclaimed.get(s);
      if (asked !== undefined && foldCase(asked) === record.folded && s.folded !== record.folded) {
        this.reclaimed.delete(s);
        void this.server.commands.run(s, { tags: {}, source: null, command: 'NICK', params: [asked] });
      }
      this.chanServ.restoreOps(s);
      this.server.adoptPerson(s.person);
      // Reauthenticated to another account (sasl-3.2): the nick may be the old account's.
      if (previous !== null && foldCase(previous) !== record.folded) this.hooks.nickSettled(s);
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
  //
  // With nick-grace 0 (the default) a registered nick is never used by anyone but its
  // account: a connection asking for it while registering without having logged in (SASL)
  // is welcomed under a guest nick, and NICK to it is refused. With a grace, the old way:
  // the nick is taken, NickServ warns, and the connection is renamed when the grace ends.

  /** The nick each registering connection was found free to use (folded). */
  private readonly admitted = new WeakMap<Session, string>();
  /** Registering connections given a guest nick: the registered nick they asked for. */
  private readonly reclaimed = new WeakMap<Session, string>();
  /** Those of them that NickServ has told why. */
  private readonly told = new WeakSet<Session>();

  /** A nick no one may take without its account: grace 0, a store, not a guest nick. */
  private guarded(s: Session, folded: string): boolean {
    return (
      this.server.store !== null &&
      this.server.config.nickGrace === 0 &&
      !GUEST_NICK.test(folded) &&
      !this.ownsNick(s, folded)
    );
  }

  /** AccountHooks.admitNick: checks the nick of a connection about to be welcomed. */
  private admitNick(s: Session): Promise<void> | null {
    const folded = s.folded;
    const store = this.server.store;
    if (store === null || this.admitted.get(s) === folded || !this.guarded(s, folded)) return null;
    return store.getAccount(folded).then((record) => {
      // Changed meanwhile (another NICK, a SASL login): tryRegister asks again.
      if (s.state !== State.Registering || s.folded !== folded) return;
      if (record === null || this.ownsNick(s, folded)) {
        this.admitted.set(s, folded);
        return;
      }
      const asked = s.nick;
      const guest = this.guestNick();
      if (guest === null || !this.server.directory.claimNick(foldCase(guest), s)) {
        this.server.disconnect(s, `${asked} is a registered nick; log in with SASL to use it`);
        return;
      }
      this.server.directory.releaseNick(folded, s);
      s.nick = guest;
      s.folded = foldCase(guest);
      this.admitted.set(s, s.folded);
      this.reclaimed.set(s, asked);
      this.server.log.info(
        { event: 'account.nick_reclaimed', from: asked, to: guest },
        `Client: asked for ${asked}, welcomed as ${guest} (registered nick, not logged in)`,
      );
    });
  }

  /** AccountHooks.nickAllowed: NICK to a registered nick needs its account (grace 0). */
  private nickAllowed(s: Session, nick: string, folded: string): Promise<boolean> | null {
    const store = this.server.store;
    if (store === null || !this.guarded(s, folded)) return null;
    return store.getAccount(folded).then((record) => {
      if (record === null || this.ownsNick(s, folded)) return true;
      // 433 as for a nick in use (modern docs §NICK: the nick is not available to this client).
      s.numeric(N.ERR_NICKNAMEINUSE, nick, 'Nickname is registered to an account; log in to use it');
      this.notice(
        s,
        this.nickServ.nick,
        `${record.name} is a registered nick. If it is yours, log in first ` +
          `(/msg NickServ IDENTIFY ${record.name} <password>), then /nick ${record.name}.`,
      );
      return false;
    });
  }

  /**
   * A registered nick in use by someone not logged in to it: NickServ explains, and after
   * nick-grace seconds the connection is renamed to a guest nick.
   */
  async protectNick(s: Session): Promise<void> {
    this.grace.delete(s);
    const store = this.server.store;
    if (store === null || !s.registered) return;
    const asked = this.reclaimed.get(s);
    if (asked !== undefined && !this.told.has(s)) {
      this.told.add(s);
      this.notice(
        s,
        this.nickServ.nick,
        `${asked} is a registered nick, and this connection did not log in to it while connecting, ` +
          `so you are ${s.nick} here. If ${asked} is yours, log in with /msg NickServ IDENTIFY ${asked} <password> ` +
          `(you then get ${asked} back), or connect with SASL.`,
      );
      return;
    }
    const folded = s.folded;
    if (this.ownsNick(s, folded) || GUEST_NICK.test(folded)) return;
    const record = await store.getAccount(folded);
    if (record === null || s.folded !== folded || !s.registered || s.quitReason !== null) return;
    if (this.ownsNick(s, folded)) return;
    const seconds = this.server.config.nickGrace;
    if (seconds === 0) {
      // No grace (after a logout, or an account registered under someone's nick meanwhile).
      this.renameToGuest(s);
      return;
    }
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
    // Logging in to that account later gives the nick back (see login).
    this.reclaimed.set(s, from);
    this.told.add(s);
    const grace = this.server.config.nickGrace;
    this.notice(
      s,
      this.nickServ.nick,
      grace === 0
        ? `${from} is a registered nick and you are not logged in to it, so your nick was changed to ${guest}. ` +
            `If ${from} is yours, log in with /msg NickServ IDENTIFY ${from} <password>.`
        : `You did not log in to ${from} within ${grace} seconds, so your nick was changed to ${guest}. ` +
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
  /** A service's NOTICE to one user; `tags` (see roomNoticeTags) reach message-tags clients only. */
  notice(s: Session, serviceNick: string, text: string, tags: Tags | null = null): void {
    const source = `${serviceNick}!services@${this.server.config.serverName}`;
    s.deliver(new Outgoing(source, 'NOTICE', [s.nick, text], serverTimeNow(), null, null, tags));
  }

  logError(event: string, err: unknown): void {
    this.server.log.error({ event, err: err instanceof Error ? err.message : String(err) }, event);
  }

  /** Waits for pending registered-channel writes (before the store closes). */
  flush(): Promise<void> {
    return this.chanServ.flush();
  }
}
