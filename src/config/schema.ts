/**
 * The option table: one row per Config key, with its type, default, help text and zod schema.
 *
 * Everything else is derived from it, so --help, flag parsing, env parsing and file validation
 * cannot drift apart:
 *   Config property `ircPort` → YAML key `irc-port` → flag `--irc-port` → env `TERTULIA_IRC_PORT`.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { isPasswordHash } from '../crypto/password.js';
import type { Config, LogFormat, LogLevel, OperBlock } from './config.js';

/**
 * How a string from the command line or the environment is turned into a typed value
 * (and how a file value is read; file strings go through the same coercion).
 */
export type OptionKind =
  | 'string'
  | 'nullable-string'
  | 'path'
  | 'nullable-path'
  | 'port'
  | 'int'
  | 'number'
  | 'boolean'
  | 'enum'
  | 'list';

export interface OptionSpec<T = unknown> {
  /** Property name in Config (`ircPort`). */
  prop: keyof Config;
  /** YAML key (`irc-port`). */
  key: string;
  /** Command-line flag (`--irc-port`), or null for keys only the YAML file can set. */
  flag: string | null;
  /** Environment variable (`TERTULIA_IRC_PORT`), or null for keys only the YAML file can set. */
  env: string | null;
  kind: OptionKind;
  /** Value placeholder shown in --help (`<port|off>`). */
  hint: string;
  default: T;
  help: string;
  /** What a valid value looks like, for error messages ("a port 0-65535 or \"off\""). */
  expected: string;
  /** Never echo the value back in error messages. */
  secret: boolean;
  /** Validates a coerced value and produces the Config value. */
  schema: z.ZodType<T>;
}

/** The flag / env pair for the configuration file itself (not a Config key). */
export const CONFIG_FILE_OPTION = {
  key: 'config',
  flag: '--config',
  env: 'TERTULIA_CONFIG',
  hint: '<file>',
  help: 'YAML configuration file. Relative paths inside it are relative to its directory.',
} as const;

export const ENV_PREFIX = 'TERTULIA_';

/** `ircPort` → `irc-port`. */
export function propToKey(prop: string): string {
  return prop.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `irc-port` → `TERTULIA_IRC_PORT`. */
export function keyToEnv(key: string): string {
  return ENV_PREFIX + key.toUpperCase().replace(/-/g, '_');
}

// ---------------------------------------------------------------------------------------------
// Reusable value schemas

const NO_CONTROLS = /^[^\x00-\x1f\x7f]*$/;

const port = z.union([z.literal('off').transform(() => null), z.null(), z.number().int().min(0).max(65535)]);

function int(min: number, max: number): z.ZodType<number> {
  return z.number().int().min(min).max(max);
}

const text = z.string().min(1).regex(NO_CONTROLS);
const nullableText = text.nullable();

const LOG_LEVELS = [
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'fatal',
  'silent',
] as const satisfies readonly LogLevel[];
const LOG_FORMATS = ['pretty', 'json'] as const satisfies readonly LogFormat[];

/** Message of an issue about a missing required field (see errorFromIssues in load.ts). */
export const REQUIRED = 'required';

/** Zod error option: "required" when the field is absent, `expected` otherwise. */
function orRequired(expected: string) {
  return { error: (issue: { input?: unknown }) => (issue.input === undefined ? REQUIRED : expected) };
}

const OPER_NAME = 'expected a name without spaces';
const OPER_HASH = 'expected a hash printed by "tertulia hash-password"';
const OPER_MASK = 'expected a nick!user@host mask (wildcards * and ?)';
const NO_SPACES = /^[^\s\x00-\x1f\x7f]+$/;

const operEntry = z
  .strictObject(
    {
      name: z.string(orRequired(OPER_NAME)).regex(NO_SPACES, { error: OPER_NAME }),
      'password-hash': z.string(orRequired(OPER_HASH)).refine(isPasswordHash, { error: OPER_HASH }),
      mask: z.string({ error: OPER_MASK }).regex(NO_SPACES, { error: OPER_MASK }).optional(),
    },
    { error: 'expected an entry like {name: alice, password-hash: "scrypt$..."}' },
  )
  .transform((o): OperBlock => {
    const block: OperBlock = { name: o.name, passwordHash: o['password-hash'] };
    if (o.mask !== undefined) block.mask = o.mask;
    return block;
  });

const opers = z
  .array(operEntry, { error: 'expected a list of {name, password-hash, mask?} entries' })
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((o, i) => {
      if (seen.has(o.name)) {
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate oper name "${o.name}"` });
      }
      seen.add(o.name);
    });
  });

/**
 * A comma-separated list (from a flag, env or a YAML string) or a YAML list of strings, each
 * matching `item`; empty entries are dropped.
 */
function stringList(item: RegExp): z.ZodType<string[]> {
  return z
    .union([z.string().transform((s) => s.split(',')), z.array(z.string())])
    .transform((list) => list.map((s) => s.trim()).filter((s) => s !== ''))
    .pipe(z.array(z.string().regex(item)));
}

/** An IPv4/IPv6 address, or one with a /prefix that fits its family. */
function isIpOrCidr(value: string): boolean {
  const [addr = '', prefix] = value.split('/');
  const family = isIP(addr);
  if (family === 0) return false;
  return prefix === undefined || Number(prefix) <= (family === 4 ? 32 : 128);
}

// ---------------------------------------------------------------------------------------------
// The table

interface Row<T> {
  kind: OptionKind;
  hint: string;
  default: T;
  help: string;
  expected: string;
  schema: z.ZodType<T>;
  /** Only the YAML file can set it (no flag, no env variable). */
  fileOnly?: boolean;
  secret?: boolean;
}

const lengths = (min: number, max: number) => ({
  kind: 'int' as const,
  hint: '<n>',
  expected: `an integer from ${min} to ${max}`,
  schema: int(min, max),
});

const count = (min: number, max = 1_000_000) => lengths(min, max);

const seconds = (max = 86_400) => ({
  kind: 'int' as const,
  hint: '<seconds>',
  expected: `a number of seconds from 1 to ${max}`,
  schema: int(1, max),
});

const rows = {
  host: {
    kind: 'string',
    hint: '<addr>',
    default: '0.0.0.0',
    help: 'Bind address for every listener (IPv4, IPv6 or a host name).',
    expected: 'a host name or IP address',
    schema: z.string().regex(/^[A-Za-z0-9.:%_-]+$/),
  },
  ircPort: {
    kind: 'port',
    hint: '<port|off>',
    default: 6667,
    help: 'Plain-text IRC port; 0 picks a free port, "off" disables the listener.',
    expected: 'a port 0-65535 or "off"',
    schema: port,
  },
  tlsPort: {
    kind: 'port',
    hint: '<port|off>',
    default: 6697,
    help: 'TLS IRC port; 0 picks a free port, "off" disables the listener.',
    expected: 'a port 0-65535 or "off"',
    schema: port,
  },
  tlsCert: {
    kind: 'nullable-path',
    hint: '<file>',
    default: null,
    help: 'PEM certificate (chain) for TLS; with neither it nor tls-key, a self-signed one is generated in data-dir.',
    expected: 'a file path',
    schema: nullableText,
  },
  tlsKey: {
    kind: 'nullable-path',
    hint: '<file>',
    default: null,
    help: 'PEM private key for tls-cert (set both or neither). SIGHUP re-reads both.',
    expected: 'a file path',
    schema: nullableText,
  },
  stsDuration: {
    ...count(0, 31_536_000),
    hint: '<seconds>',
    default: 0,
    help: 'IRCv3 sts policy: seconds clients must keep using TLS; 0 advertises no policy.',
  },
  textPort: {
    kind: 'port',
    hint: '<port|off>',
    default: 8888,
    help: 'Plain-text chat port for nc/telnet users (asks a name, joins #lobby); 0 picks a free port, "off" disables it.',
    expected: 'a port 0-65535 or "off"',
    schema: port,
  },
  serverName: {
    kind: 'string',
    hint: '<name>',
    default: 'tertulia.local',
    help: 'Name this server gives itself on the wire (must contain a dot).',
    expected: 'a server name like irc.example.com (letters, digits, "-", with at least one ".")',
    schema: z
      .string()
      .regex(/^(?=.*\.)[A-Za-z0-9][A-Za-z0-9.-]*$/)
      .max(63),
  },
  networkName: {
    kind: 'string',
    hint: '<name>',
    default: 'tertulia',
    help: 'Network name advertised to clients (ISUPPORT NETWORK).',
    expected: 'a name without spaces',
    schema: z.string().regex(NO_SPACES).max(63),
  },
  motdFile: {
    kind: 'nullable-path',
    hint: '<file>',
    default: null,
    help: 'Message of the day file; unset uses the built-in greeting. The file must exist.',
    expected: 'a file path',
    schema: nullableText,
  },
  dataDir: {
    kind: 'path',
    hint: '<dir>',
    default: './data',
    help: 'Directory for the database and uploads; created if missing.',
    expected: 'a directory path',
    schema: text,
  },
  logMessages: {
    kind: 'boolean',
    hint: '[true|false]',
    default: false,
    help: 'Log message contents (`<alice> #room: text`). Off by default: contents are private.',
    expected: 'true or false (also yes/no, 1/0)',
    schema: z.boolean(),
  },
  logLevel: {
    kind: 'enum',
    hint: '<level>',
    default: 'info',
    help: `Least severe level written: ${LOG_LEVELS.join(', ')}.`,
    expected: `one of ${LOG_LEVELS.join(', ')}`,
    schema: z.enum(LOG_LEVELS),
  },
  logFormat: {
    kind: 'enum',
    hint: '<format>',
    default: 'pretty',
    help: 'Log output: "pretty" console lines or "json" (one pino JSON object per line).',
    expected: `one of ${LOG_FORMATS.join(', ')}`,
    schema: z.enum(LOG_FORMATS),
  },
  nickLen: { ...lengths(1, 255), default: 30, help: 'Longest nickname (NICKLEN).' },
  channelLen: {
    ...lengths(2, 255),
    default: 50,
    help: 'Longest channel name, prefix included (CHANNELLEN).',
  },
  topicLen: { ...lengths(1, 4096), default: 390, help: 'Longest channel topic (TOPICLEN).' },
  kickLen: { ...lengths(1, 4096), default: 255, help: 'Longest KICK reason (KICKLEN).' },
  awayLen: { ...lengths(1, 4096), default: 255, help: 'Longest AWAY message (AWAYLEN).' },
  userLen: { ...lengths(1, 255), default: 16, help: 'Longest user name from USER (USERLEN).' },
  realnameLen: { ...lengths(1, 4096), default: 100, help: 'Longest real name from USER.' },
  maxChannels: { ...count(1), default: 50, help: 'Channels one user can be in (CHANLIMIT).' },
  maxTargets: { ...count(1), default: 4, help: 'Targets per PRIVMSG, NOTICE, JOIN... (TARGMAX).' },
  maxBans: { ...count(1), default: 100, help: "Entries in a channel's ban list (MAXLIST)." },
  maxMonitor: { ...count(1), default: 100, help: 'MONITOR entries per client (MONITOR).' },
  metadataMaxKeys: {
    ...count(1, 1000),
    default: 20,
    help: 'Metadata keys one user or room may hold (draft/metadata-2 max-keys).',
  },
  metadataMaxSubs: {
    ...count(1, 1000),
    default: 50,
    help: 'Metadata keys one connection may subscribe to (draft/metadata-2 max-subs).',
  },
  metadataMaxValueBytes: {
    // A value must fit one line with the longest nick, room name and key around it (512 bytes).
    ...count(1, 300),
    default: 300,
    help: 'Longest metadata value in UTF-8 bytes (draft/metadata-2 max-value-bytes).',
  },
  metadataSyncMembers: {
    ...count(0),
    default: 500,
    help: 'Rooms with more members answer JOIN with 774 (sync later) instead of their metadata.',
  },
  maxModes: { ...count(1, 100), default: 4, help: 'Mode changes with a parameter per MODE command (MODES).' },
  floodBurst: { ...count(1), default: 10, help: 'Commands a client may send back to back (flood control).' },
  floodRate: {
    kind: 'number',
    hint: '<per-second>',
    default: 2,
    help: 'Commands per second a client earns back after a burst.',
    expected: 'a number greater than 0',
    schema: z.number().positive().max(1_000_000),
  },
  floodQueue: {
    ...count(0),
    default: 20,
    help: 'Commands allowed to wait for the flood bucket before "Excess Flood".',
  },
  sendqBytes: {
    ...lengths(16_384, 1 << 30),
    hint: '<bytes>',
    default: 1_048_576,
    help: 'Per-connection output bound; past it the client is dropped with "SendQ exceeded".',
  },
  sendqTotalBytes: {
    ...lengths(65_536, 2 ** 40),
    hint: '<bytes>',
    default: 134_217_728,
    help:
      'Server-wide bound on output waiting for clients that are not reading (each counted in full, ' +
      'even where messages are shared); past it the largest queues are dropped first with ' +
      '"SendQ exceeded (server output budget)".',
  },
  pingInterval: { ...seconds(), default: 90, help: 'Seconds of silence before the server PINGs a client.' },
  pingTimeout: { ...seconds(), default: 60, help: 'Seconds after that PING before "Ping timeout".' },
  registrationTimeout: {
    ...seconds(),
    default: 60,
    help: 'Seconds a connection has to complete registration.',
  },
  maxConnectionsPerIp: {
    ...count(1),
    default: 50,
    help: 'Concurrent connections allowed from one IP address.',
  },
  connectRatePerIp: { ...count(1), default: 60, help: 'New connections allowed per IP address per minute.' },
  httpPort: {
    kind: 'port',
    hint: '<port|off>',
    default: 8080,
    help: 'HTTP port (WebSocket, /health, /metrics, the web client); 0 picks a free port, "off" disables it.',
    expected: 'a port 0-65535 or "off"',
    schema: port,
  },
  metricsToken: {
    kind: 'nullable-string',
    hint: '<token>',
    default: null,
    help: 'Bearer token /metrics on the HTTP port requires (Authorization: Bearer <token>); unset, /metrics is off (404). /health stays open for load balancers.',
    expected: 'at least 16 characters from A-Z a-z 0-9 - . _ ~ + /',
    schema: z
      .string()
      .regex(/^[A-Za-z0-9\-._~+/]{16,512}=*$/)
      .nullable(),
    secret: true,
  },
  publicUrl: {
    kind: 'nullable-string',
    hint: '<url>',
    default: null,
    help: 'The URL clients reach the HTTP listener at, e.g. "https://chat.example.com" (file uploads are advertised under it); unset means http://<host or localhost>:<http-port>.',
    expected: 'an http:// or https:// URL',
    schema: z
      .string()
      .regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/)
      .transform((u) => u.replace(/\/+$/, ''))
      .nullable(),
  },
  uploadMaxBytes: {
    ...count(1, Number.MAX_SAFE_INTEGER),
    hint: '<bytes>',
    default: 25 * 1024 * 1024,
    help: 'Largest file one upload may hold, in bytes.',
  },
  uploadQuotaBytes: {
    ...count(0, Number.MAX_SAFE_INTEGER),
    hint: '<bytes>',
    default: 1024 * 1024 * 1024,
    help: 'Total bytes one account may upload, in bytes (0: uploads are refused).',
  },
  wsOrigins: {
    kind: 'string',
    hint: '<origins>',
    default: [],
    help: 'Extra Origins allowed to open a WebSocket, comma-separated: "https://chat.example.com", a host name (any scheme and port), "*.example.com" or "*". The page\'s own host and localhost are always allowed; requests without Origin (non-browser clients) too.',
    expected: 'a comma-separated list of origins (https://host[:port]), host names, *.domain or *',
    schema: stringList(
      /^(\*|(\*\.)?[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]|https?:\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?)$/,
    ),
  },
  proxyProtocol: {
    kind: 'boolean',
    hint: '[true|false]',
    default: false,
    help: 'Require a PROXY protocol v1/v2 header on every IRC (TCP/TLS) connection and use the address it gives. Only for listeners that nothing but the proxy can reach.',
    expected: 'true or false (also yes/no, 1/0)',
    schema: z.boolean(),
  },
  trustedProxies: {
    kind: 'string',
    hint: '<ips>',
    default: [],
    help: 'Comma-separated IPs or CIDRs (10.0.0.0/8, ::1) of reverse proxies whose X-Forwarded-For is believed on HTTP and WebSocket.',
    expected: 'a comma-separated list of IP addresses or CIDR ranges',
    schema: stringList(/^[0-9A-Fa-f:.]+(\/\d{1,3})?$/).refine((list) => list.every(isIpOrCidr)),
  },
  serverPassword: {
    kind: 'nullable-string',
    hint: '<password>',
    default: null,
    help: 'Password clients must send with PASS; unset means none.',
    expected: 'a non-empty password without control characters',
    schema: nullableText,
    secret: true,
  },
  whowasSize: { ...count(0), default: 100, help: 'Departed nicknames WHOWAS remembers (0 disables it).' },
  database: {
    kind: 'nullable-string',
    hint: '<url>',
    default: null,
    help: 'Storage: unset keeps SQLite in data-dir; "sqlite:FILE" or "postgres://user@host/db".',
    expected: 'sqlite:FILE or postgres://user@host:port/database',
    schema: z
      .string()
      .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/)
      .nullable(),
    secret: true,
  },
  historyReplay: {
    ...count(0, 1000),
    default: 20,
    help: 'Room messages replayed on JOIN to clients without chathistory (0 turns it off).',
  },
  historyReplayGuests: {
    kind: 'boolean',
    hint: '[true|false]',
    default: false,
    help: 'Also replay room history on JOIN to guests (no account). Off: a guest is new on every connection, so each reconnect would repeat the same lines.',
    expected: 'true or false (also yes/no, 1/0)',
    schema: z.boolean(),
  },
  historyLimit: { ...count(1, 10_000), default: 100, help: 'Most messages one CHATHISTORY request returns.' },
  historyRetentionDays: {
    ...count(0, 100_000),
    default: 0,
    help: 'Days history is kept; 0 keeps everything.',
  },
  nickGrace: {
    ...seconds(3600),
    default: 0,
    help: 'Seconds a connection may use a registered nick without logging in before it is renamed; 0 (the default) gives a connection that did not log in while connecting (SASL) a guest nick at once, and refuses NICK to a registered nick.',
  },
  serverRooms: {
    kind: 'string',
    hint: '<rooms>',
    default: ['#lobby'],
    help: 'Rooms that belong to the server, comma-separated (the text mode joins the first): no founder, nobody gets operator status by joining, their topic and modes are set by server operators (or server-room-topic) and kept across restarts.',
    expected: 'a comma-separated list of room names starting with #',
    schema: stringList(/^#[^\s,:]{1,49}$/),
  },
  serverRoomTopic: {
    kind: 'nullable-string',
    hint: '<text>',
    default: null,
    help: 'Topic the server rooms get when they have none yet.',
    expected: 'text',
    schema: z.string().min(1).max(390).nullable(),
  },
  scramIterations: {
    ...lengths(4096, 10_000_000),
    hint: '<n>',
    default: 600_000,
    help: 'PBKDF2 iterations of the SCRAM-SHA-256 keys stored for new passwords; accounts stored with fewer are upgraded at their next PLAIN or IDENTIFY login (docs/SECURITY.md).',
  },
  maxConnectionsPerAccount: {
    ...count(1),
    default: 10,
    help: 'Connections one account may have at once; one more is refused with a clear error.',
  },
  alwaysOn: {
    kind: 'boolean',
    hint: '[true|false]',
    default: false,
    help: 'Accounts stay in their rooms with no connection, away (offline), across restarts (each account may turn it off).',
    expected: 'true or false (also yes/no, 1/0)',
    schema: z.boolean(),
  },
  accountRegistration: {
    kind: 'boolean',
    hint: '[true|false]',
    default: true,
    help: 'Whether new accounts can be registered (REGISTER and NickServ REGISTER).',
    expected: 'true or false (also yes/no, 1/0)',
    schema: z.boolean(),
  },
  webpush: {
    kind: 'boolean',
    hint: '[true|false]',
    default: true,
    help: 'Web Push notifications for private messages and mentions (IRCv3 draft/webpush); the VAPID key pair is generated once into data-dir/webpush/.',
    expected: 'true or false (also yes/no, 1/0)',
    schema: z.boolean(),
  },
  webpushContact: {
    kind: 'nullable-string',
    hint: '<url>',
    default: null,
    help: 'Contact push services may reach the operator at (VAPID "sub"): "mailto:admin@example.com" or an https URL; unset uses public-url, else https://<server-name>.',
    expected: 'a mailto: or https:// URL',
    schema: z
      .string()
      .regex(/^(mailto:[^\s@]+@[^\s@]+|https:\/\/[^\s]+)$/)
      .nullable(),
  },
  webpushAllowHttpLoopback: {
    kind: 'boolean',
    hint: '[true|false]',
    default: false,
    help: 'Also accept http:// push endpoints on 127.0.0.1, ::1 and localhost (for tests or a push service on the same machine). Never needed with real browsers.',
    expected: 'true or false (also yes/no, 1/0)',
    schema: z.boolean(),
  },
  clusterRedis: {
    kind: 'nullable-string',
    hint: '<url>',
    default: null,
    help: 'Cluster mode: redis://host:port of the bus several tertulia processes share to form one network (docs/CLUSTER.md). Unset: a single node that connects to no Redis.',
    expected: 'a redis://host[:port][/db] or rediss:// URL',
    schema: z
      .string()
      .regex(/^rediss?:\/\/[^\s]+$/)
      .nullable(),
    secret: true,
  },
  clusterNode: {
    kind: 'nullable-string',
    hint: '<name>',
    default: null,
    help: "This node's name in the cluster, unique in the network (letters, digits, . _ -); unset: <host name>-<process id>.",
    expected: 'a name of letters, digits, ".", "_" and "-" (at most 63, starting with a letter or digit)',
    schema: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/)
      .nullable(),
  },
  clusterPrefix: {
    kind: 'string',
    hint: '<prefix>',
    default: 'tertulia',
    help: "Namespace of the cluster's channel and keys in Redis: nodes with the same prefix form one network.",
    expected: 'letters, digits, ".", "_", ":" and "-" (at most 100)',
    schema: z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/),
  },
  clusterTimeout: {
    ...seconds(3600),
    default: 5,
    help: 'Seconds a silent cluster node is still considered alive; past that its users quit with a netsplit reason.',
  },
  workers: {
    ...count(1, 256),
    default: 1,
    help: 'Worker processes on this machine sharing the listeners (node:cluster); more than 1 needs cluster-redis and a PostgreSQL database.',
  },
  opers: {
    kind: 'list',
    hint: '',
    default: [],
    help: 'Server operators: a list of {name, password-hash, mask?}; hashes come from "tertulia hash-password".',
    expected: 'a list of {name, password-hash, mask?} entries',
    schema: opers,
    fileOnly: true,
  },
} satisfies { [K in keyof Config]: Row<Config[K]> };

/** Every Config key, in the order --help lists them. */
export const OPTIONS: readonly OptionSpec[] = Object.entries(rows).map(([prop, row]): OptionSpec => {
  const r: Row<unknown> = row;
  const key = propToKey(prop);
  return {
    prop: prop as keyof Config,
    key,
    flag: r.fileOnly ? null : `--${key}`,
    env: r.fileOnly ? null : keyToEnv(key),
    kind: r.kind,
    hint: r.hint,
    default: r.default,
    help: r.help,
    expected: r.expected,
    secret: r.secret ?? false,
    schema: r.schema,
  };
});

export const OPTIONS_BY_KEY: ReadonlyMap<string, OptionSpec> = new Map(OPTIONS.map((o) => [o.key, o]));

/**
 * The whole configuration as one zod schema: a strict object with the YAML (kebab-case) keys,
 * every key optional, producing a fully-defaulted Config. Values must already be typed (see
 * coerceString for command-line and environment strings).
 */
const shape: Record<string, z.ZodType> = Object.fromEntries(OPTIONS.map((o) => [o.key, o.schema.optional()]));
export const configSchema: z.ZodType<Config> = z.strictObject(shape).transform((input) => {
  const out: Record<string, unknown> = {};
  for (const o of OPTIONS)
    out[o.prop] = input[o.key] === undefined ? structuredClone(o.default) : input[o.key];
  return out as unknown as Config;
});

/** A Config with every default (what `tertulia serve` runs on with no file, env or flags). */
export function defaultConfig(): Config {
  return configSchema.parse({});
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);
const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Turns a command-line/env string into the value the option's schema expects. Strings that do
 * not fit are passed through unchanged so the schema reports them as invalid.
 */
export function coerceString(kind: OptionKind, raw: string): unknown {
  const s = raw.trim();
  switch (kind) {
    case 'string':
    case 'path':
      return raw;
    case 'nullable-string':
    case 'nullable-path':
      return raw === '' ? null : raw;
    case 'port':
      if (s.toLowerCase() === 'off') return 'off';
      return NUMERIC.test(s) ? Number(s) : raw;
    case 'int':
    case 'number':
      return NUMERIC.test(s) ? Number(s) : raw;
    case 'boolean': {
      const w = s.toLowerCase();
      if (TRUE_WORDS.has(w)) return true;
      if (FALSE_WORDS.has(w)) return false;
      return raw;
    }
    case 'enum':
      return s.toLowerCase();
    case 'list':
      return raw;
  }
}

/** How a default looks in --help. */
export function formatDefault(o: OptionSpec): string {
  if (o.default === null) return o.kind === 'port' ? 'off' : 'none';
  if (Array.isArray(o.default)) return o.default.length === 0 ? 'none' : JSON.stringify(o.default);
  return String(o.default);
}
