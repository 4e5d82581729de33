/**
 * Builds the Config from four sources, highest precedence first:
 *   command-line flag  >  TERTULIA_* environment variable  >  YAML file  >  default.
 * The file is named by `--config FILE` or `TERTULIA_CONFIG`. Every value is validated here and
 * any problem is a ConfigError whose message names the key and where the value came from.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import type { Config } from './config.js';
import {
  CONFIG_FILE_OPTION,
  coerceString,
  configSchema,
  OPTIONS,
  OPTIONS_BY_KEY,
  type OptionSpec,
  REQUIRED,
} from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
  /** The key at fault (`irc-port`, `opers[0].mask`, `config`), when there is one. */
  readonly key: string | undefined;
  /** Where the bad value came from (`--irc-port`, `TERTULIA_IRC_PORT`, `config file x.yaml`). */
  readonly source: string | undefined;

  constructor(message: string, key?: string, source?: string) {
    super(message);
    this.key = key;
    this.source = source;
  }
}

export interface LoadConfigInput {
  /** Arguments after the subcommand (`serve`): `['--irc-port', '0', ...]`. */
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
}

interface Sourced {
  value: unknown;
  source: string;
}

export function loadConfig({ argv, env }: LoadConfigInput): Config {
  const flags = parseFlags(argv);

  let configFile: Sourced | undefined;
  const configFlag = flags.get(CONFIG_FILE_OPTION.key);
  if (configFlag !== undefined) configFile = configFlag;
  else if (env[CONFIG_FILE_OPTION.env] !== undefined) {
    configFile = { value: env[CONFIG_FILE_OPTION.env], source: CONFIG_FILE_OPTION.env };
  }
  const file = configFile === undefined ? new Map<string, Sourced>() : readConfigFile(configFile);

  // Merge by precedence; the winning value for each key remembers its source.
  const merged = new Map<string, Sourced>();
  for (const o of OPTIONS) {
    const fromFlag = flags.get(o.key);
    const fromEnv = o.env !== null ? env[o.env] : undefined;
    if (fromFlag !== undefined) merged.set(o.key, fromFlag);
    else if (fromEnv !== undefined)
      merged.set(o.key, { value: coerceString(o.kind, fromEnv), source: o.env! });
    else {
      const fromFile = file.get(o.key);
      if (fromFile !== undefined) merged.set(o.key, fromFile);
    }
  }

  const input = Object.fromEntries([...merged].map(([key, s]) => [key, s.value]));
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) throw errorFromIssues(parsed.error.issues, merged);
  const config = parsed.data;

  if (config.motdFile !== null)
    checkReadableFile(config.motdFile, merged.get('motd-file')?.source ?? 'default');
  // TLS: a certificate and its key come together (neither means a generated one).
  if ((config.tlsCert === null) !== (config.tlsKey === null)) {
    const missing = config.tlsCert === null ? 'tls-cert' : 'tls-key';
    const given = config.tlsCert === null ? 'tls-key' : 'tls-cert';
    throw new ConfigError(
      `invalid value for ${missing}: required when ${given} is set (from ${merged.get(given)?.source ?? 'default'})`,
      missing,
      merged.get(given)?.source,
    );
  }
  if (config.tlsCert !== null)
    checkReadableFile(config.tlsCert, merged.get('tls-cert')?.source ?? 'default', 'tls-cert');
  if (config.tlsKey !== null)
    checkReadableFile(config.tlsKey, merged.get('tls-key')?.source ?? 'default', 'tls-key');
  return config;
}

// ---------------------------------------------------------------------------------------------
// Flags

function parseFlags(argv: readonly string[]): Map<string, Sourced> {
  const options: Record<string, { type: 'string' | 'boolean' }> = {
    [CONFIG_FILE_OPTION.key]: { type: 'string' },
  };
  for (const o of OPTIONS)
    if (o.flag !== null) options[o.key] = { type: o.kind === 'boolean' ? 'boolean' : 'string' };

  // strict: false so that we, not parseArgs, word the errors; tokens tell us everything it saw.
  const { tokens } = parseArgs({
    args: [...argv],
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const out = new Map<string, Sourced>();
  let pendingBoolean: OptionSpec | undefined;

  for (const token of tokens) {
    const expectingBoolean = pendingBoolean;
    pendingBoolean = undefined;
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      // Allow `--log-messages false` as well as `--log-messages=false`.
      if (expectingBoolean !== undefined) {
        const value = coerceString('boolean', token.value);
        if (typeof value === 'boolean') {
          out.set(expectingBoolean.key, { value, source: expectingBoolean.flag! });
          continue;
        }
      }
      throw new ConfigError(`unexpected argument "${token.value}" (options look like --irc-port 6667)`);
    }

    const rawName = token.rawName;
    if (token.name === CONFIG_FILE_OPTION.key) {
      out.set(CONFIG_FILE_OPTION.key, { value: flagValue(token, rawName), source: rawName });
      continue;
    }

    const spec = OPTIONS_BY_KEY.get(token.name);
    if (spec !== undefined && spec.flag !== null && rawName.startsWith('--')) {
      if (spec.kind === 'boolean') {
        if (token.value === undefined) {
          out.set(spec.key, { value: true, source: rawName });
          pendingBoolean = spec;
        } else {
          out.set(spec.key, { value: coerceString('boolean', token.value), source: rawName });
        }
      } else {
        out.set(spec.key, { value: coerceString(spec.kind, flagValue(token, rawName)), source: rawName });
      }
      continue;
    }

    // --no-log-messages
    const negated = token.name.startsWith('no-') ? OPTIONS_BY_KEY.get(token.name.slice(3)) : undefined;
    if (
      negated !== undefined &&
      negated.kind === 'boolean' &&
      negated.flag !== null &&
      token.value === undefined
    ) {
      out.set(negated.key, { value: false, source: rawName });
      continue;
    }

    if (spec !== undefined && spec.flag === null) {
      throw new ConfigError(
        `${spec.key} can only be set in the config file (--config FILE)`,
        spec.key,
        rawName,
      );
    }
    const known = [CONFIG_FILE_OPTION.key, ...OPTIONS.filter((o) => o.flag !== null).map((o) => o.key)];
    const hint = suggest(token.name, known);
    throw new ConfigError(
      `unknown option ${rawName}${hint ? ` (did you mean --${hint}?)` : ''}; see "tertulia serve --help"`,
      token.name,
      rawName,
    );
  }
  return out;
}

interface OptionToken {
  name: string;
  rawName: string;
  value?: string | undefined;
  inlineValue?: boolean | undefined;
}

function flagValue(token: OptionToken, rawName: string): string {
  // parseArgs happily takes the next flag as the value of a value-less one: `--irc-port --host x`.
  if (token.value === undefined || (!token.inlineValue && token.value.startsWith('--'))) {
    throw new ConfigError(`missing value for ${rawName}`, token.name, rawName);
  }
  return token.value;
}

// ---------------------------------------------------------------------------------------------
// File

function readConfigFile(from: Sourced): Map<string, Sourced> {
  const path = String(from.value);
  const where = `(from ${from.source})`;
  if (path === '') throw new ConfigError(`missing value for config ${where}`, 'config', from.source);

  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `cannot read config file "${path}" ${where}: ${describeFsError(err)}`,
      'config',
      from.source,
    );
  }

  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError !== undefined) {
    const message = yamlError.message.split('\n')[0];
    throw new ConfigError(
      `invalid YAML in config file "${path}" ${where}: ${message}`,
      'config',
      from.source,
    );
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) return new Map();
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(
      `config file "${path}" ${where} must be a mapping of keys to values (like "irc-port: 6667")`,
      'config',
      from.source,
    );
  }

  const source = `config file ${path}`;
  const baseDir = dirname(resolve(path));
  const out = new Map<string, Sourced>();
  for (const [key, raw] of Object.entries(data)) {
    const spec = OPTIONS_BY_KEY.get(key);
    if (spec === undefined) {
      const hint = suggest(
        key,
        OPTIONS.map((o) => o.key),
      );
      throw new ConfigError(
        `unknown key "${key}" in ${source}${hint ? ` (did you mean "${hint}"?)` : ''}`,
        key,
        source,
      );
    }
    let value: unknown = raw;
    // YAML already typed most values; strings still get the flag/env coercion ("off", "yes", "6667").
    if (typeof raw === 'string' && spec.kind !== 'string' && spec.kind !== 'path')
      value = coerceString(spec.kind, raw);
    if (
      (spec.kind === 'path' || spec.kind === 'nullable-path') &&
      typeof value === 'string' &&
      value !== ''
    ) {
      value = isAbsolute(value) ? value : resolve(baseDir, value);
    }
    out.set(key, { value, source });
  }
  return out;
}

function checkReadableFile(path: string, source: string, key = 'motd-file'): void {
  const fail = (why: string) => {
    throw new ConfigError(`invalid value for ${key} (from ${source}): ${why}`, key, source);
  };
  try {
    if (!statSync(path).isFile()) fail(`"${path}" is not a file`);
    accessSync(path, constants.R_OK);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    fail(
      `file "${path}" ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read: ${describeFsError(err)}`}`,
    );
  }
}

function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return e.message ?? String(err);
  }
}

// ---------------------------------------------------------------------------------------------
// Errors

function errorFromIssues(
  issues: readonly z.core.$ZodIssue[],
  merged: ReadonlyMap<string, Sourced>,
): ConfigError {
  const lines: string[] = [];
  let first: { key: string; source: string } | undefined;
  const seen = new Set<string>();

  for (const issue of issues) {
    const top = issue.path[0];
    if (typeof top !== 'string') continue;
    const spec = OPTIONS_BY_KEY.get(top);
    const sourced = merged.get(top);
    if (spec === undefined || sourced === undefined) continue;

    let key = top;
    let line: string;
    if (spec.kind === 'list') {
      // Structured value (opers): point into it and use the issue's own wording.
      key =
        top +
        issue.path
          .slice(1)
          .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
          .join('');
      if (issue.code === 'unrecognized_keys') {
        line = `unknown key "${issue.keys.join('", "')}" in ${key} (from ${sourced.source})`;
      } else {
        line =
          issue.message === REQUIRED
            ? `missing ${key} (from ${sourced.source}): every ${spec.key} entry needs one`
            : `invalid value for ${key} (from ${sourced.source}): ${issue.message}`;
      }
    } else {
      if (seen.has(top)) continue;
      let got = '';
      if (!spec.secret) {
        const shown = JSON.stringify(sourced.value) ?? String(sourced.value);
        got = `, got ${shown.length > 60 ? `${shown.slice(0, 57)}...` : shown}`;
      }
      const quoteHint =
        (spec.kind === 'string' || spec.kind === 'nullable-string') &&
        sourced.source.startsWith('config file') &&
        (typeof sourced.value === 'number' || typeof sourced.value === 'boolean')
          ? ' (quote it in YAML)'
          : '';
      line = `invalid value for ${spec.key} (from ${sourced.source}): expected ${spec.expected}${got}${quoteHint}`;
    }
    seen.add(top);
    first ??= { key, source: sourced.source };
    lines.push(line);
  }

  if (lines.length === 0)
    return new ConfigError(`invalid configuration: ${issues[0]?.message ?? 'unknown error'}`);
  return new ConfigError(lines.join('\n'), first?.key, first?.source);
}

/** A known name close to `name` (typo, underscore or camelCase spelling), if any. */
function suggest(name: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  const n = norm(name);
  const exact = known.find((k) => norm(k) === n);
  if (exact !== undefined) return exact;
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(n, norm(k));
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
