#!/usr/bin/env node
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DpsPrivateLinkError } from '../errors';
import { argvProblem } from '../support/argv';
import { startLab } from './lab';
import { LAB_SCENARIOS, applySetup, findScenario, type LabScenario, type ScenarioSetup } from './scenarios';
import { formatLabSummary, labSummary, wrapWords, type DeviceFiles } from './summary';
import type { LabDeviceKind, LabDnsView, LabFault, LabHandle, LabOptions } from './types';
import { DNS_VIEWS } from './zones';

/**
 * What `--fault <kind>` sets: the kind with its defaults, and for a kind with a required field its commonest value.
 * patch-response is left out: without `set`/`omit` it changes nothing.
 */
const CLI_FAULTS: Readonly<Record<string, LabFault>> = {
  throttle: { kind: 'throttle' },
  'server-error': { kind: 'server-error' },
  'error-status': { kind: 'error-status', status: 401 },
  'drop-after-connack': { kind: 'drop-after-connack' },
  'drop-mid-poll': { kind: 'drop-mid-poll' },
  'never-answer': { kind: 'never-answer' },
  'malformed-json': { kind: 'malformed-json' },
  'oversized-payload': { kind: 'oversized-payload' },
  failed: { kind: 'failed' },
  status: { kind: 'status', status: 'unassigned' },
  'hub-refuse': { kind: 'hub-refuse' },
  'hub-drop-after-connack': { kind: 'hub-drop-after-connack' },
  'hub-never-connack': { kind: 'hub-never-connack' },
  'wrong-san': { kind: 'wrong-san' },
  'expired-cert': { kind: 'expired-cert' },
  'tls-stall': { kind: 'tls-stall' },
};

const USAGE = `Usage: dps-lab [options]

Starts the local private lab (DNS + DPS + IoT hub on loopback) and prints
where everything listens and how to point a device at it. Credentials are
written to files (mode 600) in --out-dir; no key is ever printed.

Options:
  --dns-address <ip>      lab DNS address (default 127.0.0.53)
  --dns-port <n>          lab DNS port (default 0 = ephemeral)
  --mqtt-port <n>         MQTT/TLS port (default 8883)
  --ws-port <n>           MQTT/WebSocket port (default 443 as root, else 8443)
  --dps-name <name>       default lab-dps
  --hub-name <name>       default lab-hub
  --retry-after <s>       retry-after DPS sends (default 1)
  --clock-offset-ms <n>   run the lab clock n ms ahead of the host (default 0;
                          behind: --clock-offset-ms=-600000): skews HTTP Date,
                          DPS timestamps, SAS and certificate validity
  --device <id>[:<kind>]  enroll a device (repeatable); kind: x509-individual
                          (default), x509-group, symmetric-key,
                          symmetric-key-group. Default: one x509-individual
                          device "lab-device-01".
  --out-dir <dir>         where to write the CA and device credentials
                          (default: a new temp directory)
  --json                  print the summary as JSON
  -h, --help              this text
  --version               print the version and exit

Broken setups (for demos and training):
  --scenario <name>       stage a named broken setup and print what dps-check
                          should then report (see --list-scenarios)
  --list-scenarios        list the scenarios and exit
  --dns-view <view>       what the lab DNS answers for DPS and the hub, or
                          dps=<view>,hub=<view>; views:
${wrapWords(DNS_VIEWS, 26)}
  --fault <kind>          set a fault with its defaults (repeatable); kinds:
${wrapWords(Object.keys(CLI_FAULTS), 26)}

Exit codes: 0 after a clean stop (SIGINT/SIGTERM), 1 when the lab cannot
start, 2 on bad usage.`;

const KINDS: readonly LabDeviceKind[] = ['x509-individual', 'x509-group', 'symmetric-key', 'symmetric-key-group'];

/** The flags dps-lab takes (node:util parseArgs). */
const OPTIONS = {
  'dns-address': { type: 'string' },
  'dns-port': { type: 'string' },
  'mqtt-port': { type: 'string' },
  'ws-port': { type: 'string' },
  'dps-name': { type: 'string' },
  'hub-name': { type: 'string' },
  'retry-after': { type: 'string' },
  'clock-offset-ms': { type: 'string' },
  device: { type: 'string', multiple: true },
  'out-dir': { type: 'string' },
  scenario: { type: 'string' },
  'list-scenarios': { type: 'boolean', default: false },
  'dns-view': { type: 'string' },
  fault: { type: 'string', multiple: true },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  version: { type: 'boolean', default: false },
} as const;

/** What the command line asks for. */
interface Args {
  lab: LabOptions;
  devices: { id: string; kind: LabDeviceKind }[];
  outDir?: string;
  /** The named scenario, if any. */
  scenario?: LabScenario;
  /** What to stage once the lab runs: the scenario's setup, then --dns-view and --fault on top. */
  setup: ScenarioSetup;
  listScenarios: boolean;
  json: boolean;
  help: boolean;
  version: boolean;
}

/** node:util parseArgs on dps-lab's flags; a bad one is said as {@link argvProblem} says it. */
function parseFlags(argv: string[]) {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: false, options: OPTIONS });
  } catch (err) {
    throw new Error(argvProblem(argv, err));
  }
}

/** Parse argv into lab options and devices; throws a UsageError with the reason. */
function parse(argv: string[]): Args {
  const { values } = parseFlags(argv);
  // devices first: with several bad flags, the --device one is reported, as it always was
  const devices = (values.device ?? ['lab-device-01']).map(parseDevice);
  const scenario = values.scenario === undefined ? undefined : parseScenario(values.scenario);
  const clockOffsetMs = signedWholeNumber('clock-offset-ms', values['clock-offset-ms']);
  return {
    lab: {
      dnsAddress: values['dns-address'],
      dnsPort: wholeNumber('dns-port', values['dns-port']),
      mqttPort: wholeNumber('mqtt-port', values['mqtt-port']),
      wsPort: wholeNumber('ws-port', values['ws-port']),
      dpsName: values['dps-name'],
      hubName: values['hub-name'],
      retryAfterSeconds: wholeNumber('retry-after', values['retry-after']),
      clockOffsetMs,
    },
    devices,
    outDir: values['out-dir'],
    ...(scenario ? { scenario } : {}),
    setup: mergeSetup(scenario?.setup ?? {}, {
      dnsViews: values['dns-view'] === undefined ? {} : parseDnsViews(values['dns-view']),
      faults: (values.fault ?? []).map(parseFault),
      // the flag wins over the scenario's clock; without either the lab clock stays as started
      ...(clockOffsetMs !== undefined ? { clockOffsetMs } : {}),
    }),
    listScenarios: values['list-scenarios'] ?? false,
    json: values.json ?? false,
    help: values.help ?? false,
    version: values.version ?? false,
  };
}

function wholeNumber(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${flag} must be a whole number, got ${JSON.stringify(v)}`);
  return Number(v);
}

function signedWholeNumber(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[-+]?\d+$/.test(v))
    throw new UsageError(`--${flag} must be a whole number (may be negative), got ${JSON.stringify(v)}`);
  return Number(v);
}

/** `--device <id>[:<kind>]`. */
function parseDevice(spec: string): { id: string; kind: LabDeviceKind } {
  const [id, kind = 'x509-individual'] = spec.split(':');
  if (!KINDS.includes(kind as LabDeviceKind))
    throw new UsageError(`--device ${spec}: kind must be one of ${KINDS.join(', ')}`);
  return { id, kind: kind as LabDeviceKind };
}

/** `--scenario <name>`. */
function parseScenario(name: string): LabScenario {
  const scenario = findScenario(name);
  if (!scenario) {
    throw new UsageError(
      `--scenario ${JSON.stringify(name)} is not a scenario; use one of ${LAB_SCENARIOS.map((s) => s.name).join(', ')}`,
    );
  }
  return scenario;
}

/** `--dns-view <view>` (both services) or `--dns-view dps=<view>,hub=<view>` (either or both). */
function parseDnsViews(spec: string): ScenarioSetup['dnsViews'] {
  const view = (v: string): LabDnsView => {
    if (!DNS_VIEWS.includes(v as LabDnsView))
      throw new UsageError(
        `--dns-view ${spec}: ${JSON.stringify(v)} is not a view; use one of ${DNS_VIEWS.join(', ')}`,
      );
    return v as LabDnsView;
  };
  if (!spec.includes('=')) return { dps: view(spec), hub: view(spec) };
  const views: ScenarioSetup['dnsViews'] = {};
  for (const part of spec.split(',')) {
    const [target, v = ''] = part.split('=');
    if (target !== 'dps' && target !== 'hub')
      throw new UsageError(
        `--dns-view ${spec}: ${JSON.stringify(target)} is not dps or hub; use dps=<view>,hub=<view>`,
      );
    views[target] = view(v);
  }
  return views;
}

/** `--fault <kind>`: the kind with its defaults. */
function parseFault(kind: string): LabFault {
  const fault = CLI_FAULTS[kind];
  if (!fault)
    throw new UsageError(
      `--fault ${JSON.stringify(kind)} is not a fault kind; use one of ${Object.keys(CLI_FAULTS).join(', ')}`,
    );
  return fault;
}

/** The scenario's setup with the flags' on top: a flag's DNS view replaces the scenario's, faults add up. */
function mergeSetup(base: ScenarioSetup, flags: ScenarioSetup): ScenarioSetup {
  const clockOffsetMs = flags.clockOffsetMs ?? base.clockOffsetMs;
  return {
    dnsViews: { ...base.dnsViews, ...flags.dnsViews },
    faults: [...(base.faults ?? []), ...(flags.faults ?? [])],
    ...(clockOffsetMs !== undefined ? { clockOffsetMs } : {}),
  };
}

/** `--list-scenarios`: each name and its one-line summary, wrapped to 80 columns. */
function listScenarios(): string {
  return LAB_SCENARIOS.map((s) => `${s.name}\n${wrapWords(s.summary.split(' '), 4, ' ')}`).join('\n');
}

class UsageError extends Error {}

function writeSecret(file: string, content: string): string {
  fs.writeFileSync(file, content, { mode: 0o600 });
  return file;
}

/** 2 for a bad option (the user's to fix), 1 for anything else. */
function exitCodeOf(err: unknown): number {
  return err instanceof DpsPrivateLinkError && err.code === 'ERR_INVALID_OPTION' ? 2 : 1;
}

async function main(argv: string[]): Promise<number> {
  let args: Args;
  try {
    args = parse(argv);
  } catch (err) {
    // one line naming the input and the valid values; the whole usage would bury it
    process.stderr.write(`dps-lab: ${(err as Error).message} (see dps-lab --help)\n`);
    return 2;
  }
  if (args.version) {
    // package.json is two levels up both from dist/lab (installed) and from src/lab (a clone under tsx).
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      version: string;
    };
    process.stdout.write(`dps-lab ${pkg.version}\n`);
    return 0;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (args.listScenarios) {
    process.stdout.write(`${listScenarios()}\n`);
    return 0;
  }
  let lab: LabHandle;
  try {
    lab = await startLab(args.lab);
  } catch (err) {
    process.stderr.write(`dps-lab: ${(err as Error).message}\n`);
    return exitCodeOf(err);
  }
  // Listen for the stop signals before printing: whoever reads the summary may signal at once.
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  try {
    applySetup(lab, args.setup);
    const outDir = args.outDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'dps-lab-'));
    const { caFile, devices } = await writeCredentials(lab, outDir, args.devices);
    process.stdout.write(
      args.json
        ? `${JSON.stringify(labSummary(lab, caFile, devices, args.scenario))}\n`
        : `${formatLabSummary(lab, caFile, devices, args.scenario)}\n`,
    );
  } catch (err) {
    await lab.close();
    process.stderr.write(`dps-lab: ${(err as Error).message}\n`);
    return exitCodeOf(err);
  }
  await stopped;
  await lab.close();
  return 0;
}

/** Write the lab CA, enroll each device and write its credentials (mode 600) into `outDir`. */
async function writeCredentials(
  lab: LabHandle,
  outDir: string,
  wanted: Args['devices'],
): Promise<{ caFile: string; devices: DeviceFiles[] }> {
  fs.mkdirSync(outDir, { recursive: true });
  const caFile = path.join(outDir, 'lab-root-ca.pem');
  fs.writeFileSync(caFile, lab.caPem);
  const devices: DeviceFiles[] = [];
  for (const { id, kind } of wanted) {
    const device = await lab.createDevice(id, kind);
    const files: DeviceFiles['files'] =
      'cert' in device.auth
        ? {
            cert: writeSecret(path.join(outDir, `${id}.cert.pem`), device.auth.cert),
            key: writeSecret(path.join(outDir, `${id}.key.pem`), device.auth.key),
          }
        : { symmetricKey: writeSecret(path.join(outDir, `${id}.key.txt`), device.auth.symmetricKey) };
    devices.push({ device, files });
  }
  return { caFile, devices };
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`dps-lab: unexpected error: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
