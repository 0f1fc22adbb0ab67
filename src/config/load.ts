import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidOptionError } from '../errors';
import { describe } from '../redact';
import { ENV_CONFIG_FILE, ENV_OF, ENV_PASSPHRASE, ENV_SYMMETRIC_KEY, FLAG_OF } from './sources';
import {
  CONFIG_DEFAULTS,
  CONFIG_KEYS,
  type ConfigKey,
  type DeviceConfig,
  type LoadedConfig,
  type ValueSource,
} from './types';

/** Raw values as given on the command line (strings; lists for repeatable flags). */
export type ConfigFlags = Partial<Record<ConfigKey, string | string[]>>;

/** Inputs of {@link loadConfig}. Nothing is read from process.env or argv unless passed in. */
export interface LoadConfigOptions {
  /** Values from flags (highest precedence). */
  flags?: ConfigFlags;
  /** Environment (second precedence); pass `process.env` from a CLI. Default: empty. */
  env?: NodeJS.ProcessEnv;
  /** JSON config file (lowest precedence before defaults). Default: env DPS_CONFIG, else none. */
  configFile?: string;
  /** Name the config file was given by, for messages (default `--config`). */
  configFileSource?: string;
}

const PATH_KEYS: ReadonlySet<ConfigKey> = new Set(['certFile', 'keyFile', 'caFile', 'cacheFile']);
const LIST_KEYS: ReadonlySet<ConfigKey> = new Set(['expectedCidrs', 'dnsServers']);
const PORT_KEYS: ReadonlySet<ConfigKey> = new Set(['port', 'wsPort', 'hubPort']);
const CHOICES: Partial<Record<ConfigKey, readonly string[]>> = {
  transport: ['mqtt', 'mqtt-ws'],
  policy: ['enforce', 'warn', 'off'],
};

/**
 * Reads a device config file: a JSON object whose fields are the {@link DeviceConfig} keys. Relative paths are
 * resolved against the file's folder, so a config file and its certificates can move together.
 * @param source - How the file was named, for messages (`--config`, or `DPS_CONFIG`). Default `--config`.
 * @throws InvalidOptionError naming the file (and field) when the file is unreadable, not JSON, or has a wrong field.
 */
export function readConfigFile(file: string, source = '--config'): Partial<DeviceConfig> {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    throw new InvalidOptionError(
      `${source} ${file}`,
      `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      'Pass the path of an existing, readable JSON config file.',
      err,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new InvalidOptionError(
      `${source} ${file}`,
      `not valid JSON (${(err as Error).message})`,
      'Fix the file: it must be one JSON object such as {"provisioningHost": "...", "idScope": "...", "registrationId": "..."}.',
      err,
    );
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new InvalidOptionError(
      `${source} ${file}`,
      'not a JSON object',
      'The file must hold one JSON object with the device settings.',
    );
  }
  const out: Partial<Record<ConfigKey, unknown>> = {};
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (k.startsWith('$') || k === 'comment') continue; // room for "$schema" and notes
    if (!(CONFIG_KEYS as readonly string[]).includes(k)) {
      throw new InvalidOptionError(
        `${file}#${k}`,
        'unknown field',
        `Known fields: ${CONFIG_KEYS.join(', ')}. Secrets (passphrase, symmetric key) go in ${ENV_PASSPHRASE} / ${ENV_SYMMETRIC_KEY}, never in the file.`,
      );
    }
    const key = k as ConfigKey;
    const where = `${file}#${key}`;
    out[key] = fromJson(key, v, where, path.dirname(abs));
  }
  return out as Partial<DeviceConfig>;
}

/** A list value for a message, item by item through the secret-safe describer (never the whole structure). */
function describeList(v: unknown): string {
  if (!Array.isArray(v)) return describe(v);
  const shown = v.slice(0, 5).map((x) => (Array.isArray(x) ? 'an array' : describe(x)));
  return `[${shown.join(', ')}${v.length > 5 ? `, … (${v.length} items)` : ''}]`;
}

function fromJson(key: ConfigKey, v: unknown, where: string, dir: string): unknown {
  if (LIST_KEYS.has(key)) {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      throw new InvalidOptionError(
        where,
        `expected an array of strings, got ${describeList(v)}`,
        `Write it as ["value", ...].`,
      );
    }
    return v.map((s: string) => s.trim());
  }
  if (PORT_KEYS.has(key)) return parsePort(typeof v === 'number' ? String(v) : v, where);
  if (typeof v !== 'string' || v.trim() === '') {
    throw new InvalidOptionError(
      where,
      `expected a non-empty string, got ${describe(v)}`,
      'Write the value as a JSON string.',
    );
  }
  const s = v.trim();
  if (PATH_KEYS.has(key)) return path.resolve(dir, s);
  return checkChoice(key, s, where);
}

function parsePort(v: unknown, where: string): number {
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new InvalidOptionError(where, `${describe(v)} is not a TCP port`, 'Use a whole number from 1 to 65535.');
  }
  return n;
}

function checkChoice(key: ConfigKey, s: string, where: string): string {
  const choices = CHOICES[key];
  if (choices && !choices.includes(s)) {
    throw new InvalidOptionError(
      where,
      `${describe(s)} is not one of ${choices.join(', ')}`,
      `Use one of: ${choices.join(', ')}.`,
    );
  }
  return s;
}

function fromText(key: ConfigKey, raw: string | string[], where: string): unknown {
  if (LIST_KEYS.has(key)) {
    const items = (Array.isArray(raw) ? raw : [raw]).flatMap((s) => s.split(',')).map((s) => s.trim());
    if (items.some((s) => s === '')) {
      throw new InvalidOptionError(
        where,
        `empty item in ${describeList(raw)}`,
        'Give one non-empty value per item (comma-separated in environment variables).',
      );
    }
    return items;
  }
  const s = (Array.isArray(raw) ? raw[raw.length - 1] : raw).trim();
  if (s === '') throw new InvalidOptionError(where, 'empty value', 'Give a value or leave the setting out.');
  if (PORT_KEYS.has(key)) return parsePort(s, where);
  if (PATH_KEYS.has(key)) return path.resolve(s);
  return checkChoice(key, s, where);
}

/**
 * Merges flags, environment variables and a JSON config file (in that order of precedence) over the defaults, and
 * records where each value came from. Validates formats at the door; does not read certificate files.
 * @throws InvalidOptionError naming the flag, variable or file field and the fix.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? {};
  const configFile = options.configFile ?? (env[ENV_CONFIG_FILE] || undefined);
  const configFileSource = options.configFile ? (options.configFileSource ?? '--config') : ENV_CONFIG_FILE;
  const fileValues = configFile ? readConfigFile(configFile, configFileSource) : {};
  const config: Record<string, unknown> = { ...CONFIG_DEFAULTS, expectedCidrs: [], dnsServers: [] };
  const sources: Partial<Record<ConfigKey, ValueSource>> = {};
  for (const key of CONFIG_KEYS) {
    const flag = options.flags?.[key];
    const envValue = env[ENV_OF[key]];
    if (flag !== undefined && !(Array.isArray(flag) && flag.length === 0)) {
      config[key] = fromText(key, flag, FLAG_OF[key]);
      sources[key] = { kind: 'flag', name: FLAG_OF[key] };
    } else if (envValue !== undefined && envValue !== '') {
      config[key] = fromText(key, envValue, `environment variable ${ENV_OF[key]}`);
      sources[key] = { kind: 'env', name: ENV_OF[key] };
    } else if (fileValues[key] !== undefined) {
      config[key] = fileValues[key];
      sources[key] = { kind: 'file', name: `${path.resolve(configFile as string)}#${key}` };
    } else if (key in CONFIG_DEFAULTS) {
      sources[key] = { kind: 'default', name: 'default' };
    }
  }
  const loaded: LoadedConfig = { config: config as unknown as DeviceConfig, sources };
  if (configFile) loaded.configFile = path.resolve(configFile);
  if (env[ENV_PASSPHRASE]) {
    loaded.passphrase = env[ENV_PASSPHRASE];
    loaded.passphraseSource = ENV_PASSPHRASE;
  }
  if (env[ENV_SYMMETRIC_KEY]) loaded.symmetricKey = env[ENV_SYMMETRIC_KEY];
  return loaded;
}
