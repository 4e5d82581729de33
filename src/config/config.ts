/**
 * The validated, fully-defaulted configuration the server runs on.
 *
 * Every key exists in three spellings that map mechanically onto each other:
 *   YAML file key `irc-port`  ⇄  flag `--irc-port`  ⇄  env `TERTULIA_IRC_PORT`
 * Precedence: flag > env > file > default (see load.ts).
 */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
export type LogFormat = 'pretty' | 'json';

export interface OperBlock {
  /** Name given as the first argument of OPER. */
  name: string;
  /** scrypt hash produced by `tertulia hash-password` (never the clear password). */
  passwordHash: string;
  /** Optional nick!user@host mask the oper must match (wildcards * and ?). */
  mask?: string;
}

export interface Config {
  /** Bind address for every listener. */
  host: string;
  /** Plain-text IRC port; 0 picks a free port; null means off. */
  ircPort: number | null;
  /** TLS IRC port; 0 picks a free port; null means off. */
  tlsPort: number | null;
  /** PEM certificate (chain) for TLS; null (with tlsKey null) generates a self-signed one in dataDir. */
  tlsCert: string | null;
  /** PEM private key for tlsCert. */
  tlsKey: string | null;
  /** IRCv3 sts policy duration in seconds; 0 advertises no policy. */
  stsDuration: number;
  /** Plain-text port for `nc`/`telnet` users (seeds 002, 004); 0 picks a free port; null means off. */
  textPort: number | null;
  serverName: string;
  networkName: string;
  /** MOTD file; null uses the built-in greeting. */
  motdFile: string | null;
  dataDir: string;
  /** Log message contents (`<alice> #room: text`). Off by default: contents are private. */
  logMessages: boolean;
  logLevel: LogLevel;
  logFormat: LogFormat;

  // Limits advertised in ISUPPORT.
  nickLen: number;
  channelLen: number;
  topicLen: number;
  kickLen: number;
  awayLen: number;
  userLen: number;
  realnameLen: number;
  /** Max channels one user can be in (CHANLIMIT). */
  maxChannels: number;
  /** Max targets per PRIVMSG/NOTICE/JOIN... (TARGMAX). */
  maxTargets: number;
  /** Max entries in a channel's ban list (MAXLIST). */
  maxBans: number;
  /** Max MONITOR entries per client. */
  maxMonitor: number;
  /** Max parametered mode changes per MODE command (MODES). */
  maxModes: number;
  /** draft/metadata-2 (core/metadata.ts): keys one user or room may hold (max-keys). */
  metadataMaxKeys: number;
  /** Keys one connection may subscribe to (max-subs). */
  metadataMaxSubs: number;
  /** Longest value in UTF-8 bytes (max-value-bytes). */
  metadataMaxValueBytes: number;
  /** Rooms with more members than this get 774 (sync later) on JOIN instead of their metadata. */
  metadataSyncMembers: number;

  // Flood control: token bucket per client (operators exempt).
  /** Commands a client may send back to back. */
  floodBurst: number;
  /** Commands per second refilled. */
  floodRate: number;
  /** Commands allowed to wait for tokens before "Excess Flood". */
  floodQueue: number;

  /** Per-connection output bound in bytes; past it the client is dropped with "SendQ exceeded". */
  sendqBytes: number;
  /**
   * Server-wide bound on output queued for connections whose transport is backed up (every
   * connection's queue counted in full); past it the largest queues are dropped first.
   */
  sendqTotalBytes: number;
  /** Seconds of silence before the server PINGs a client. */
  pingInterval: number;
  /** Seconds after that PING before "Ping timeout". */
  pingTimeout: number;
  /** Seconds a connection has to complete registration. */
  registrationTimeout: number;

  /** Concurrent connections allowed from one IP address. */
  maxConnectionsPerIp: number;
  /** New connections allowed per IP per minute. */
  connectRatePerIp: number;
  /** HTTP port (WebSocket, /health, /metrics, web client); 0 picks a free port; null means off. */
  httpPort: number | null;
  /** Bearer token `/metrics` requires; null turns `/metrics` off (404). `/health` is always open. */
  metricsToken: string | null;
  /**
   * The URL clients reach the HTTP listener at (for the FILEHOST upload URL); null derives
   * `http(s)://<host or localhost>:<http port>`.
   */
  publicUrl: string | null;
  /** Largest file one upload may hold, in bytes. */
  uploadMaxBytes: number;
  /** Total bytes one account may upload, in bytes. */
  uploadQuotaBytes: number;
  /**
   * Origins allowed to open a WebSocket besides the page's own host and localhost: full
   * origins (`https://chat.example.com`), host names (any scheme/port), `*.domain` or `*`.
   */
  wsOrigins: string[];
  /** Require a PROXY protocol v1/v2 header on the IRC (TCP/TLS) listeners. */
  proxyProtocol: boolean;
  /** IPs/CIDRs of reverse proxies whose X-Forwarded-For is believed (HTTP, WebSocket). */
  trustedProxies: string[];
  /** Optional server password (PASS); null means none required. */
  serverPassword: string | null;
  /** How many departed nicks WHOWAS remembers (0 turns it off). */
  whowasSize: number;

  /**
   * Storage: null keeps an embedded SQLite database in data-dir; `sqlite:PATH` names the
   * file; `postgres://…` uses PostgreSQL.
   */
  database: string | null;
  /** Room messages replayed on JOIN to clients without chathistory (0 turns it off). */
  historyReplay: number;
  /** Whether guests (no account) get that replay too; accounts get what they missed. */
  historyReplayGuests: boolean;
  /** Most messages one CHATHISTORY request returns (ISUPPORT CHATHISTORY). */
  historyLimit: number;
  /** Days history is kept; 0 keeps everything. */
  historyRetentionDays: number;
  /** Seconds a connection may use a registered nick without logging in before it is renamed; 0 renames at once. */
  nickGrace: number;
  /** Connections one account may have at once (docs/PEOPLE.md); one more is refused. */
  maxConnectionsPerAccount: number;
  /** Whether accounts stay in their rooms with no connection (each may turn it off). */
  alwaysOn: boolean;
  /** Rooms that belong to the server (`#lobby`): no founder, ops only through server operators. */
  serverRooms: string[];
  /** Topic a server room gets when it has none (null: none). */
  serverRoomTopic: string | null;
  /** PBKDF2 iterations of newly stored SCRAM-SHA-256 keys; fewer are upgraded on a PLAIN/IDENTIFY login. */
  scramIterations: number;
  /** Whether new accounts can be registered (REGISTER, NickServ REGISTER). */
  accountRegistration: boolean;
  /** Web Push notifications (IRCv3 draft/webpush); VAPID keys live in `<dataDir>/webpush/`. */
  webpush: boolean;
  /** VAPID contact (RFC 8292 `sub`): a mailto: or https: URL; null derives one from public-url or server-name. */
  webpushContact: string | null;
  /** Accept http:// push endpoints on loopback addresses (tests, a local push service). */
  webpushAllowHttpLoopback: boolean;

  /**
   * Cluster mode (docs/CLUSTER.md): the Redis URL of the bus several tertulia processes
   * share to form one network; null runs a single node and connects to no Redis.
   */
  clusterRedis: string | null;
  /** This node's name in the cluster; null derives one from the host name and process id. */
  clusterNode: string | null;
  /** Namespace of the bus channel and keys in Redis: nodes with the same prefix form one network. */
  clusterPrefix: string;
  /** Seconds a silent node is still considered alive; past that its users are removed. */
  clusterTimeout: number;
  /** Worker processes `tertulia serve` runs on this machine, sharing its ports (needs cluster-redis). */
  workers: number;

  /** Server operators (YAML file only: a list). */
  opers: OperBlock[];
}
