import { parseArgs } from 'node:util';
import type { ConfigFlags } from '../config/load';
import { InvalidOptionError } from '../errors';
import { wrapLines } from '../findings/render';
import { describe } from '../redact';
import { argvProblem } from '../support/argv';

/** The output formats of `--output`. */
export const OUTPUT_FORMATS = ['text', 'json', 'json-stream'] as const;

/** One of {@link OUTPUT_FORMATS}. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** What the command line asked for, besides the device configuration. */
export interface CliArgs {
  flags: ConfigFlags;
  configFile?: string;
  register: boolean;
  /** `--output` (`--json` is `--output json`): text for a person, one JSON document, or one JSON line per check. */
  output: OutputFormat;
  /** True for either JSON output. */
  json: boolean;
  /** `--version`: print the version and exit. */
  version: boolean;
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
  cache: { type: 'string' },
  proxy: { type: 'string' },
  config: { type: 'string' },
  'passphrase-env': { type: 'string' },
  'ntp-server': { type: 'string' },
  'timeout-ms': { type: 'string' },
  register: { type: 'boolean' },
  json: { type: 'boolean' },
  output: { type: 'string' },
  version: { type: 'boolean' },
  report: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  'warnings-as-errors': { type: 'boolean' },
  'dont-run': { type: 'string', multiple: true },
  list: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  'compare-system': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Where dps-check looks for the device configuration when neither --config nor DPS_CONFIG names one. */
export const DEFAULT_CONFIG_FILE = '/etc/dps-private-link/device.json';

/** One option of the usage text: the flag and what it does (wrapped under it when long). */
type UsageRow = readonly [flag: string, text: string];

/** The usage text's sections: a heading and its options. */
const USAGE_SECTIONS: readonly (readonly [heading: string, rows: readonly UsageRow[]])[] = [
  [
    'Device (also from the environment variable or config-file key in brackets; flags win, then environment, then file):',
    [
      [
        '--host NAME',
        'DPS service endpoint <name>.azure-devices-provisioning.net [DPS_PROVISIONING_HOST, "provisioningHost"]',
      ],
      ['--id-scope SCOPE', 'DPS ID scope [DPS_ID_SCOPE, "idScope"]'],
      ['--registration-id ID', 'registration id, for X.509 the certificate CN [DPS_REGISTRATION_ID, "registrationId"]'],
      ['--cert FILE', 'device certificate, PEM or DER, leaf first [DPS_CERT_FILE, "certFile"]'],
      [
        '--key FILE',
        'device private key, PEM or DER, RSA or EC [DPS_KEY_FILE, "keyFile"]; an encrypted key\'s passphrase comes from DPS_KEY_PASSPHRASE, never a flag',
      ],
      ['--passphrase-env NAME', 'read the passphrase from this environment variable instead'],
      ['--ca FILE', 'extra trust anchor for the service certificate, PEM [DPS_CA_FILE, "caFile"]'],
      ['--expect-cidr CIDR', 'VNET range of the private endpoints; repeatable [DPS_EXPECTED_CIDRS, "expectedCidrs"]'],
      [
        '--dns-server IP[:PORT]',
        'ask this DNS server instead of the system resolver; repeatable [DPS_DNS_SERVERS, "dnsServers"]',
      ],
      ['--transport mqtt|mqtt-ws', 'default mqtt [DPS_TRANSPORT, "transport"]'],
      [
        '--policy enforce|warn|off',
        'enforce (default): never connect to an address outside --expect-cidr [DPS_POLICY, "policy"]',
      ],
      [
        '--config FILE',
        `JSON config file, as samples/raspberry-pi/device.example.json [DPS_CONFIG]; default ${DEFAULT_CONFIG_FILE} when it exists`,
      ],
      ['--port N, --ws-port N', 'DPS ports, default 8883 and 443 (for labs) ["port", "wsPort"]'],
      ['--hub-port N, --hub-ws-port N', 'the assigned hub\'s ports, default 8883 and 443 (for labs) ["hubPort"]'],
    ],
  ],
  [
    'Run:',
    [
      ['--register', 'also run a real registration, as the device would, and check the hub DPS assigns'],
      ['--compare-system', 'with --dns-server: also ask the system resolver (what the plain SDK uses) and compare'],
      ['--ntp-server IP[:PORT]', "compare the clock with this NTP server (default: DPS's HTTP Date on 443)"],
      [
        '--timeout-ms N',
        "per network step (default 5000); --register's whole registration gets 4 times that, at least 10000",
      ],
      ['--dont-run ID,...', 'skip these checks (see --list)'],
      ['--list', 'list the checks and exit (with --json: as JSON)'],
    ],
  ],
  [
    'Output:',
    [
      [
        '--output text|json|json-stream',
        'text (default); one JSON document {version, checks, summary}; or one JSON object per line for each check as it finishes, then the summary',
      ],
      ['--json', 'the same as --output json'],
      ['--report FILE', 'write a support bundle (secrets redacted, runtime facts): FILE.html a page, else JSON'],
      ['-v, --verbose', 'show evidence and cause chains'],
      ['--warnings-as-errors', 'exit 1 on warnings too'],
      ['--no-color', 'no colour (also NO_COLOR); text wraps to the terminal width, or COLUMNS, else 80'],
      ['-h, --help', 'print this help and exit'],
      ['--version', 'print the version and exit'],
    ],
  ],
];

const FLAG_COLUMN = 28;

/** Plain text wrapped to `width`. */
const wrapText = (text: string, width: number): string[] => wrapLines(text, '', '', width);

/** The usage text, wrapped to `width` columns (at least 60). */
export function usage(width = 80): string {
  const w = Math.max(width, 60);
  const out = [
    'Usage: dps-check [options]',
    '',
    ...wrapText(
      'Diagnoses why a device cannot provision through Azure DPS over a private endpoint: configuration, DNS ' +
        '(per resolver), TCP 8883/443, TLS, the device certificate, the clock, and (with --register) a real ' +
        'registration and the hub.',
      w,
    ),
  ];
  for (const [heading, rows] of USAGE_SECTIONS) {
    out.push('', ...wrapText(heading, w));
    const pad = ' '.repeat(FLAG_COLUMN);
    for (const [flag, text] of rows) {
      // A flag too long for its column gets a line of its own, its text under it.
      const first = `  ${flag}`;
      if (first.length < FLAG_COLUMN) out.push(...wrapLines(text, first.padEnd(FLAG_COLUMN), pad, w));
      else out.push(first, ...wrapLines(text, pad, pad, w));
    }
  }
  out.push(
    '',
    ...wrapText(
      'Exit status: 0 no errors (warnings allowed), 1 at least one error (a check that could not run because an ' +
        'input is unusable counts as one), 2 bad usage.',
      w,
    ),
  );
  return `${out.join('\n')}\n`;
}

/** Usage text for --help, at 80 columns. */
export const USAGE = usage();

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
  put('cacheFile', v.cache);
  put('proxy', v.proxy);
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

/** --output, or --json. @throws InvalidOptionError for an unknown format or --json beside another one. */
function outputOf(v: ParsedValues): OutputFormat {
  const output = v.output ?? (v.json ? 'json' : 'text');
  if (!(OUTPUT_FORMATS as readonly string[]).includes(output)) {
    throw new InvalidOptionError(
      '--output',
      `${describe(output)} is not one of ${OUTPUT_FORMATS.join(', ')}`,
      'Use --output json for one document, --output json-stream for one line per check.',
    );
  }
  if (v.json && output !== 'json') {
    throw new InvalidOptionError('--json', `conflicts with --output ${output}`, 'Pass one of them.');
  }
  return output as OutputFormat;
}

/**
 * True when the command line asks for JSON, read from the raw arguments: a usage error is reported as JSON too,
 * even when the arguments did not parse.
 */
export function wantsJson(argv: readonly string[]): boolean {
  return argv.some(
    (a, i) => a === '--json' || /^--output=json/.test(a) || (a === '--output' && /^json/.test(argv[i + 1] ?? '')),
  );
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
    const message = argvProblem(argv, err);
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
  const output = outputOf(v);
  const args: CliArgs = {
    flags,
    register: v.register ?? false,
    output,
    json: output !== 'text',
    version: v.version ?? false,
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
