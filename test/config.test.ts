/**
 * Configuration loading: defaults, the four sources and their precedence, coercion of
 * command-line/env strings, the YAML file (real files in a temp dir), and error messages that
 * name the key and where it came from.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Config } from '../src/config/config.js';
import { ConfigError, loadConfig } from '../src/config/load.js';
import { defaultConfig, keyToEnv, OPTIONS, propToKey } from '../src/config/schema.js';
import { hashPassword, verifyPassword } from '../src/crypto/password.js';

const dir = mkdtempSync(join(tmpdir(), 'tertulia-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
function yamlFile(text: string): string {
  const path = join(dir, `config-${++fileCount}.yaml`);
  writeFileSync(path, text);
  return path;
}

function load(argv: string[] = [], env: Record<string, string> = {}): Config {
  return loadConfig({ argv, env });
}

/** Asserts that loading fails with a ConfigError whose message matches every pattern. */
function fails(argv: string[], env: Record<string, string>, ...patterns: RegExp[]): ConfigError {
  let caught: unknown;
  try {
    load(argv, env);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  for (const p of patterns) assert.match(caught.message, p);
  return caught;
}

describe('defaults', () => {
  test('no file, no env, no flags gives the documented defaults', () => {
    const expected: Config = {
      host: '0.0.0.0',
      ircPort: 6667,
      tlsPort: 6697,
      tlsCert: null,
      tlsKey: null,
      stsDuration: 0,
      textPort: 8888,
      serverName: 'tertulia.local',
      networkName: 'tertulia',
      motdFile: null,
      dataDir: './data',
      logMessages: false,
      logLevel: 'info',
      logFormat: 'pretty',
      nickLen: 30,
      channelLen: 50,
      topicLen: 390,
      kickLen: 255,
      awayLen: 255,
      userLen: 16,
      realnameLen: 100,
      maxChannels: 50,
      maxTargets: 4,
      maxBans: 100,
      maxMonitor: 100,
      metadataMaxKeys: 20,
      metadataMaxSubs: 50,
      metadataMaxValueBytes: 300,
      metadataSyncMembers: 500,
      maxModes: 4,
      floodBurst: 10,
      floodRate: 2,
      floodQueue: 20,
      sendqBytes: 1048576,
      sendqTotalBytes: 134217728,
      pingInterval: 90,
      pingTimeout: 60,
      registrationTimeout: 60,
      maxConnectionsPerIp: 50,
      connectRatePerIp: 60,
      httpPort: 8080,
      metricsToken: null,
      publicUrl: null,
      uploadMaxBytes: 26214400,
      uploadQuotaBytes: 1073741824,
      wsOrigins: [],
      proxyProtocol: false,
      trustedProxies: [],
      serverPassword: null,
      whowasSize: 100,
      database: null,
      historyReplay: 20,
      historyReplayGuests: false,
      historyLimit: 100,
      historyRetentionDays: 0,
      nickGrace: 0,
      serverRooms: ['#lobby'],
      serverRoomTopic: null,
      scramIterations: 600_000,
      maxConnectionsPerAccount: 10,
      alwaysOn: false,
      accountRegistration: true,
      webpush: true,
      webpushContact: null,
      webpushAllowHttpLoopback: false,
      clusterRedis: null,
      clusterNode: null,
      clusterPrefix: 'tertulia',
      clusterTimeout: 5,
      workers: 1,
      opers: [],
    };
    assert.deepEqual(load(), expected);
    assert.deepEqual(defaultConfig(), expected);
  });

  test('unrelated environment variables are ignored', () => {
    assert.deepEqual(
      load([], { PATH: '/bin', TERTULIA_SOMETHING_ELSE: 'x', HOME: '/root' }),
      defaultConfig(),
    );
  });

  test('the three spellings of every key map mechanically', () => {
    for (const o of OPTIONS) {
      assert.equal(o.key, propToKey(o.prop));
      assert.match(o.key, /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
      if (o.prop === 'opers') {
        assert.equal(o.flag, null);
        assert.equal(o.env, null);
        continue;
      }
      assert.equal(o.flag, `--${o.key}`);
      assert.equal(o.env, `TERTULIA_${o.key.toUpperCase().replaceAll('-', '_')}`);
      assert.equal(o.env, keyToEnv(o.key));
    }
    assert.deepEqual(OPTIONS.map((o) => o.prop).sort(), Object.keys(defaultConfig()).sort());
  });
});

describe('precedence: flag > env > file > default', () => {
  const file = yamlFile('nick-len: 11\nserver-name: file.example\n');

  test('all four sources on the same key', () => {
    assert.equal(load().nickLen, 30);
    assert.equal(load(['--config', file]).nickLen, 11);
    assert.equal(load(['--config', file], { TERTULIA_NICK_LEN: '12' }).nickLen, 12);
    assert.equal(load(['--config', file, '--nick-len', '13'], { TERTULIA_NICK_LEN: '12' }).nickLen, 13);
    assert.equal(load(['--nick-len=14'], { TERTULIA_NICK_LEN: '12' }).nickLen, 14);
  });

  test('the file can be named by TERTULIA_CONFIG, and --config beats it', () => {
    const other = yamlFile('nick-len: 21\n');
    assert.equal(load([], { TERTULIA_CONFIG: file }).nickLen, 11);
    assert.equal(load(['--config', other], { TERTULIA_CONFIG: file }).nickLen, 21);
  });

  test('sources are merged key by key', () => {
    const c = load(['--config', file, '--irc-port', '0'], { TERTULIA_HOST: '127.0.0.1' });
    assert.equal(c.serverName, 'file.example');
    assert.equal(c.nickLen, 11);
    assert.equal(c.ircPort, 0);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.topicLen, 390);
  });

  test('the last of a repeated flag wins', () => {
    assert.equal(load(['--nick-len', '5', '--nick-len', '6']).nickLen, 6);
  });
});

describe('coercion of env and flag strings', () => {
  test('numbers', () => {
    const c = load([], {
      TERTULIA_IRC_PORT: '7000',
      TERTULIA_FLOOD_RATE: '0.5',
      TERTULIA_SENDQ_BYTES: ' 65536 ',
    });
    assert.equal(c.ircPort, 7000);
    assert.equal(c.floodRate, 0.5);
    assert.equal(c.sendqBytes, 65536);
  });

  test('ports: 0 and "off"', () => {
    assert.equal(load([], { TERTULIA_IRC_PORT: '0' }).ircPort, 0);
    assert.equal(load([], { TERTULIA_IRC_PORT: 'off' }).ircPort, null);
    assert.equal(load(['--irc-port', 'OFF']).ircPort, null);
  });

  test('booleans: true/false/1/0/yes/no', () => {
    for (const [text, value] of [
      ['true', true],
      ['false', false],
      ['1', true],
      ['0', false],
      ['yes', true],
      ['no', false],
      ['TRUE', true],
      ['No', false],
    ] as const) {
      assert.equal(load([], { TERTULIA_LOG_MESSAGES: text }).logMessages, value, `env ${text}`);
      assert.equal(load([`--log-messages=${text}`]).logMessages, value, `flag ${text}`);
    }
  });

  test('boolean flags: bare, negated, and with a separate value', () => {
    assert.equal(load(['--log-messages']).logMessages, true);
    assert.equal(load(['--no-log-messages'], { TERTULIA_LOG_MESSAGES: 'yes' }).logMessages, false);
    assert.equal(load(['--log-messages', 'false']).logMessages, false);
    assert.equal(load(['--log-messages', '--irc-port', '1']).ircPort, 1);
  });

  test('enums are case-insensitive; empty means null for optional strings', () => {
    assert.equal(load([], { TERTULIA_LOG_LEVEL: 'DEBUG' }).logLevel, 'debug');
    assert.equal(load(['--log-format', 'json']).logFormat, 'json');
    const file = yamlFile('server-password: hunter2\n');
    assert.equal(load(['--config', file]).serverPassword, 'hunter2');
    assert.equal(load(['--config', file], { TERTULIA_SERVER_PASSWORD: '' }).serverPassword, null);
    assert.equal(load(['--server-password', 'sésamo abre']).serverPassword, 'sésamo abre');
  });
});

describe('YAML file', () => {
  test('typed values, "off", and an empty file', () => {
    const file = yamlFile(
      'host: "::1"\nirc-port: off\nlog-messages: true\nflood-rate: 1.5\nnetwork-name: TertuliaNet\nwhowas-size: 0\n',
    );
    const c = load(['--config', file]);
    assert.equal(c.host, '::1');
    assert.equal(c.ircPort, null);
    assert.equal(c.logMessages, true);
    assert.equal(c.floodRate, 1.5);
    assert.equal(c.networkName, 'TertuliaNet');
    assert.equal(c.whowasSize, 0);
    assert.deepEqual(load(['--config', yamlFile('')]), defaultConfig());
    assert.deepEqual(load(['--config', yamlFile('# only a comment\n')]), defaultConfig());
  });

  test('opers list is parsed into OperBlocks', async () => {
    const hash = await hashPassword('s3cret');
    const file = yamlFile(
      `opers:\n  - name: alice\n    password-hash: "${hash}"\n    mask: "*!*@127.0.0.1"\n  - name: bob\n    password-hash: ${hash}\n`,
    );
    const c = load(['--config', file]);
    assert.deepEqual(c.opers, [
      { name: 'alice', passwordHash: hash, mask: '*!*@127.0.0.1' },
      { name: 'bob', passwordHash: hash },
    ]);
    assert.equal(await verifyPassword(c.opers[0]!.passwordHash, 's3cret'), true);
  });

  test('relative paths in the file are relative to its directory', () => {
    const sub = join(dir, 'etc');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'motd.txt'), 'Welcome to the best chat in the universe!\n');
    const file = join(sub, 'tertulia.yaml');
    writeFileSync(file, 'motd-file: motd.txt\ndata-dir: ../state\n');
    const c = load(['--config', file]);
    assert.equal(c.motdFile, join(sub, 'motd.txt'));
    assert.equal(c.dataDir, join(dir, 'state'));
    // Flags and env stay relative to the working directory.
    assert.equal(load(['--data-dir', 'here']).dataDir, 'here');
  });
});

describe('errors name the key and where the value came from', () => {
  test('bad flag value', () => {
    const err = fails(
      ['--irc-port', 'abc'],
      {},
      /^invalid value for irc-port \(from --irc-port\): expected a port 0-65535 or "off", got "abc"$/,
    );
    assert.equal(err.key, 'irc-port');
    assert.equal(err.source, '--irc-port');
    fails(['--irc-port=65536'], {}, /irc-port \(from --irc-port\)/);
    fails(['--irc-port=1.5'], {}, /irc-port \(from --irc-port\)/);
    fails(['--log-level', 'loud'], {}, /log-level \(from --log-level\): expected one of trace, debug/);
    fails(['--log-messages=maybe'], {}, /log-messages \(from --log-messages\): expected true or false/);
    fails(['--server-name', 'no dots'], {}, /server-name \(from --server-name\)/);
    fails(['--flood-rate', '0'], {}, /flood-rate \(from --flood-rate\): expected a number greater than 0/);
  });

  test('metrics-token and scram-iterations are validated (a short token is refused and never echoed)', () => {
    const err = fails(
      ['--metrics-token', 'short'],
      {},
      /^invalid value for metrics-token \(from --metrics-token\): expected at least 16 characters/,
    );
    assert.ok(!err.message.includes('short'), 'the secret is not echoed');
    fails(
      [],
      { TERTULIA_METRICS_TOKEN: 'has spaces in it, and more' },
      /metrics-token \(from TERTULIA_METRICS_TOKEN\)/,
    );
    assert.equal(
      load(['--metrics-token', 'a-long-enough-token-1234']).metricsToken,
      'a-long-enough-token-1234',
    );
    fails(
      ['--scram-iterations', '1000'],
      {},
      /scram-iterations \(from --scram-iterations\): expected an integer from 4096/,
    );
    assert.equal(load(['--scram-iterations', '100000']).scramIterations, 100_000);
  });

  test('bad env value', () => {
    fails(
      [],
      { TERTULIA_MAX_TARGETS: '-1' },
      /^invalid value for max-targets \(from TERTULIA_MAX_TARGETS\): expected/,
    );
    fails([], { TERTULIA_NICK_LEN: '' }, /nick-len \(from TERTULIA_NICK_LEN\)/);
    fails(
      [],
      { TERTULIA_LOG_FORMAT: 'xml' },
      /log-format \(from TERTULIA_LOG_FORMAT\): expected one of pretty, json/,
    );
  });

  test('bad file value', () => {
    const file = yamlFile('nick-len: big\n');
    fails(['--config', file], {}, new RegExp(`^invalid value for nick-len \\(from config file ${file}\\)`));
    fails(['--config', yamlFile('network-name: 42\n')], {}, /network-name .*expected .*\(quote it in YAML\)/);
    fails(['--config', yamlFile('irc-port: -5\n')], {}, /irc-port \(from config file .*\): expected a port/);
  });

  test('several bad values are all reported', () => {
    const err = fails(
      ['--nick-len', '0'],
      { TERTULIA_TOPIC_LEN: 'x' },
      /nick-len \(from --nick-len\)/,
      /topic-len \(from TERTULIA_TOPIC_LEN\)/,
    );
    assert.equal(err.message.split('\n').length, 2);
  });

  test('a secret value is never echoed', () => {
    const err = fails(
      ['--server-password', 'hunter2\u0001'],
      {},
      /server-password \(from --server-password\)/,
    );
    assert.doesNotMatch(err.message, /hunter2/);
  });

  test('unknown YAML key', () => {
    const file = yamlFile('irc_port: 6667\n');
    fails(
      ['--config', file],
      {},
      new RegExp(`unknown key "irc_port" in config file ${file} \\(did you mean "irc-port"\\?\\)`),
    );
    fails(['--config', yamlFile('ircPort: 1\n')], {}, /unknown key "ircPort".*did you mean "irc-port"/);
    fails(['--config', yamlFile('config: other.yaml\n')], {}, /unknown key "config"/);
  });

  test('unknown flag, stray argument, missing value', () => {
    const err = fails(['--bogus'], {}, /^unknown option --bogus/);
    assert.equal(err.key, 'bogus');
    fails(['--nick-lenn', '3'], {}, /unknown option --nick-lenn \(did you mean --nick-len\?\)/);
    fails(['-p', '1'], {}, /unknown option -p/);
    fails(['stray'], {}, /unexpected argument "stray"/);
    fails(['--irc-port'], {}, /missing value for --irc-port/);
    fails(['--irc-port', '--host', '127.0.0.1'], {}, /missing value for --irc-port/);
    fails(['--opers', 'x'], {}, /opers can only be set in the config file/);
  });

  test('unreadable or invalid YAML file', () => {
    const missing = join(dir, 'nope.yaml');
    fails(
      ['--config', missing],
      {},
      new RegExp(`cannot read config file "${missing}" \\(from --config\\): no such file`),
    );
    fails([], { TERTULIA_CONFIG: missing }, /cannot read config file .* \(from TERTULIA_CONFIG\)/);
    fails(['--config', dir], {}, /cannot read config file .* \(from --config\)/);
    fails(
      ['--config', yamlFile('irc-port: [1\n')],
      {},
      /^invalid YAML in config file .* \(from --config\): /,
    );
    fails(['--config', yamlFile('a: 1\na: 2\n')], {}, /invalid YAML in config file/);
    fails(['--config', yamlFile('- 1\n- 2\n')], {}, /must be a mapping of keys to values/);
    fails(['--config', yamlFile('just a string\n')], {}, /must be a mapping of keys to values/);
  });

  test('a motd-file that does not exist', () => {
    const missing = join(dir, 'no-motd.txt');
    fails(
      ['--motd-file', missing],
      {},
      new RegExp(`^invalid value for motd-file \\(from --motd-file\\): file "${missing}" does not exist$`),
    );
    fails([], { TERTULIA_MOTD_FILE: dir }, /motd-file \(from TERTULIA_MOTD_FILE\): .* is not a file/);
    fails(
      ['--config', yamlFile('motd-file: missing.txt\n')],
      {},
      /motd-file \(from config file .*\): file .* does not exist/,
    );
  });

  test('bad opers entries point into the list', async () => {
    const hash = await hashPassword('x');
    const cases: Array<[string, RegExp]> = [
      ['opers: alice\n', /invalid value for opers \(from config file .*\): expected a list/],
      ['opers:\n  - name: alice\n', /missing opers\[0\]\.password-hash \(from config file .*\)/],
      [
        `opers:\n  - name: a\n    password-hash: "${hash}"\n  - name: b\n    password-hash: plaintext\n`,
        /invalid value for opers\[1\]\.password-hash .*: expected a hash printed by "tertulia hash-password"/,
      ],
      [
        `opers:\n  - name: a\n    password-hash: "${hash}"\n    pass: x\n`,
        /unknown key "pass" in opers\[0\]/,
      ],
      [
        `opers:\n  - name: a b\n    password-hash: "${hash}"\n`,
        /opers\[0\]\.name .*expected a name without spaces/,
      ],
      [
        `opers:\n  - name: a\n    password-hash: "${hash}"\n  - name: a\n    password-hash: "${hash}"\n`,
        /opers\[1\]\.name .*duplicate oper name "a"/,
      ],
      ['opers:\n  - just-a-string\n', /opers\[0\] .*expected an entry like/],
    ];
    for (const [text, pattern] of cases) {
      const err = fails(['--config', yamlFile(text)], {}, pattern);
      assert.match(err.key ?? '', /^opers/);
    }
  });
});
