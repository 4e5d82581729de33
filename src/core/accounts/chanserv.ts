/**
 * ChanServ and registered rooms (who may do what: docs/PERMISSIONS.md).
 *   REGISTER #room                   the founder is your account (log in; be an operator there, or
 *                                    the room has none)
 *   INFO #room                       founder, date, operators
 *   ACCESS #room LIST|ADD|DEL [account]   the accounts that get operator status on join
 *   DROP #room                       unregister (founder or IRC operator)
 *
 * Every registered room is kept in memory (loaded at start-up) and written through to the
 * store, so the synchronous JOIN path can restore a room's topic, modes and lists (+b, +e, +I) the
 * moment it is re-created, and give the founder and listed operators +o as they join.
 *
 * A room created by someone logged in is registered to their account at once. The server
 * rooms (`server-rooms`, #lobby) are registered with no founder (`*`, never an account):
 * nobody gets +o there by joining, server operators set their topic and modes (and may name
 * operators with ACCESS), so they never become ownerless. A room created by a guest stays
 * unregistered, and ChanServ tells each joiner how to register it.
 */
import { foldCase } from '../../protocol/casemapping.js';
import type { ListEntryRecord, RegisteredChannel } from '../../store/store.js';
import { type Channel, OP } from '../channel.js';
import { Outgoing, serverTimeNow } from '../outgoing.js';
import type { ChannelHooks, Service } from '../services.js';
import type { Session } from '../session.js';
import type { User } from '../user.js';
import type { Accounts } from './index.js';

type Finish = (() => void) | undefined;

/** The founder of a server room: not a valid account name, so no account is ever it. */
export const SERVER_FOUNDER = '*';

const HELP = [
  'ChanServ keeps registered rooms: their founder, operators, topic, modes, bans and exceptions survive restarts.',
  'A room you create while logged in is registered to your account at once.',
  '  REGISTER #room                       register a room you are an operator of, or that has none (log in first)',
  '  INFO #room                           who founded it, when, and its operators',
  '  ACCESS #room LIST                    the accounts that get operator status on join',
  '  ACCESS #room ADD|DEL <account>       change that list (founder only)',
  '  DROP #room                           unregister it (founder only)',
];

export class ChanServ implements Service, ChannelHooks {
  readonly nick = 'ChanServ';
  readonly realname = 'Channel services';
  /** Registered rooms by folded name; the store is written through. */
  private readonly rooms = new Map<string, RegisteredChannel>();
  /** Per-room chain of store writes, so they land in order. */
  private readonly writes = new Map<string, Promise<void>>();

  constructor(private readonly accounts: Accounts) {}

  async load(): Promise<void> {
    const store = this.accounts.server.store;
    if (store === null) return;
    for (const room of await store.listChannels()) this.rooms.set(room.folded, room);
    await this.claimServerRooms();
  }

  /** The configured server rooms are registered to the server, with the configured topic if they have none. */
  private async claimServerRooms(): Promise<void> {
    const config = this.accounts.server.config;
    const topic = (): RegisteredChannel['topic'] =>
      config.serverRoomTopic === null
        ? null
        : { text: config.serverRoomTopic, setBy: config.serverName, setAt: Date.now() };
    for (const name of config.serverRooms) {
      const folded = foldCase(name);
      const room = this.rooms.get(folded);
      if (room === undefined) {
        const record: RegisteredChannel = {
          folded,
          name,
          founder: SERVER_FOUNDER,
          registeredAt: Date.now(),
          topic: topic(),
          modes: ['+nt'],
          operators: [],
          bans: [],
          exceptions: [],
          inviteExceptions: [],
        };
        this.rooms.set(folded, record);
        await this.persist(folded, (store) => store.registerChannel(structuredClone(record)));
      } else if (
        room.founder !== SERVER_FOUNDER ||
        (room.topic === null && config.serverRoomTopic !== null)
      ) {
        // Registered by an account before it was a server room: it is the server's now.
        room.founder = SERVER_FOUNDER;
        room.topic ??= topic();
        await this.persist(folded, (store) => store.updateChannel(structuredClone(room)));
      }
    }
  }

  isRegistered(folded: string): boolean {
    return this.rooms.has(folded);
  }

  /** Waits until every pending write reached the store. */
  async flush(): Promise<void> {
    while (this.writes.size > 0) await Promise.all([...this.writes.values()]);
  }

  // ---------------------------------------------------------------- channel hooks

  /** A registered room re-created in memory gets its topic, modes and lists (+b, +e, +I) back. */
  created(channel: Channel): void {
    const room = this.rooms.get(channel.folded);
    if (room === undefined) return;
    channel.topic = room.topic === null ? null : { ...room.topic };
    applyModes(channel, room.modes);
    restoreList(channel.bans, room.bans);
    restoreList(channel.exceptions, room.exceptions);
    restoreList(channel.inviteExceptions, room.inviteExceptions);
  }

  /**
   * The founder and listed operators get +o as they join; in a registered room nobody
   * else does, not even the first to join after it emptied.
   */
  joining(user: User, channel: Channel): void {
    const room = this.rooms.get(channel.folded);
    if (room === undefined) {
      this.joiningUnregistered(user, channel);
      return;
    }
    const bits = channel.members.get(user) ?? 0;
    if (entitled(room, user.account)) {
      if ((bits & OP) === 0) {
        channel.members.set(user, bits | OP);
        // Others learn it from ChanServ right after the JOIN (the joiner's NAMES shows it).
        queueMicrotask(() => this.announceOp(channel, user, false));
      }
    } else if ((bits & OP) !== 0) {
      channel.members.set(user, bits & ~OP);
    }
  }

  /**
   * A new room created by an account is registered to it at once; any other joiner of an
   * unregistered room is told what that means and how to register it.
   */
  private joiningUnregistered(user: User, channel: Channel): void {
    const server = this.accounts.server;
    if (!this.accounts.available || !user.local) return;
    const session = user as Session;
    const created = channel.members.size === 1 && channel.isOp(user);
    if (created && user.account !== null) {
      this.autoRegister(session, channel, user.account);
      return;
    }
    queueMicrotask(() => {
      if (!channel.members.has(user) || server.directory.findChannel(channel.folded) !== channel) return;
      this.roomNotice(
        session,
        channel.name,
        'room-unregistered',
        `${channel.name} is not registered: its operators keep their status only while they are here, ` +
          `and nobody may delete other people's messages in it. To keep it, log in and ` +
          `/msg ChanServ REGISTER ${channel.name} (as its operator, or while it has none).`,
      );
    });
  }

  /** Registers a room its creator just made: the founder is their account. */
  private autoRegister(s: Session, channel: Channel, account: string): void {
    const room: RegisteredChannel = {
      folded: channel.folded,
      name: channel.name,
      founder: foldCase(account),
      registeredAt: Date.now(),
      topic: null,
      modes: [],
      operators: [],
      bans: [],
      exceptions: [],
      inviteExceptions: [],
    };
    snapshot(room, channel);
    this.rooms.set(room.folded, room);
    let created = false;
    void this.persist(room.folded, async (store) => {
      created = await store.registerChannel(structuredClone(room));
    }).then(() => {
      const live = this.accounts.server.directory.findChannel(room.folded);
      if (!created) {
        // Registered meanwhile elsewhere (another node), or the database failed: not ours.
        if (this.rooms.get(room.folded) === room) this.rooms.delete(room.folded);
        this.roomNotice(
          s,
          channel.name,
          'room-register-failed',
          `${channel.name} could not be registered to ${account}; /msg ChanServ INFO ${channel.name} says who holds it.`,
        );
        return;
      }
      if (live !== undefined) this.changed(live);
      this.accounts.server.log.info(
        { event: 'channel.registered', channel: room.name, founder: account, via: 'create' },
        `Room ${room.name} registered by ${account} (created it)`,
      );
      this.roomNotice(
        s,
        channel.name,
        'room-registered',
        `${channel.name} is new, so it is registered to your account ${account}: you get operator status whenever you join, ` +
          `and its topic, modes, bans and exceptions are kept. /msg ChanServ ACCESS ${channel.name} ADD <account> names other operators.`,
      );
    });
  }

  holdsAuthority(user: User, folded: string): boolean {
    const room = this.rooms.get(folded);
    return room !== undefined && entitled(room, user.account);
  }

  changed(channel: Channel): void {
    const room = this.rooms.get(channel.folded);
    if (room === undefined) return;
    snapshot(room, channel);
    this.persist(room.folded, (store) => store.updateChannel(structuredClone(room)));
  }

  /** After a login: +o in the registered rooms the user is in and entitled to. */
  restoreOps(s: Session): void {
    for (const channel of s.channels) {
      const room = this.rooms.get(channel.folded);
      if (room !== undefined && entitled(room, s.account)) this.announceOp(channel, s, true);
    }
  }

  private announceOp(channel: Channel, user: User, set: boolean): void {
    const bits = channel.members.get(user);
    if (bits === undefined) return;
    if (set) {
      if ((bits & OP) !== 0) return;
      channel.members.set(user, bits | OP);
    } else if ((bits & OP) === 0) return;
    const source = `${this.nick}!services@${this.accounts.server.config.serverName}`;
    channel.broadcast(new Outgoing(source, 'MODE', [channel.name, '+o', user.nick], serverTimeNow()));
  }

  private persist(
    folded: string,
    write: (store: NonNullable<Accounts['server']['store']>) => Promise<unknown>,
  ): Promise<void> {
    const store = this.accounts.server.store;
    if (store === null) return Promise.resolve();
    const previous = this.writes.get(folded) ?? Promise.resolve();
    const next = previous
      .then(() => write(store))
      .then(
        () => {},
        (err: unknown) => this.accounts.logError('chanserv.write_failed', err),
      );
    this.writes.set(folded, next);
    void next.then(() => {
      if (this.writes.get(folded) === next) this.writes.delete(folded);
    });
    return next;
  }

  // ---------------------------------------------------------------- the service

  receive(s: Session, command: 'PRIVMSG' | 'NOTICE', text: string): void {
    if (command !== 'PRIVMSG') return;
    const words = text.trim().split(/ +/);
    const verb = (words[0] ?? '').toUpperCase();
    const args = words.slice(1).filter((w) => w !== '');
    if (verb === 'HELP' || verb === '') {
      for (const line of HELP) this.reply(s, line);
      return;
    }
    if (!this.accounts.available) {
      this.reply(s, 'Registered rooms are not available on this server (it runs without a database).');
      return;
    }
    const name = args[0];
    if (name === undefined || !name.startsWith('#')) {
      this.reply(s, `Syntax: ${verb} #room … (/msg ChanServ HELP lists the commands)`);
      return;
    }
    switch (verb) {
      case 'REGISTER':
        this.hold(s, this.register(s, name));
        return;
      case 'INFO':
        this.hold(s, this.info(s, name));
        return;
      case 'ACCESS':
        this.hold(s, this.access(s, name, (args[1] ?? 'LIST').toUpperCase(), args[2]));
        return;
      case 'DROP':
        this.hold(s, this.drop(s, name));
        return;
      default:
        this.reply(s, `Unknown command ${verb}. /msg ChanServ HELP lists the commands.`);
    }
  }

  private reply(s: Session, text: string): void {
    this.accounts.notice(s, this.nick, text);
  }

  /**
   * A notice about a room the user just joined. IRC clients read the English text; a
   * message-tags client also gets `+draft/channel-context` (IRCv3 channel-context client tag:
   * show this private NOTICE in that room) and `tertulia/notice`, a code it may show in the
   * user's language (docs/PROTOCOL.md). The code is a server tag (no '+'), which clients
   * cannot send, so no user can forge one.
   */
  private roomNotice(s: Session, room: string, code: string, text: string): void {
    this.accounts.notice(s, this.nick, text, { '+draft/channel-context': room, 'tertulia/notice': code });
  }

  private hold(s: Session, work: Promise<Finish>): void {
    let finish: Finish;
    s.deferUntil(
      work.then((f) => {
        finish = f;
      }),
      () => finish?.(),
      (err) => {
        this.accounts.logError('chanserv.failed', err);
        this.reply(s, 'That did not work because of a server problem; please try again later.');
      },
      true,
    );
  }

  private async register(s: Session, name: string): Promise<Finish> {
    const say =
      (text: string): Finish =>
      () =>
        this.reply(s, text);
    if (s.account === null)
      return say('Log in first (/msg NickServ IDENTIFY <password>): the founder is your account.');
    const channel = this.accounts.server.directory.findChannel(foldCase(name));
    if (channel === undefined || !channel.members.has(s)) return say(`Join ${name} first.`);
    if (this.rooms.has(channel.folded)) return say(`${channel.name} is already registered.`);
    // A room whose operators all left would otherwise stay ownerless for as long as it lives.
    const opless = ![...channel.members.values()].some((bits) => (bits & OP) !== 0);
    if (!channel.isOp(s) && !opless)
      return say(`You must be an operator (+o) of ${channel.name} to register it.`);
    const room: RegisteredChannel = {
      folded: channel.folded,
      name: channel.name,
      founder: foldCase(s.account),
      registeredAt: Date.now(),
      topic: null,
      modes: [],
      operators: [],
      bans: [],
      exceptions: [],
      inviteExceptions: [],
    };
    snapshot(room, channel);
    let created = false;
    await this.persist(room.folded, async (store) => {
      created = await store.registerChannel(structuredClone(room));
    });
    if (!created)
      return say(
        `${channel.name} could not be registered (it is already registered, or the database failed).`,
      );
    this.rooms.set(room.folded, room);
    // Anything changed while the registration was being written is saved too.
    const live = this.accounts.server.directory.findChannel(room.folded);
    if (live !== undefined) {
      this.changed(live);
      if (live.members.has(s)) this.announceOp(live, s, true);
    }
    const account = s.account;
    this.accounts.server.log.info(
      { event: 'channel.registered', channel: room.name, founder: account },
      `Room ${room.name} registered by ${account}`,
    );
    return say(
      `${channel.name} is now registered to your account ${account}. Its topic, modes, bans, exceptions and operators are kept across restarts, and you get operator status whenever you join.`,
    );
  }

  private async info(s: Session, name: string): Promise<Finish> {
    const room = this.rooms.get(foldCase(name));
    if (room === undefined) return () => this.reply(s, `${name} is not registered.`);
    const store = this.accounts.server.store!;
    const founder =
      room.founder === SERVER_FOUNDER ? null : ((await store.getAccount(room.founder))?.name ?? room.founder);
    return () => {
      this.reply(
        s,
        founder === null
          ? `${room.name} belongs to the server: its server operators set its topic and modes.`
          : `${room.name} is registered to ${founder}.`,
      );
      this.reply(s, `Registered: ${new Date(room.registeredAt).toISOString()}`);
      this.reply(
        s,
        `Operators: ${room.operators.length === 0 ? '(none besides the founder)' : room.operators.join(', ')}`,
      );
    };
  }

  private async access(
    s: Session,
    name: string,
    action: string,
    target: string | undefined,
  ): Promise<Finish> {
    const say =
      (text: string): Finish =>
      () =>
        this.reply(s, text);
    const room = this.rooms.get(foldCase(name));
    if (room === undefined) return say(`${name} is not registered.`);
    const isFounder = s.account !== null && foldCase(s.account) === room.founder;
    if (action === 'LIST') {
      if (!entitled(room, s.account) && !s.isOper)
        return say(`Only ${room.name}'s founder and operators can see its access list.`);
      const founder = room.founder === SERVER_FOUNDER ? [] : [`${room.founder} (founder)`];
      return say(`${room.name} operators: ${[...founder, ...room.operators].join(', ') || '(none)'}`);
    }
    if (action !== 'ADD' && action !== 'DEL') return say('Syntax: ACCESS #room LIST|ADD|DEL [account]');
    if (!isFounder && !s.isOper) return say(`Only ${room.name}'s founder can change its access list.`);
    if (target === undefined) return say(`Syntax: ACCESS ${room.name} ${action} <account>`);
    const folded = foldCase(target);
    if (action === 'ADD') {
      if (folded === room.founder || room.operators.includes(folded))
        return say(`${target} is already an operator of ${room.name}.`);
      const account = await this.accounts.server.store!.getAccount(folded);
      if (account === null) return say(`There is no account named ${target}.`);
      if (room.operators.includes(folded)) return say(`${target} is already an operator of ${room.name}.`);
      room.operators.push(folded);
      await this.persist(room.folded, (store) => store.updateChannel(structuredClone(room)));
      return () => {
        this.reply(s, `${account.name} now gets operator status in ${room.name}.`);
        const channel = this.accounts.server.directory.findChannel(room.folded);
        if (channel === undefined) return;
        for (const member of channel.members.keys()) {
          if (member.account !== null && foldCase(member.account) === folded)
            this.announceOp(channel, member, true);
        }
      };
    }
    const at = room.operators.indexOf(folded);
    if (at === -1) return say(`${target} is not on ${room.name}'s access list.`);
    room.operators.splice(at, 1);
    await this.persist(room.folded, (store) => store.updateChannel(structuredClone(room)));
    return say(`${target} no longer gets operator status in ${room.name}.`);
  }

  private async drop(s: Session, name: string): Promise<Finish> {
    const say =
      (text: string): Finish =>
      () =>
        this.reply(s, text);
    const folded = foldCase(name);
    const room = this.rooms.get(folded);
    if (room === undefined) return say(`${name} is not registered.`);
    const isFounder = s.account !== null && foldCase(s.account) === room.founder;
    if (!isFounder && !s.isOper) return say(`Only ${room.name}'s founder can drop it.`);
    if (this.accounts.server.config.serverRooms.some((r) => foldCase(r) === folded))
      return say(
        `${room.name} belongs to the server (server-rooms); remove it from the configuration instead.`,
      );
    this.rooms.delete(folded);
    await this.persist(folded, (store) => store.dropChannel(folded));
    this.accounts.server.log.info(
      { event: 'channel.dropped', channel: room.name, by: s.account ?? s.nick },
      `Room ${room.name} dropped`,
    );
    return say(`${room.name} is no longer registered.`);
  }
}

/** The founder and the access list (folded accounts) get +o. */
function entitled(room: RegisteredChannel, account: string | null): boolean {
  if (account === null) return false;
  const folded = foldCase(account);
  return room.founder === folded || room.operators.includes(folded);
}

/** Copies what survives restarts from the live room into its record. */
function snapshot(room: RegisteredChannel, channel: Channel): void {
  room.name = channel.name;
  room.topic = channel.topic === null ? null : { ...channel.topic };
  room.modes = channel.modeString(true);
  room.bans = channel.bans.map((b) => ({ ...b }));
  room.exceptions = channel.exceptions.map((b) => ({ ...b }));
  room.inviteExceptions = channel.inviteExceptions.map((b) => ({ ...b }));
}

function restoreList(list: Channel['bans'], stored: readonly ListEntryRecord[]): void {
  list.length = 0;
  for (const entry of stored) list.push({ ...entry });
}

/** Applies a stored mode string with parameters (e.g. ["+ntk", "key"]), replacing the defaults. */
export function applyModes(channel: Channel, modes: readonly string[]): void {
  if (modes.length === 0) return; // nothing stored: keep the defaults
  const [flags, ...args] = modes as [string, ...string[]];
  channel.inviteOnly = false;
  channel.moderated = false;
  channel.noExternal = false;
  channel.secret = false;
  channel.topicLocked = false;
  channel.noCtcp = false;
  channel.key = null;
  channel.limit = null;
  for (const c of flags) {
    switch (c) {
      case 'C':
        channel.noCtcp = true;
        break;
      case 'i':
        channel.inviteOnly = true;
        break;
      case 'm':
        channel.moderated = true;
        break;
      case 'n':
        channel.noExternal = true;
        break;
      case 's':
        channel.secret = true;
        break;
      case 't':
        channel.topicLocked = true;
        break;
      case 'k':
        channel.key = args.shift() ?? null;
        break;
      case 'l': {
        const limit = Number.parseInt(args.shift() ?? '', 10);
        channel.limit = Number.isFinite(limit) && limit > 0 ? limit : null;
        break;
      }
    }
  }
}
