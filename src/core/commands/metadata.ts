/**
 * METADATA (IRCv3 draft/metadata-2, https://ircv3.net/specs/extensions/metadata §METADATA
 * client command): GET, LIST, SET, CLEAR, SUB, UNSUB, SUBS and SYNC. The values, the
 * subscriptions and the deliveries are core/metadata.ts; this file decides who may do what
 * and what each subcommand answers.
 *
 * Who may do what: anyone may read a user's keys, and a room's when they are in it or it is
 * not secret (+s); a user sets their own keys only, a room's operators (+o) the room's. The
 * command works during registration too (the capability's `before-connect`).
 *
 * Errors are standard replies (`FAIL METADATA <code>`, §Standard Replies): INVALID_TARGET,
 * KEY_INVALID, KEY_NO_PERMISSION, KEY_NOT_SET, LIMIT_REACHED, VALUE_INVALID, TOO_MANY_SUBS,
 * SUBCOMMAND_INVALID.
 */
import { foldCase } from '../../protocol/casemapping.js';
import type { IrcMessage } from '../../protocol/message.js';
import { isChannelName } from '../../protocol/names.js';
import * as N from '../../protocol/numerics.js';
import type { Channel } from '../channel.js';
import { isValidKey, notifyChange, sendMetadataBatch, syncChannel, syncUser, VISIBLE } from '../metadata.js';
import { Outgoing } from '../outgoing.js';
import { personOf } from '../person.js';
import type { Session } from '../session.js';
import type { User } from '../user.js';
import type { CommandGroup } from './table.js';

export const metadataCommands: CommandGroup = {
  METADATA: { minParams: 2, preRegistration: true, handler: metadata },
};

type Target =
  | { kind: 'user'; user: User; name: string }
  | { kind: 'channel'; channel: Channel; name: string };

function fail(s: Session, code: string, text: string, ...context: string[]): void {
  s.sendFail('METADATA', code, text, ...context);
}

/**
 * `*` is the client itself (§METADATA client command); otherwise a nick on the network or a
 * room that exists and that `s` may see. Anything else is INVALID_TARGET.
 */
function resolve(s: Session, given: string): Target | null {
  const server = s.server;
  if (given === '*') return { kind: 'user', user: s, name: s.nick };
  if (isChannelName(given)) {
    const channel = server.directory.findChannel(foldCase(given));
    if (channel === undefined || (channel.secret && !channel.members.has(s))) return null;
    return { kind: 'channel', channel, name: channel.name };
  }
  const user = server.directory.findUser(foldCase(given));
  if (user === undefined || !user.registered) return null;
  return { kind: 'user', user, name: user.nick };
}

function valuesOf(s: Session, target: Target): ReadonlyMap<string, string> {
  return target.kind === 'user'
    ? s.server.metadata.ofUser(target.user)
    : s.server.metadata.ofChannel(target.channel);
}

function mayEdit(s: Session, target: Target): boolean {
  if (target.kind === 'user') return personOf(target.user) === personOf(s);
  return target.channel.isOp(s);
}

/** RPL_KEYVALUE `<Target> <Key> <Visibility> :<Value>` (§Numerics). */
function keyValue(s: Session, target: string, key: string, value: string): Outgoing {
  return new Outgoing(s.server.config.serverName, N.RPL_KEYVALUE, [s.nick, target, key, VISIBLE, value]);
}

/** RPL_KEYNOTSET `<Target> <Key> :key not set` (§Numerics). */
function keyNotSet(s: Session, target: string, key: string): Outgoing {
  return new Outgoing(s.server.config.serverName, N.RPL_KEYNOTSET, [s.nick, target, key, 'key not set']);
}

/** Standard reply FAIL as an Outgoing, for replies inside a batch. */
function failLine(s: Session, code: string, text: string, ...context: string[]): Outgoing {
  return new Outgoing(s.server.config.serverName, 'FAIL', ['METADATA', code, ...context, text]);
}

/** Keys as one or more numerics `<nick> :<key1> <key2> …`, each line's key list at most ~400 bytes. */
function sendKeys(s: Session, code: string, keys: string[], send: (out: Outgoing) => void): void {
  let line: string[] = [];
  let length = 0;
  const flush = (): void => {
    if (line.length > 0) send(new Outgoing(s.server.config.serverName, code, [s.nick, line.join(' ')]));
    line = [];
    length = 0;
  };
  for (const key of keys) {
    if (length + key.length + 1 > 400) flush();
    line.push(key);
    length += key.length + 1;
  }
  flush();
}

/**
 * What is left of a command after its checks: the write and the reply (set, clear). It
 * returns a promise when the write goes to the store (an account's values).
 */
type Write = () => Promise<void> | undefined;

function metadata(s: Session, msg: IrcMessage): void | Promise<void> {
  const registry = s.server.metadata;
  const target = resolve(s, msg.params[0]!);
  // An account's values are read at login; a command right after it waits for them. Only
  // then is the command asynchronous (and so are writes to an account's stored values):
  // everything else is answered at once, so later commands of this client never wait.
  const waits = [registry.pending(s), target?.kind === 'user' ? registry.pending(target.user) : null];
  const loading = waits.filter((w): w is Promise<void> => w !== null);
  if (loading.length === 0) return run(s, msg, target)?.();
  return Promise.all(loading).then(async () => {
    let write: Write | null = null;
    // After an await, replies go inside the command's labeled response through resume.
    s.resume(() => {
      write = run(s, msg, resolve(s, msg.params[0]!));
    });
    if (write !== null) await (write as Write)();
  });
}

function run(s: Session, msg: IrcMessage, target: Target | null): Write | null {
  const sub = msg.params[1]!.toUpperCase();
  const args = msg.params.slice(2);
  switch (sub) {
    case 'SUB':
    case 'UNSUB':
    case 'SUBS':
      subscriptions(s, sub, args);
      return null;
    case 'GET':
    case 'LIST':
    case 'SET':
    case 'CLEAR':
    case 'SYNC':
      break;
    default:
      fail(s, 'SUBCOMMAND_INVALID', 'Invalid subcommand', msg.params[1]!);
      return null;
  }
  if (target === null) {
    fail(s, 'INVALID_TARGET', 'Invalid metadata target', msg.params[0]!);
    return null;
  }
  switch (sub) {
    case 'GET':
      get(s, target, args);
      return null;
    case 'LIST': {
      const values = valuesOf(s, target);
      const lines = [...values.keys()].sort().map((key) => keyValue(s, target.name, key, values.get(key)!));
      sendMetadataBatch(s, target.name, lines);
      return null;
    }
    case 'SET':
      return set(s, target, args);
    case 'CLEAR':
      return clear(s, target);
    default:
      // §METADATA SYNC: a room's keys and every member's, or a user's, for the subscribed keys.
      if (target.kind === 'channel') syncChannel(s, target.channel, false);
      else syncUser(s, target.user);
      return null;
  }
}

/** §METADATA GET: one reply per key, in the order asked, in a `metadata` batch. */
function get(s: Session, target: Target, keys: string[]): void {
  if (keys.length === 0) {
    s.numeric(N.ERR_NEEDMOREPARAMS, 'METADATA', 'Not enough parameters');
    return;
  }
  const values = valuesOf(s, target);
  const lines = keys.map((key) => {
    if (!isValidKey(key)) return failLine(s, 'KEY_INVALID', 'Invalid key', key);
    const value = values.get(key);
    return value === undefined ? keyNotSet(s, target.name, key) : keyValue(s, target.name, key, value);
  });
  sendMetadataBatch(s, target.name, lines);
}

/**
 * §METADATA SET `<Key> [:Value]`: without a value the key is removed. Answered with
 * RPL_KEYVALUE (the new value) or RPL_KEYNOTSET (removed); the change then reaches the
 * subscribers (§Notifications).
 */
function set(s: Session, target: Target, args: string[]): Write | null {
  const server = s.server;
  const key = args[0];
  if (key === undefined) {
    s.numeric(N.ERR_NEEDMOREPARAMS, 'METADATA', 'Not enough parameters');
    return null;
  }
  if (!isValidKey(key)) {
    fail(s, 'KEY_INVALID', 'Invalid key', key);
    return null;
  }
  if (!mayEdit(s, target)) {
    fail(s, 'KEY_NO_PERMISSION', 'You do not have permission to set this key', target.name, key);
    return null;
  }
  const value = args.length >= 2 ? args[1]! : null;
  const values = valuesOf(s, target);
  if (value === null) {
    if (!values.has(key)) {
      fail(s, 'KEY_NOT_SET', 'Key not set', target.name, key);
      return null;
    }
  } else {
    if (Buffer.byteLength(value, 'utf8') > server.config.metadataMaxValueBytes) {
      fail(s, 'VALUE_INVALID', `Value is longer than ${server.config.metadataMaxValueBytes} bytes`);
      return null;
    }
    if (!values.has(key) && values.size >= server.config.metadataMaxKeys) {
      fail(s, 'LIMIT_REACHED', 'Metadata limit reached', target.name);
      return null;
    }
    if (values.get(key) === value) {
      // Nothing changes, so nobody is told (the client still gets its answer).
      s.deliver(keyValue(s, target.name, key, value));
      return null;
    }
  }
  const on = target.kind === 'user' ? target.user : target.channel;
  return () => store(s, target, on, key, value);
}

function store(
  s: Session,
  target: Target,
  on: User | Channel,
  key: string,
  value: string | null,
): Promise<void> | undefined {
  const server = s.server;
  const answer = (): void => {
    s.deliver(value === null ? keyNotSet(s, target.name, key) : keyValue(s, target.name, key, value));
  };
  const write = server.metadata.set(on, key, value);
  if (write === null) {
    answer();
    if (s.registered) notifyChange(server, s, on, key, value);
    return undefined;
  }
  return write.then(
    () => {
      s.resume(answer);
      if (s.registered) notifyChange(server, s, on, key, value);
    },
    (err: unknown) => {
      server.log.error({ event: 'metadata.write_failed', err: String(err) }, 'metadata write failed');
      s.resume(() => fail(s, 'INTERNAL_ERROR', 'Could not store the change; try again', target.name, key));
    },
  );
}

/** §METADATA CLEAR: every key removed, each listed (RPL_KEYNOTSET) in a `metadata` batch. */
function clear(s: Session, target: Target): Write | null {
  if (!mayEdit(s, target)) {
    fail(s, 'KEY_NO_PERMISSION', 'You do not have permission to clear this target', target.name, '*');
    return null;
  }
  return () => clearAll(s, target, target.kind === 'user' ? target.user : target.channel);
}

function clearAll(s: Session, target: Target, on: User | Channel): Promise<void> | undefined {
  const server = s.server;
  const cleared: string[] = [];
  const answer = (): void => {
    sendMetadataBatch(
      s,
      target.name,
      cleared.map((key) => keyNotSet(s, target.name, key)),
    );
  };
  const tell = (): void => {
    if (s.registered) for (const key of cleared) notifyChange(server, s, on, key, null);
  };
  const write = server.metadata.clear(on, cleared);
  if (write === null) {
    answer();
    tell();
    return undefined;
  }
  return write.then(
    () => {
      s.resume(answer);
      tell();
    },
    (err: unknown) => {
      server.log.error({ event: 'metadata.write_failed', err: String(err) }, 'metadata write failed');
      s.resume(() => fail(s, 'INTERNAL_ERROR', 'Could not store the change; try again', target.name, '*'));
    },
  );
}

/** §METADATA SUB, UNSUB, SUBS: this connection's subscriptions. */
function subscriptions(s: Session, sub: string, keys: string[]): void {
  const registry = s.server.metadata;
  if (sub === 'SUBS') {
    // In a batch of its own so a client can tell where the list ends.
    const lines: Outgoing[] = [];
    sendKeys(s, N.RPL_METADATASUBS, [...registry.subscribed(s)].sort(), (out) => lines.push(out));
    sendMetadataBatch(s, s.nick, lines);
    return;
  }
  if (keys.length === 0) {
    s.numeric(N.ERR_NEEDMOREPARAMS, 'METADATA', 'Not enough parameters');
    return;
  }
  const done: string[] = [];
  if (sub === 'UNSUB') {
    for (const key of keys) {
      if (!isValidKey(key)) fail(s, 'KEY_INVALID', 'Invalid key', key);
      else {
        registry.unsubscribe(s, key);
        done.push(key);
      }
    }
    sendKeys(s, N.RPL_METADATAUNSUBOK, done, (out) => s.deliver(out));
    return;
  }
  // §METADATA SUB: keys in order; at the limit the first key that could not be added is
  // named in TOO_MANY_SUBS and nothing after it is processed.
  const max = s.server.config.metadataMaxSubs;
  for (const key of keys) {
    if (!isValidKey(key)) {
      fail(s, 'KEY_INVALID', 'Invalid key', key);
      continue;
    }
    if (!registry.isSubscribed(s, key)) {
      if (registry.subscribed(s).size >= max) {
        fail(s, 'TOO_MANY_SUBS', 'Too many subscriptions', key);
        break;
      }
      registry.subscribe(s, key);
    }
    done.push(key);
  }
  sendKeys(s, N.RPL_METADATASUBOK, done, (out) => s.deliver(out));
}
