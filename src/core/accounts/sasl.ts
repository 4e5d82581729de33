/**
 * SASL over IRC: the AUTHENTICATE command (IRCv3 sasl-3.1, sasl-3.2) with the PLAIN
 * (RFC 4616), SCRAM-SHA-256 (RFC 5802, RFC 7677) and EXTERNAL (RFC 4422, the TLS client
 * certificate's fingerprint) mechanisms.
 *
 * Responses travel base64-encoded in 400-byte chunks; a chunk of exactly 400 bytes means
 * more follows, and `AUTHENTICATE +` ends a response that is empty or a multiple of 400
 * (sasl-3.1 §The AUTHENTICATE command). Verification is asynchronous; the session keeps
 * later lines (CAP END included) waiting until it is done, so a client may send CAP END
 * before it sees 903. A client that completes registration while an exchange still waits
 * for its data gets 906 and is registered without an account (sasl-3.1).
 *
 * A response is bounded: one AUTHENTICATE parameter over 400 bytes gets 905
 * (ERR_SASLTOOLONG: "the parameter longer than 400 bytes"); a response chained from full
 * 400-byte chunks past MAX_RESPONSE gets 904 ("The server MAY place a limit on the total
 * length of a response"; 904 covers "other errors"). Every failure ends the exchange, so the
 * client "MAY retry from the AUTHENTICATE <mechanism> command" (sasl-3.1).
 *
 * Reauthentication (sasl-3.2 §SASL Reauthentication: "Servers SHOULD allow a client,
 * authenticated or otherwise, to reauthenticate by sending a new AUTHENTICATE message at any
 * time"): a connection may authenticate before or after registration, and a logged-in one
 * may authenticate again, to the same account or another (its peers see ACCOUNT). Password
 * checks go through the login guard (login-guard.ts) whatever the mechanism.
 */
import { isUtf8 } from 'node:buffer';
import { foldCase } from '../../protocol/casemapping.js';
import { isValidNick } from '../../protocol/names.js';
import * as N from '../../protocol/numerics.js';
import type { AccountRecord } from '../../store/store.js';
import { Cap } from '../caps.js';
import type { CommandGroup } from '../commands/table.js';
import type { Session } from '../session.js';
import type { Accounts } from './index.js';
import {
  type ClientFirst,
  decoyCredentials,
  parseClientFinal,
  parseClientFirst,
  type ScramCredentials,
  type ServerFirst,
  serverFirst,
  verifyClientFinal,
} from './scram.js';

export const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'EXTERNAL'] as const;
type Mechanism = (typeof MECHANISMS)[number];

/** sasl-3.1: each AUTHENTICATE parameter is at most 400 bytes. */
const CHUNK = 400;
/** "The server MAY place a limit on the total length of a response." */
const MAX_RESPONSE = 4096;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

interface ScramState {
  client: ClientFirst;
  server: ServerFirst;
  credentials: ScramCredentials;
  /** The account, when it exists and has SCRAM credentials. */
  record: AccountRecord | null;
}

interface Exchange {
  mechanism: Mechanism;
  /** initial: the client's first response; final: SCRAM client-final; ack: after server-final. */
  step: 'initial' | 'final' | 'ack';
  chunks: string[];
  size: number;
  scram: ScramState | null;
}

export class Sasl {
  private readonly exchanges = new WeakMap<Session, Exchange>();

  readonly commands: CommandGroup = {
    AUTHENTICATE: {
      minParams: 1,
      preRegistration: true,
      handler: (s, m) => this.authenticate(s, m.params[0]!),
    },
  };

  constructor(private readonly accounts: Accounts) {}

  /** sasl-3.1: registration completing mid-exchange aborts it with 906. */
  abortOnRegistration(s: Session): void {
    if (this.exchanges.delete(s)) s.numeric(N.ERR_SASLABORTED, 'SASL authentication aborted');
  }

  private authenticate(s: Session, arg: string): void | Promise<void> {
    if (!this.accounts.available) {
      s.numeric(N.ERR_SASLFAIL, 'SASL authentication failed: accounts are not available on this server');
      return;
    }
    if (!s.hasCap(Cap.sasl)) {
      s.numeric(N.ERR_SASLFAIL, 'SASL authentication failed: enable the sasl capability first');
      return;
    }
    const ex = this.exchanges.get(s);
    if (ex === undefined) {
      if (arg === '*') {
        s.numeric(N.ERR_SASLABORTED, 'SASL authentication aborted');
        return;
      }
      const mechanism = MECHANISMS.find((m) => m === arg.toUpperCase());
      if (mechanism === undefined) {
        s.numeric(N.RPL_SASLMECHS, MECHANISMS.join(','), 'are available SASL mechanisms');
        s.numeric(N.ERR_SASLFAIL, 'SASL authentication failed');
        return;
      }
      this.exchanges.set(s, { mechanism, step: 'initial', chunks: [], size: 0, scram: null });
      // Every mechanism is client-first: an empty initial server response.
      s.reply('AUTHENTICATE', ['+']);
      return;
    }
    if (arg === '*') {
      this.exchanges.delete(s);
      s.numeric(N.ERR_SASLABORTED, 'SASL authentication aborted');
      return;
    }
    if (Buffer.byteLength(arg) > CHUNK) {
      this.exchanges.delete(s);
      s.numeric(N.ERR_SASLTOOLONG, 'SASL message too long');
      return;
    }
    if (arg !== '+') {
      ex.chunks.push(arg);
      ex.size += arg.length;
      if (ex.size > MAX_RESPONSE) {
        this.exchanges.delete(s);
        s.numeric(
          N.ERR_SASLFAIL,
          `SASL authentication failed: the response is longer than ${MAX_RESPONSE} bytes`,
        );
        return;
      }
      if (arg.length === CHUNK) return; // more of this response follows
    }
    const text = ex.chunks.join('');
    ex.chunks = [];
    ex.size = 0;
    if (!BASE64.test(text)) {
      this.exchanges.delete(s);
      this.fail(s);
      return;
    }
    const data = Buffer.from(text, 'base64');
    if (ex.mechanism === 'PLAIN') return this.guard(s, this.plain(s, data));
    if (ex.mechanism === 'EXTERNAL') return this.guard(s, this.external(s, data));
    if (ex.step === 'initial') return this.guard(s, this.scramFirst(s, ex, data));
    if (ex.step === 'final') return this.guard(s, this.scramFinal(s, ex, data));
    // The client acknowledged server-final-message (normally with an empty response).
    this.exchanges.delete(s);
    this.succeed(s, ex.scram!.record!, 'SCRAM-SHA-256');
  }

  /** RFC 4616 §2: message = [authzid] NUL authcid NUL passwd. */
  private async plain(s: Session, data: Buffer): Promise<void> {
    this.exchanges.delete(s);
    const parts = isUtf8(data) ? data.toString('utf8').split('\0') : [];
    if (parts.length !== 3) {
      this.fail(s);
      return;
    }
    const [authzid, authcid, password] = parts as [string, string, string];
    // Acting as another identity (authzid ≠ authcid) is not supported (RFC 4616 §2).
    if (authcid === '' || password === '' || (authzid !== '' && foldCase(authzid) !== foldCase(authcid))) {
      this.fail(s);
      return;
    }
    const outcome = await this.accounts.tryPassword(s, authcid, password, 'SASL PLAIN');
    s.resume(() => {
      if (outcome.kind === 'ok') this.succeed(s, outcome.record, 'PLAIN');
      else if (outcome.kind === 'refused') this.refused(s, outcome.retryAfterMs);
      else this.fail(s);
    });
  }

  /**
   * RFC 4422 Appendix A: the TLS client certificate is the credential; the response is
   * an optional authorization identity, which must then name the same account.
   */
  private async external(s: Session, data: Buffer): Promise<void> {
    this.exchanges.delete(s);
    const authzid = isUtf8(data) ? data.toString('utf8') : null;
    const fp = s.certFingerprint;
    const record =
      fp === null || authzid === null ? null : await this.accounts.server.store!.findAccountByCert(fp);
    s.resume(() => {
      if (record === null || (authzid !== '' && foldCase(authzid!) !== record.folded)) this.fail(s);
      else this.succeed(s, record, 'EXTERNAL');
    });
  }

  /** client-first-message → server-first-message (RFC 5802 §5). */
  private async scramFirst(s: Session, ex: Exchange, data: Buffer): Promise<void> {
    const client = isUtf8(data) ? parseClientFirst(data.toString('utf8')) : null;
    if (
      client === null ||
      (client.authzid !== null && foldCase(client.authzid) !== foldCase(client.username))
    ) {
      this.exchanges.delete(s);
      this.fail(s);
      return;
    }
    const folded = foldCase(client.username);
    const store = this.accounts.server.store!;
    const found = isValidNick(client.username, 255) ? await store.getAccount(folded) : null;
    const record = found?.scram ? found : null;
    // An unknown account gets a stable decoy salt and fails only at the proof, exactly
    // like a wrong password: the exchange never tells whether the account exists.
    const credentials =
      record?.scram ?? decoyCredentials(this.accounts.secret, folded, this.accounts.scramIterations);
    const first = serverFirst(client, credentials);
    ex.step = 'final';
    ex.scram = { client, server: first, credentials, record };
    s.resume(() => this.send(s, Buffer.from(first.message, 'utf8')));
  }

  /** client-final-message → server-final-message, or 904 (RFC 5802 §5.1). */
  private async scramFinal(s: Session, ex: Exchange, data: Buffer): Promise<void> {
    const st = ex.scram!;
    const final = isUtf8(data) ? parseClientFinal(data.toString('utf8')) : null;
    const pass = await this.accounts.guard.admit(foldCase(st.client.username), s.ip);
    if (!pass.ok) {
      this.exchanges.delete(s);
      s.resume(() => this.refused(s, pass.retryAfterMs));
      return;
    }
    const serverFinal =
      final === null ? null : verifyClientFinal(st.client, st.server, final, st.credentials);
    pass.done(serverFinal !== null && st.record !== null);
    if (serverFinal === null || st.record === null) {
      this.accounts.loginFailed(s, st.client.username, 'SASL SCRAM-SHA-256');
      this.exchanges.delete(s);
      s.resume(() => this.fail(s));
      return;
    }
    ex.step = 'ack';
    s.resume(() => this.send(s, Buffer.from(serverFinal, 'utf8')));
  }

  /** A store failure ends the exchange with 904 rather than leaving it half-done. */
  private guard(s: Session, work: Promise<void>): Promise<void> {
    return work.catch((err: unknown) => {
      this.accounts.logError('sasl.failed', err);
      this.exchanges.delete(s);
      s.resume(() => this.fail(s));
    });
  }

  private succeed(s: Session, record: AccountRecord, mechanism: string): void {
    this.accounts.login(s, record, `SASL ${mechanism}`);
    s.numeric(N.RPL_SASLSUCCESS, 'SASL authentication successful');
  }

  private fail(s: Session): void {
    s.numeric(N.ERR_SASLFAIL, 'SASL authentication failed');
  }

  /** Not checked: this source has too many login attempts in hand (login-guard.ts). */
  private refused(s: Session, retryAfterMs: number): void {
    const seconds = Math.ceil(retryAfterMs / 1000);
    s.numeric(
      N.ERR_SASLFAIL,
      `SASL authentication failed: too many login attempts, try again in ${seconds} second${seconds === 1 ? '' : 's'}`,
    );
  }

  /** A server response, base64 in 400-byte chunks, `+` after a full last chunk or for empty. */
  private send(s: Session, data: Buffer): void {
    const text = data.toString('base64');
    for (let i = 0; i < text.length; i += CHUNK) s.reply('AUTHENTICATE', [text.slice(i, i + CHUNK)]);
    if (text.length % CHUNK === 0) s.reply('AUTHENTICATE', ['+']);
  }
}
