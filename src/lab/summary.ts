import { wrapLines } from '../findings/render';
import type { LabScenario } from './scenarios';
import type { LabDevice, LabHandle } from './types';

/** Where the CLI wrote one device's credentials (files, never stdout: keys are secrets). */
export interface DeviceFiles {
  device: LabDevice;
  /** x509: certificate chain and key files; symmetric: a file holding the key. */
  files: { cert?: string; key?: string; symmetricKey?: string };
}

/** The machine-readable description of a running lab (`dps-lab --json`). Holds no secrets, only file paths. */
export function labSummary(
  lab: LabHandle,
  caFile: string,
  devices: DeviceFiles[],
  scenario?: LabScenario,
): Record<string, unknown> {
  return {
    dnsServer: lab.dnsServer,
    vnetCidrs: lab.vnetCidrs,
    caFile,
    dps: lab.dps,
    publicTwin: lab.publicTwin,
    hub: lab.hub,
    clockOffsetMs: lab.clockOffsetMs,
    devices: devices.map(({ device, files }) => ({
      registrationId: device.registrationId,
      deviceId: device.deviceId,
      kind: device.kind,
      ...files,
      dpsCheck: dpsCheckCommand(lab, caFile, { device, files }, scenario),
    })),
    ...(scenario
      ? {
          scenario: {
            name: scenario.name,
            summary: scenario.summary,
            expect: scenario.expect,
            technician: scenario.technician,
          },
        }
      : {}),
  };
}

/** `words` joined by `separator` into lines of at most `width` columns, each indented by `indent` spaces. */
export function wrapWords(words: readonly string[], indent: number, separator = ', ', width = 80): string {
  if (words.length === 0) return '';
  const pad = ' '.repeat(indent);
  return wrapLines(words.join(separator), pad, pad, width).join('\n');
}

/** A dps-check command line for one lab device: arguments, and where a symmetric key comes from. */
export interface DpsCheckCommand {
  /** The arguments after `dps-check`, each one word (no shell quoting). */
  args: string[];
  /** Symmetric-key devices: the file whose content goes into DPS_SYMMETRIC_KEY (a key is never a flag). */
  symmetricKeyFile?: string;
}

/**
 * The dps-check command that checks `device` against this lab (with `--register`): the lab's DNS server, VNET and CA,
 * every port that is not the SDK's 8883/443, and what `scenario` changes in the device's configuration.
 */
export function dpsCheckCommand(
  lab: LabHandle,
  caFile: string,
  { device, files }: DeviceFiles,
  scenario?: LabScenario,
): DpsCheckCommand {
  const auth = files.cert ? ['--cert', files.cert, '--key', files.key ?? ''] : [];
  const args = [
    ...['--host', scenario?.device?.host ?? lab.dps.host, '--id-scope', lab.dps.idScope],
    ...['--registration-id', device.registrationId, ...auth],
    ...['--ca', caFile, '--dns-server', lab.dnsServer, '--expect-cidr', lab.vnetCidrs[0] ?? ''],
    ...portArgs(lab),
    '--register',
    ...(scenario?.device?.checkArgs ?? []),
  ];
  return files.symmetricKey ? { args, symmetricKeyFile: files.symmetricKey } : { args };
}

/** The port flags dps-check needs for this lab: the unmodified SDK always dials 8883/443, dps-check can be told. */
function portArgs(lab: LabHandle): string[] {
  const flags: [string, number, number][] = [
    ['--port', lab.dps.port, 8883],
    ['--ws-port', lab.dps.wsPort, 443],
    ['--hub-port', lab.hub.port, 8883],
    ['--hub-ws-port', lab.hub.wsPort, 443],
  ];
  return flags.flatMap(([flag, port, standard]) => (port === standard ? [] : [flag, String(port)]));
}

/** One shell word: left alone when it needs no quoting, else single-quoted. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command as pasteable shell lines (continued with `\`), each at most about 80 columns. */
export function formatCommand(command: DpsCheckCommand, indent = '  '): string[] {
  const head = command.symmetricKeyFile
    ? `DPS_SYMMETRIC_KEY="$(cat ${shellWord(command.symmetricKeyFile)})" dps-check`
    : 'dps-check';
  const lines: string[] = [];
  let line = `${indent}${head}`;
  // a flag and its value stay on one line
  for (const group of flagGroups(command.args)) {
    const words = group.map(shellWord).join(' ');
    if (line.trim().length > 0 && line.length + 1 + words.length > 78) {
      lines.push(`${line} \\`);
      line = `${indent}    ${words}`;
    } else line = `${line} ${words}`;
  }
  lines.push(line);
  return lines;
}

/** `--flag value` pairs (and lone `--flag`s) as groups. */
function flagGroups(args: readonly string[]): string[][] {
  const groups: string[][] = [];
  for (const arg of args) {
    const last = groups.at(-1);
    if (!arg.startsWith('--') && last && last.length === 1) last.push(arg);
    else groups.push([arg]);
  }
  return groups;
}

/** The human summary `dps-lab` prints: where everything listens and how to point a device at the lab. */
export function formatLabSummary(
  lab: LabHandle,
  caFile: string,
  devices: DeviceFiles[],
  scenario?: LabScenario,
): string {
  const { dps, hub, publicTwin } = lab;
  const lines = [
    'dps-private-link lab is running (loopback only). Ctrl-C stops it.',
    '',
    ...row('DNS server', `${lab.dnsServer}, a resolver linked to the DPS and hub private DNS zones`),
    ...row('VNET', lab.vnetCidrs.join(', ')),
    ...row(
      'DPS (private)',
      `${dps.host} -> ${dps.address}, ID scope ${dps.idScope}, mqtt ${dps.port}, ws ${dps.wsPort}`,
    ),
    ...row(
      'DPS (public twin)',
      `${publicTwin.address}, mqtt ${publicTwin.port}, ws ${publicTwin.wsPort} (public network access disabled: 401)`,
    ),
    ...row('Hub (private)', `${hub.host} -> ${hub.address}, mqtt ${hub.port}, ws ${hub.wsPort}`),
    ...row(
      'Hub (public twin)',
      `${hub.publicAddress}, mqtt ${hub.publicPort}, ws ${hub.publicWsPort} (public network access disabled: not authorized / 401)`,
    ),
    ...row('Lab root CA', `${caFile} (trust this, e.g. NODE_EXTRA_CA_CERTS)`),
  ];
  if (lab.clockOffsetMs !== 0) {
    const ms = lab.clockOffsetMs;
    lines.push(
      ...row(
        'Lab clock',
        `${Math.abs(ms)} ms ${ms > 0 ? 'ahead of' : 'behind'} this host (HTTP Date, DPS timestamps, SAS and certificate validity)`,
      ),
    );
  }
  for (const deviceFiles of devices) lines.push('', ...deviceLines(lab, caFile, deviceFiles, scenario));
  if (scenario) lines.push('', ...scenarioLines(scenario), ...portsNote(lab, scenario));
  return lines.join('\n');
}

/** One line of the lab's table: the label, then its text wrapped at 80 columns under itself. */
const row = (label: string, text: string): string[] => wrapLines(text, `  ${label.padEnd(18)}`, ' '.repeat(20), 80);

/** One device: the dps-check command for it, and the provisionDevice options that reach the lab. */
function deviceLines(lab: LabHandle, caFile: string, deviceFiles: DeviceFiles, scenario?: LabScenario): string[] {
  const { device } = deviceFiles;
  const host = scenario?.device?.host ?? lab.dps.host;
  return [
    `Device ${device.registrationId} (${device.kind}):`,
    ...formatCommand(dpsCheckCommand(lab, caFile, deviceFiles, scenario)),
    '  provisionDevice options:',
    `    { provisioningHost: '${host}',`,
    `      idScope: '${lab.dps.idScope}', registrationId: '${device.registrationId}',`,
    `      network: { expectedCidrs: [${lab.vnetCidrs.map((c) => `'${c}'`).join(', ')}],`,
    `                 dnsServers: ['${lab.dnsServer}'] },`,
    // The lab's ports are ephemeral unless fixed: options without the port would dial 8883.
    ...(lab.dps.port === 8883 ? [] : [`      port: ${lab.dps.port},`]),
    `      tls: { ca: <${caFile}> } }`,
  ];
}

/** A scenario that dials the public twin cannot work when the twin listens on other ports than the private endpoint. */
function portsNote(lab: LabHandle, scenario: LabScenario): string[] {
  const { dps, publicTwin } = lab;
  if (!scenario.device?.reachesPublicEndpoint || (publicTwin.port === dps.port && publicTwin.wsPort === dps.wsPort))
    return [];
  return [
    `Note: with ephemeral ports the public twin listens on :${publicTwin.port} and :${publicTwin.wsPort}, not on the`,
    '  ports dps-check dials: start dps-lab with fixed --mqtt-port and --ws-port to see this scenario.',
  ];
}

/** The scenario in force: what it staged and what the technician should see. */
export function scenarioLines(scenario: LabScenario): string[] {
  const failing = Object.entries(scenario.expect.checks).map(([id, result]) => `${id} (${result})`);
  return [
    `Scenario ${scenario.name}:`,
    wrapWords(scenario.summary.split(' '), 2, ' '),
    'What you should see when you run the dps-check command above:',
    wrapWords(scenario.technician.split(' '), 2, ' '),
    '  failing checks:',
    wrapWords(failing, 4),
    '  finding codes:',
    wrapWords(scenario.expect.codes, 4),
  ];
}
