/**
 * The chat domain for one node: sessions, the directory of nicks and channels, the
 * command table, output flushing, timeouts and disconnects. No sockets here: gateways
 * hand us Transports.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { foldCase } from '../protocol/casemapping.js';
import type { Store, StoredMessage } from '../store/store.js';
import { Admission } from './admission.js';
import { forgetRooms, personWentOffline, storeRooms } from './always-on.js';
import { Cap } from './caps.js';
import type { Channel } from './channel.js';
import { CommandTable } from './commands/table.js';
import type { Directory } from './directory.js';
import { MemoryGiveBack } from './memory-giveback.js';
import { MetadataRegistry } from './metadata.js';
import { Metrics } from './metrics.js';
import { MonitorRegistry } from './monitor.js';
import type { Network } from './network.js';
import { Outgoing } from './outgoing.js';
import type { Person } from './person.js';
import type { PushNotifier } from './push.js';
import { OutputScheduler } from './send-queue.js';
import type { AccountHooks, ChannelHooks, Service } from './services.js';
import { Session, State } from './session.js';
import type { Transport } from './transport.js';
import type { User } from './user.js';
import { WhowasLog } from './whowas.js';

export const VERSION = '0.1.0';

export class ChatServer {
  /** Every connection, registering or registered. */
  readonly sessions = new Set<Session>();
  /** Account people by folded account name (person.ts): whom a new login attaches to. */
  readonly people = new Map<string, Person>();
  /** Folded accounts that turned always-on off for themselves (always-on.ts). */
  readonly alwaysOnOptOut = new Set<string>();
  readonly commands: CommandTable;
  readonly metrics = new Metrics();
  /** One full collection after a wave of SendQ drops (memory-giveback.ts). */
  readonly memoryGiveBack = new MemoryGiveBack((drops, before, after) => {
    const mb = (n: number): string => (n / 1048576).toFixed(0);
    this.log.info(
      { event: 'memory.given_back', drops, rss_before: before, rss_after: after },
      `Memory: ${drops} clients dropped for SendQ; a full collection took RSS from ${mb(before)} to ${mb(after)} MB`,
    );
  });
  readonly monitors = new MonitorRegistry();
  /** draft/metadata-2 values and subscriptions (metadata.ts). */
  readonly metadata = new MetadataRegistry(this);
  readonly whowas: WhowasLog;
  readonly admission: Admission;
  readonly createdAt = new Date();
  motd: string[] | null;
  /** Most users seen at once (LUSERS 265/266). */
  maxUsers = 0;
  /**
   * Registered local users (people, however many connections each has), how many are
   * invisible or operators, and how many registered connections they use (LUSERS).
   */
  readonly census = { users: 0, invisible: 0, opers: 0, connections: 0 };
  /** When every connection's queued output is written (core/send-queue.ts). */
  readonly output: OutputScheduler;
  /** Service pseudo-users by folded nick (NickServ, ChanServ); their nicks cannot be taken. */
  readonly services = new Map<string, Service>();
  /** Channel life-cycle hooks (registered channels); null when nothing listens. */
  channelHooks: ChannelHooks | null = null;
  /** The accounts layer (SASL, nick protection); null when it is not installed. */
  accountHooks: AccountHooks | null = null;
  /** Durable storage (history, accounts, registered channels); null runs without it. */
  store: Store | null = null;
  /** Group-committing writer for history (store/group-commit.ts); null when history is off. */
  historyWriter: { write(message: StoredMessage): Promise<void> } | null = null;
  /** The bound TLS listener's port (for the sts capability); null when TLS is off. */
  tlsPort: number | null = null;
  /** The file upload URL advertised as FILEHOST (src/http/uploads.ts); null when uploads are off. */
  fileHostUrl: string | null = null;
  /** Web Push notifications (draft/webpush, core/push.ts); null when off. */
  push: PushNotifier | null = null;
  /** The other nodes of a cluster (src/cluster/); null for a single node. */
  network: Network | null = null;

  private sweepTimer: NodeJS.Timeout | null = null;
  private batchCounter = 0;
  private shuttingDown = false;

  constructor(
    readonly config: Config,
    readonly log: Logger,
    readonly directory: Directory,
    motd: string[] | null,
  ) {
    this.motd = motd;
    this.output = new OutputScheduler(config.sendqBytes, config.sendqTotalBytes, () => {
      this.metrics.sendqBudgetDrops++;
    });
    this.commands = new CommandTable();
    this.whowas = new WhowasLog(config.whowasSize);
    this.admission = new Admission(config.maxConnectionsPerIp, config.connectRatePerIp);
    const periodMs = Math.max(
      100,
      Math.min(
        5000,
        (Math.min(config.pingInterval, config.pingTimeout, config.registrationTimeout) * 1000) / 4,
      ),
    );
    this.sweepTimer = setInterval(() => this.sweep(), periodMs);
    this.sweepTimer.unref();
  }

  // ---------------------------------------------------------------- connections

  /**
   * A gateway accepted a connection. Returns the session, or null when the address is over
   * its limits (the transport has then been told why and closed).
   */
  attach(transport: Transport): Session | null {
    const refusal = this.shuttingDown
      ? 'Server shutting down'
      : this.admission.admit(transport.remoteAddress);
    if (refusal !== null) {
      this.metrics.refusedConnections++;
      transport.write(Buffer.from(`ERROR :Closing link: (${transport.remoteAddress}) [${refusal}]\r\n`));
      transport.end();
      return null;
    }
    const session = new Session(this, transport);
    this.sessions.add(session);
    this.metrics.connectionOpened(transport.kind);
    return session;
  }

  /** The transport closed underneath us (peer hung up, network error). */
  transportClosed(session: Session, reason: string): void {
    if (session.state === State.Closed) return;
    this.finishQuit(session, session.quitReason ?? reason, false);
  }

  /**
   * Disconnects a client with a reason: others see a QUIT with it, the client gets an
   * ERROR line. Safe to call during a fan-out loop: the teardown is deferred to the end
   * of the current turn so no member list changes under an iterator.
   */
  disconnect(session: Session, reason: string): void {
    if (session.state === State.Closed || session.quitReason !== null) return;
    session.quitReason = reason;
    queueMicrotask(() => this.finishQuit(session, reason, true));
  }

  /**
   * Closes a relay connection (cluster/relay-connection.ts) after what is queued for it,
   * without an ERROR of our own: the node holding its person already sent the client one.
   */
  endRelayed(session: Session, reason: string): void {
    if (session.state === State.Closed) return;
    session.quitReason ??= reason;
    this.finishQuit(session, reason, true, false);
  }

  private finishQuit(session: Session, reason: string, tellClient: boolean, sayError = true): void {
    if (session.state === State.Closed) return;
    // A relay connection's holder is told, so it drops its side (that device went away).
    if (session.relay !== null) this.network?.relayClosed?.(session, reason);
    const wasRegistered = session.state === State.Registered;
    const person = session.person;
    const left = person.detach(session);
    if (wasRegistered) {
      this.census.connections--;
      if (left > 0 || person.alwaysOn) {
        // The person stays (another device, or always-on): nobody sees a QUIT.
        this.log.info(
          { event: 'client.detached', nick: person.nick, ip: session.ip, reason, remaining: left },
          `Client: a connection of ${person.nick} closed (${reason}); ${left} remain`,
        );
        if (left === 0) this.personOffline(person, session);
      } else {
        this.removePerson(person, session, reason);
      }
    } else if (session.folded !== '' && left === 0 && !person.registered) {
      // A connection that never registered held its nick for its own provisional person.
      this.directory.releaseNick(session.folded, person);
    }
    this.monitors.removeWatcher(session);
    session.dispose();
    this.sessions.delete(session);
    this.admission.release(session.ip);
    this.metrics.connectionClosed(session.transport.kind);
    if (tellClient) {
      // The ERROR and the close wait for any echo this client is still owed (send-queue.ts).
      session.writeFinal(
        sayError
          ? new Outgoing(null, 'ERROR', [
              `Closing link: (${session.username || '*'}@${session.host}) [${reason}]`,
            ])
          : null,
        () => session.transport.end(session.droppedForSendq),
      );
    } else {
      session.transport.destroy();
    }
  }

  /**
   * A person logged in to an account becomes the one later logins to it attach to, unless
   * another person already is (a login after registration while a device is on).
   */
  adoptPerson(person: Person): void {
    if (person.account === null) return;
    const key = foldCase(person.account);
    if (this.people.has(key)) return;
    this.people.set(key, person);
    // Always-on unless the server has it off or the account turned it off (always-on.ts).
    person.alwaysOn = this.config.alwaysOn && !this.alwaysOnOptOut.has(key);
    storeRooms(this, person);
  }

  /** The person stops being its account's (logout). */
  disownPerson(person: Person, account: string): void {
    const key = foldCase(account);
    if (this.people.get(key) === person) this.people.delete(key);
    this.metadata.forget(account);
    forgetRooms(this, person, account); // the account is no longer in them
    person.alwaysOn = false; // guests are never always-on
  }

  /** Closes every connection of a person and removes it (KILL, an account dropped). */
  removeEverywhere(person: Person, reason: string): void {
    forgetRooms(this, person, person.account); // it leaves them all now; a restart must not bring it back
    person.alwaysOn = false;
    const conns = [...person.connections] as Session[];
    if (conns.length === 0) this.removePerson(person, null, reason);
    for (const c of conns) this.disconnect(c, reason);
  }

  /** A person leaves the network: QUIT to everyone sharing a room, nick released. */
  removePerson(person: Person, last: Session | null, reason: string): void {
    const quit = new Outgoing(person.mask, 'QUIT', [reason], null, null, person.account);
    // Other nodes tell their own members (before the memberships below are dropped).
    if (last !== null) this.network?.userQuit(last, reason);
    const seen = new Set<User>([person]);
    for (const channel of person.channels) {
      for (const member of channel.members.keys()) {
        if (seen.has(member) || !member.local) continue;
        seen.add(member);
        member.deliver(quit, true);
      }
      // Through the last connection when there is one: it notes what a re-join need not replay.
      this.leaveChannel(last ?? person, channel);
    }
    person.leaveCensus();
    this.whowas.record(person);
    this.monitors.notifyOffline(person.nick);
    if (person.account !== null && this.people.get(foldCase(person.account)) === person) {
      this.people.delete(foldCase(person.account));
    }
    if (person.account !== null) this.metadata.forget(person.account);
    if (person.folded !== '') this.directory.releaseNick(person.folded, person);
    this.log.info(
      { event: 'client.disconnected', nick: person.nick, ip: last?.ip ?? person.ip, reason },
      `Client: ${person.nick} disconnected (${reason})`,
    );
  }

  /**
   * An always-on person's last connection closed: it stays in its rooms, now away (offline),
   * which peers with away-notify are told.
   */
  private personOffline(person: Person, last: Session): void {
    // One millisecond back: a line said in the very millisecond of leaving is shown again.
    person.offlineSince = Date.now() - 1;
    personWentOffline(this, person);
    if (last.ownAway !== null) return; // already away to everyone: nothing changes for peers
    const out = new Outgoing(person.mask, 'AWAY', [person.away ?? ''], null, null, person.account);
    const seen = new Set<User>([person]);
    for (const channel of person.channels) {
      for (const member of channel.members.keys()) {
        if (seen.has(member) || !member.local) continue;
        seen.add(member);
        if (member.caps & Cap.awayNotify) member.deliver(out, true);
      }
    }
  }

  /** Removes a user from a channel's state; drops the channel when it empties. */
  leaveChannel(user: User, channel: Channel): void {
    channel.removeMember(user);
    user.leftChannel(channel);
    if (channel.members.size === 0) this.directory.removeChannel(channel);
  }

  newBatchId(): string {
    this.batchCounter = (this.batchCounter + 1) % 0x7fffffff;
    return 'b' + this.batchCounter.toString(36);
  }

  // ---------------------------------------------------------------- timers

  /** PINGs quiet clients, drops dead ones and clients that never finish registering. */
  private sweep(): void {
    const now = Date.now();
    const { pingInterval, pingTimeout, registrationTimeout } = this.config;
    for (const session of this.sessions) {
      if (session.state === State.Closed || session.quitReason !== null) continue;
      // A relay connection is timed and pinged by the node holding its person.
      if (session.relay !== null) continue;
      if (session.state === State.Registering) {
        if (now - session.signonAt > registrationTimeout * 1000) {
          this.disconnect(session, 'Registration timed out');
        }
        continue;
      }
      if (session.pingSentAt !== 0) {
        if (now - session.pingSentAt > pingTimeout * 1000) {
          this.disconnect(session, `Ping timeout: ${Math.round((now - session.lastSeen) / 1000)} seconds`);
        }
      } else if (now - session.lastSeen > pingInterval * 1000) {
        session.pingSentAt = now;
        session.reply('PING', [this.config.serverName]);
      }
    }
  }

  // ---------------------------------------------------------------- lifecycle

  /** Tells every client why, flushes, and closes every connection. */
  async shutdown(reason: string): Promise<void> {
    this.shuttingDown = true;
    this.memoryGiveBack.dispose();
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    for (const session of [...this.sessions]) {
      session.quitReason = reason;
      this.finishQuit(session, reason, true);
    }
  }
}

export type { State };
