import { parseArgs } from 'node:util';
import type { ConfigFlags } from '../config/load';
import { InvalidOptionError } from '../errors';
import { describe, describeSecret, looksSecret } from '../redact';

/** What the command line asked for, besides the device configuration. */
export interface CliArgs {
  flags: ConfigFlags;
  configFile?: string;
  register: boolean;
  json: boolean;
  reportFile?: string;
  verbose: boolean;
  warningsAsErrors: boolean;
  dontRun: string[];
  list: boolean;
  help: boolean;
  ntpServer?: string;
  /** Environment variable holding the key passphrase (default DPS_KEY_PASSPHRASE). */
  passphraseEnv?: string;
  timeoutMs?: number;
  noColor: boolean;
  /** With --dns-server, also ask the system resolver and compare. */
  compareSystem: boolean;
  /** The assigned hub's WebSocket port (`--hub-ws-port`, for labs; default 443). */
  hubWsPort?: number;
}

const OPTIONS = {
  host: { type: 'string' },
  'id-scope': { type: 'string' },
  'registration-id': { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  ca: { type: 'string' },
  'expect-cidr': { type: 'string', multiple: true },
  'dns-server': { type: 'string', multiple: true },
  transport: { type: 'string' },
  policy: { type: 'string' },
  port: { type: 'string' },
  'ws-port': { type: 'string' },
  'hub-port': { type: 'string' },
  'hub-ws-port': { type: 'string' },
  config: { type: 'string' },
  'passphrase-env': { type: 'string' },
  'ntp-server': { type: 'string' },
  'timeout-ms': { type: 'string' },
  register: { type: 'boolean' },
  json: { type: 'boolean' },
  report: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  'warnings-as-errors': { type: 'boolean' },
  'dont-run': { type: 'string', multiple: true },
  list: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  'compare-system': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Usage text for --help. */
export const USAGE = `Usage: dps-check [options]

Diagnoses why a device cannot provision through Azure DPS over a private endpoint: configuration, DNS (per
resolver), TCP 8883/443, TLS, device certificate, clock, and (with --register) a real registration and the hub.

Device (each also from the environment or the --config JSON file; flags win, then environment, then file):
  --host NAME               DPS service endpoint <name>.azure-devices-provisioning.net   (DPS_PROVISIONING_HOST)
  --id-scope SCOPE          DPS ID scope                                                  (DPS_ID_SCOPE)
  --registration-id ID      registration id (= certificate CN for X.509)                  (DPS_REGISTRATION_ID)
  --cert FILE               device certificate, PEM or DER, leaf first                    (DPS_CERT_FILE)
  --key FILE                device private key, PEM or DER, RSA or EC                     (DPS_KEY_FILE)
                            an encrypted key's passphrase comes from DPS_KEY_PASSPHRASE (never a flag)
  --passphrase-env NAME     read the passphrase from this environment variable instead
  --ca FILE                 extra trust anchor for the service certificate (PEM)          (DPS_CA_FILE)
  --expect-cidr CIDR        VNET range of the private endpoints; repeatable               (DPS_EXPECTED_CIDRS)
  --dns-server IP[:PORT]    ask this DNS server instead of the system resolver; repeatable (DPS_DNS_SERVERS)
  --transport mqtt|mqtt-ws  default mqtt                                                  (DPS_TRANSPORT)
  --policy enforce|warn|off enforce (default): never connect to an address outside --expect-cidr (DPS_POLICY)
  --config FILE             JSON config file, as samples/raspberry-pi/device.example.json (DPS_CONFIG)
  --port N, --ws-port N, --hub-port N, --hub-ws-port N   ports (defaults 8883, 443, 8883, 443; for labs)

Run:
  --register                also run a real registration (provisionDevice) and check the assigned hub
  --compare-system          with --dns-server: also ask the system resolver (what the plain SDK uses) and compare
  --ntp-server IP[:PORT]    compare the clock with this NTP server (default: DPS's HTTP Date on 443)
  --timeout-ms N            per network step (default 5000)
  --dont-run ID,...         skip these checks (see --list)
  --list                    list the checks and exit

Output:
  --json                    print one JSON document {version, checks, summary}
  --report FILE             write a support bundle (secrets redacted, runtime facts): FILE.html a page, else JSON
  -v, --verbose             show evidence and cause chains
  --warnings-as-errors      exit 1 on warnings too
  --no-color                no colour (also NO_COLOR)
  -h, --help
  --version                 print the version and exit

Exit status: 0 no errors (warnings allowed), 1 at least one error, 2 bad usage or unreadable input.
`;

/** The flags that are configuration values (they override the environment and the config file). */
function configFlags(v: ParsedValues): ConfigFlags {
  const flags: ConfigFlags = {};
  const put = (key: keyof ConfigFlags, value: string | string[] | undefined): void => {
    if (value !== undefined) flags[key] = value;
  };
  put('provisioningHost', v.host);
  put('idScope', v['id-scope']);
  put('registrationId', v['registration-id']);
  put('certFile', v.cert);
  put('keyFile', v.key);
  put('caFile', v.ca);
  put('expectedCidrs', v['expect-cidr']);
  put('dnsServers', v['dns-server']);
  put('transport', v.transport);
  put('policy', v.policy);
  put('port', v.port);
  put('wsPort', v['ws-port']);
  put('hubPort', v['hub-port']);
  return flags;
}

/** An integer flag within `range`, or undefined when absent. @throws InvalidOptionError naming the flag. */
function integerFlag(
  value: string | undefined,
  flag: string,
  [min, max]: [number, number],
  noun: string,
  fix: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) throw new InvalidOptionError(flag, `${describe(value)} is not a ${noun}`, fix);
  return n;
}

type ParsedValues = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; strict: true; allowPositionals: false }>
>['values'];

/**
 * Parses argv strictly (unknown flags and stray arguments are bad usage).
 * @throws InvalidOptionError naming the flag and the fix.
 */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  let parsed: { values: ParsedValues };
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false });
  } catch (err) {
    // Node quotes the offending argument: a key pasted as one is shown by size only.
    const message = (err as Error).message
      .replace(/\. To specify a positional argument.*$/s, '')
      .replace(/'([^']*)'/g, (quoted, value: string) => (looksSecret(value) ? describeSecret(value) : quoted));
    throw new InvalidOptionError('command line', message, 'Run dps-check --help for the flags.', err);
  }
  const v = parsed.values;
  const flags = configFlags(v);
  const timeoutMs = integerFlag(
    v['timeout-ms'],
    '--timeout-ms',
    [100, 120_000],
    'timeout',
    'Use a number of milliseconds from 100 to 120000 (default 5000).',
  );
  const hubWsPort = integerFlag(
    v['hub-ws-port'],
    '--hub-ws-port',
    [1, 65535],
    'port',
    'Use a TCP port from 1 to 65535 (default 443).',
  );
  const args: CliArgs = {
    flags,
    register: v.register ?? false,
    json: v.json ?? false,
    verbose: v.verbose ?? false,
    warningsAsErrors: v['warnings-as-errors'] ?? false,
    dontRun: (v['dont-run'] ?? [])
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean),
    list: v.list ?? false,
    help: v.help ?? false,
    noColor: v['no-color'] ?? false,
    compareSystem: v['compare-system'] ?? false,
  };
  if (v.config !== undefined) args.configFile = v.config;
  if (v.report !== undefined) args.reportFile = v.report;
  if (v['ntp-server'] !== undefined) args.ntpServer = v['ntp-server'];
  if (v['passphrase-env'] !== undefined) args.passphraseEnv = v['passphrase-env'];
  if (timeoutMs !== undefined) args.timeoutMs = timeoutMs;
  if (hubWsPort !== undefined) args.hubWsPort = hubWsPort;
  return args;
}
