import { X509Certificate } from 'node:crypto';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { loadConfig, type LoadConfigOptions } from '../config/load';
import { loadDeviceIdentity, type DeviceIdentity } from '../config/identity';
import { ENV_CONFIG_FILE, ENV_PASSPHRASE } from '../config/sources';
import type { DeviceConfig, LoadedConfig } from '../config/types';
import { parseCidrs, parseDnsServer } from '../endpoint/address';
import { normaliseHost } from '../endpoint/options';
import { InvalidOptionError } from '../errors';
import { checkProxy } from '../provision/options';
import { describe } from '../redact';
import { DEFAULT_CONFIG_FILE, type CliArgs } from './args';
import { checkIds } from './registry';

/**
 * An input that is unusable but does not stop the run (an unreadable key, a wrong passphrase, no --expect-cidr): the
 * checks that need it report `error` with its one-line reason, and every other check still runs.
 */
export interface InputProblem {
  /** The ids of the checks that cannot run without the input. */
  checks: readonly string[];
  /** Why, naming the input and the fix. */
  error: InvalidOptionError;
}

/** Everything a run needs, validated at the door, and the inputs that are unusable. */
export interface Prepared {
  loaded: LoadedConfig;
  identity?: DeviceIdentity;
  problems: InputProblem[];
}

/** The checks that dial under the enforce policy, or verify against --expect-cidr. */
const NEED_EXPECTED_CIDRS = ['dps-dns', 'dps-tcp-mqtt', 'dps-tcp-websocket', 'dps-cache', 'dps-register'];
/** The checks that need the device certificate and key to be readable. */
const NEED_IDENTITY = ['device-cert', 'dps-cache', 'dps-register'];

/** Names the source of a value in errors: the flag, variable or config key it came from, else `fallback`. */
type SourceOf = (key: keyof LoadedConfig['sources'], fallback: string) => string;

/** Options of {@link prepare}. */
export interface PrepareOptions {
  /** Read when neither --config nor DPS_CONFIG names a file and it exists (default {@link DEFAULT_CONFIG_FILE}). */
  defaultConfigFile?: string;
}

/** --config, else DPS_CONFIG (loadConfig reads it), else the default file when it exists. */
function configFileOf(args: CliArgs, env: NodeJS.ProcessEnv, options: PrepareOptions): Partial<LoadConfigOptions> {
  if (args.configFile) return { configFile: args.configFile };
  if (env[ENV_CONFIG_FILE]) return {};
  const fallback = options.defaultConfigFile ?? DEFAULT_CONFIG_FILE;
  return existsSync(fallback) ? { configFile: fallback, configFileSource: 'the default config file' } : {};
}

/** Loads the configuration, reading the key passphrase from --passphrase-env's variable. */
function loadWithPassphrase(args: CliArgs, env: NodeJS.ProcessEnv, options: PrepareOptions): LoadedConfig {
  const passEnv = args.passphraseEnv ?? ENV_PASSPHRASE;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(passEnv)) {
    throw new InvalidOptionError(
      '--passphrase-env',
      `${describe(passEnv)} is not an environment variable name`,
      'Give the NAME of the variable that holds the passphrase, e.g. DPS_KEY_PASSPHRASE.',
    );
  }
  const loaded = loadConfig({
    flags: args.flags,
    env: { ...env, [ENV_PASSPHRASE]: env[passEnv] },
    ...configFileOf(args, env, options),
  });
  if (passEnv !== ENV_PASSPHRASE && loaded.passphrase) loaded.passphraseSource = passEnv;
  return loaded;
}

/**
 * The host, the VNET ranges and the DNS servers (the host is normalised in place). Returns the problem of a missing
 * --expect-cidr under enforce: the checks that need it cannot run, the rest still can.
 */
function checkNetwork(config: DeviceConfig, src: SourceOf): InputProblem | undefined {
  if (!config.provisioningHost) {
    throw new InvalidOptionError(
      '--host',
      'missing',
      'Pass --host <name>.azure-devices-provisioning.net ' +
        '(or set DPS_PROVISIONING_HOST, or provisioningHost in --config).',
    );
  }
  config.provisioningHost = normaliseHost(config.provisioningHost, src('provisioningHost', '--host'));
  parseCidrs(config.expectedCidrs, src('expectedCidrs', '--expect-cidr'));
  config.dnsServers.forEach((s) => parseDnsServer(s, src('dnsServers', '--dns-server')));
  if (config.expectedCidrs.length > 0 || config.policy !== 'enforce') return undefined;
  const error = new InvalidOptionError(
    '--expect-cidr',
    'missing, so the enforce policy would refuse every address',
    'Pass the VNET range of the private endpoint, e.g. --expect-cidr 10.1.0.0/16 (repeatable), ' +
      'or --policy warn to probe whatever DNS answers.',
  );
  return { checks: NEED_EXPECTED_CIDRS, error };
}

/** --ntp-server and --dont-run. */
function checkRunFlags(args: CliArgs): void {
  if (args.ntpServer) parseDnsServer(args.ntpServer, '--ntp-server');
  const known = new Set(checkIds());
  for (const id of args.dontRun) {
    if (!known.has(id))
      throw new InvalidOptionError(
        '--dont-run',
        `unknown check id ${describe(id)}`,
        `Use ids from dps-check --list: ${[...known].join(', ')}.`,
      );
  }
}

/** --proxy: `http://<ip>:<port>`, and only with mqtt-ws, the one transport that goes through a proxy. */
function checkProxyFlag(config: DeviceConfig, src: SourceOf): void {
  if (config.proxy === undefined) return;
  const name = src('proxy', '--proxy');
  checkProxy(config.proxy, name);
  if (config.transport !== 'mqtt-ws') {
    throw new InvalidOptionError(
      name,
      'only used with --transport mqtt-ws (MQTT over TLS on 8883 never goes through an HTTP proxy)',
      'Add --transport mqtt-ws, or leave the proxy out.',
    );
  }
}

/** --ca: readable, and holds a PEM certificate. */
function checkCaFile(config: DeviceConfig, src: SourceOf): void {
  if (!config.caFile) return;
  try {
    accessSync(config.caFile, constants.R_OK);
  } catch (err) {
    throw new InvalidOptionError(
      `${src('caFile', '--ca')} ${config.caFile}`,
      'cannot read the file',
      'Point --ca at a readable PEM file with the extra trust anchor, or leave it out.',
      err,
    );
  }
  // TLS stacks skip what they cannot parse, so a wrong file would only show up later as an untrusted chain.
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(
    readFileSync(config.caFile, 'latin1'),
  )?.[0];
  let parsed = false;
  try {
    parsed = pem !== undefined && new X509Certificate(pem).subject !== undefined;
  } catch {
    parsed = false;
  }
  if (!parsed) {
    throw new InvalidOptionError(
      `${src('caFile', '--ca')} ${config.caFile}`,
      'holds no PEM certificate',
      'Point --ca at the PEM file (-----BEGIN CERTIFICATE-----) of the extra trust anchor, ' +
        'e.g. DigiCert Global Root G2, or leave it out.',
    );
  }
}

/** The credentials go together, and --register has what it needs. */
function checkCredentials(args: CliArgs, loaded: LoadedConfig, src: SourceOf): void {
  const { config } = loaded;
  if (config.keyFile && !config.certFile) {
    throw new InvalidOptionError(
      src('keyFile', '--key'),
      'given without a certificate',
      'Pass --cert with the device certificate that belongs to this key.',
    );
  }
  if (args.register) {
    if (!config.idScope)
      throw new InvalidOptionError(
        '--id-scope',
        'missing, but --register needs it',
        'Pass --id-scope (the DPS ID scope, e.g. 0ne0012345F), or drop --register.',
      );
    if (!config.registrationId)
      throw new InvalidOptionError(
        '--registration-id',
        'missing, but --register needs it',
        'Pass --registration-id, or drop --register.',
      );
    if (!config.certFile && !loaded.symmetricKey) {
      throw new InvalidOptionError(
        'credentials',
        '--register needs a device credential',
        'Pass --cert and --key (X.509), or set DPS_SYMMETRIC_KEY (symmetric key).',
      );
    }
    if (config.certFile && !config.keyFile)
      throw new InvalidOptionError(
        '--key',
        'missing, but --register with --cert needs it',
        'Pass --key with the device private key.',
      );
  }
}

/** The device certificate and key, or the problem that keeps the identity checks from running. */
function readIdentity(loaded: LoadedConfig, src: SourceOf): Pick<Prepared, 'identity'> | InputProblem {
  const { config } = loaded;
  if (!config.certFile) return {};
  try {
    return {
      identity: loadDeviceIdentity({
        certFile: config.certFile,
        certSource: src('certFile', '--cert'),
        ...(config.keyFile ? { keyFile: config.keyFile, keySource: src('keyFile', '--key') } : {}),
        ...(loaded.passphrase ? { passphrase: loaded.passphrase } : {}),
      }),
    };
  } catch (err) {
    if (!(err instanceof InvalidOptionError)) throw err;
    return { checks: NEED_IDENTITY, error: err };
  }
}

/**
 * Loads and validates the configuration and reads the device files. Unknown flags, malformed values and missing
 * prerequisites of --register are bad usage (exit 2); an unreadable certificate or key, a wrong passphrase and a
 * missing --expect-cidr are {@link InputProblem}s, so the checks that do not need them still run.
 * @throws InvalidOptionError naming the flag, variable or file and the fix.
 */
export function prepare(args: CliArgs, env: NodeJS.ProcessEnv, options: PrepareOptions = {}): Prepared {
  const loaded = loadWithPassphrase(args, env, options);
  const { config, sources } = loaded;
  const src: SourceOf = (k, fallback) => sources[k]?.name ?? fallback;
  const problems: InputProblem[] = [];
  const network = checkNetwork(config, src);
  if (network) problems.push(network);
  checkRunFlags(args);
  checkCaFile(config, src);
  checkProxyFlag(config, src);
  checkCredentials(args, loaded, src);
  const identity = readIdentity(loaded, src);
  if ('error' in identity) problems.push(identity);
  // Without --register (or --cache), dps-register (dps-cache) only says how to run it: no input problem is its to
  // report.
  const idle = new Set([...(args.register ? [] : ['dps-register']), ...(config.cacheFile ? [] : ['dps-cache'])]);
  const relevant = problems.map((p) => ({ ...p, checks: p.checks.filter((id) => !idle.has(id)) }));
  return {
    loaded,
    problems: relevant,
    ...('identity' in identity && identity.identity ? { identity: identity.identity } : {}),
  };
}
