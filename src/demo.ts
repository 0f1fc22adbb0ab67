// `npm start`: the whole flow on the local lab, on loopback only. Starts the lab (DNS, private DPS and hub, public
// twins), enrolls a demo device, provisions it with provisionDevice (printing each step), opens a pinned hub client,
// sends one telemetry message, prints the findings, shows what enforce does when DNS answers the public endpoint,
// and closes everything.
import { Message } from 'azure-iot-device';
import { startLab } from './lab/lab';
import { provisionDevice } from './provision/provision';
import { createHubClient, openHubClient } from './handoff/hub-client';
import { DpsPrivateLinkError } from './errors';
import { renderFindingsText, wrapLines } from './findings/render';
import type { Finding } from './findings/types';
import type { ProgressEvent } from './provision/types';

/** The demo reads at 80 columns (a serial console, a narrow terminal): every line is wrapped there. */
const WIDTH = 80;

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
/** `text` wrapped to {@link WIDTH}: the first line starts with `first`, the others with `rest` (default: as deep). */
const say = (text: string, first = '  ', rest = ' '.repeat(first.length)): void =>
  out(wrapLines(text, first, rest, WIDTH).join('\n'));
const showFindings = (findings: readonly Finding[]): void =>
  out(renderFindingsText(findings, { indent: '    ', order: 'given', width: WIDTH }));
/** A progress step: its time and name, then its detail as `key value` pairs wrapped under the detail column. */
const showStep = (e: ProgressEvent): void => {
  const detail = Object.entries(e.detail)
    .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(',') : String(v)}`)
    .join('; ');
  say(detail, `  ${String(e.elapsedMs).padStart(5)} ms  ${e.step.padEnd(13)}`);
};

async function main(): Promise<number> {
  // Ephemeral ports so the demo runs without root and next to anything else; the lab binds loopback only.
  const lab = await startLab({ mqttPort: 0, wsPort: 0, retryAfterSeconds: 0 });
  try {
    out('lab (loopback only):');
    say(lab.dnsServer, '  DNS   ');
    say(`${lab.dps.host} -> ${lab.dps.address}:${lab.dps.port}`, '  DPS   ');
    say(`${lab.hub.host} -> ${lab.hub.address}:${lab.hub.port}`, '  hub   ');
    say(lab.vnetCidrs.join(', '), '  VNET  ');
    const device = await lab.createDevice('demo-device-01', 'x509-individual');
    const common = {
      provisioningHost: lab.dps.host,
      idScope: lab.dps.idScope,
      registrationId: device.registrationId,
      auth: device.auth,
      network: { expectedCidrs: lab.vnetCidrs, dnsServers: [lab.dnsServer] },
      tls: { ca: lab.caPem },
      port: lab.dps.port,
      wsPort: lab.dps.wsPort,
      timeoutMs: 10_000,
      onProgress: showStep,
    };

    out('\n1. provisionDevice through the private endpoint (policy enforce):');
    const result = await provisionDevice(common);
    say(
      `assigned ${result.deviceId} to ${result.assignedHub}; DPS ${result.dps.verdict} ` +
        `${result.dps.addresses.map((a) => a.address).join(',')}, TLS ${result.tls.protocol} ${result.tls.cipher}; ` +
        `hub ${result.hub.verdict}`,
    );
    out(`  findings: ${result.findings.length === 0 ? 'none' : ''}`);
    if (result.findings.length) showFindings(result.findings);

    out('\n2. createHubClient, pinned to the verified hub address, and one message:');
    const client = createHubClient(result, device.auth, {
      tls: { ca: lab.caPem },
      port: lab.hub.port,
      wsPort: lab.hub.wsPort,
    });
    await openHubClient(client);
    const message = new Message(JSON.stringify({ temperature: 21.5, from: 'dps-private-link demo' }));
    await client.sendEvent(message);
    await client.close();
    say(
      `sent; the hub received ${lab.received(result.deviceId).length} message(s): ${lab
        .received(result.deviceId)
        .map((m) => m.payload.toString())
        .join(' ')}`,
    );

    out('\n3. the same device when DNS answers the public endpoint (the resolver is not');
    out('   linked to the private zone):');
    lab.setDnsView('public');
    const before = lab.counters.connections.publicTwin + lab.counters.connections.dps;
    try {
      await provisionDevice({ ...common, onProgress: showStep });
      out('  unexpected: provisioning succeeded');
    } catch (err) {
      if (!(err instanceof DpsPrivateLinkError)) throw err;
      const made = lab.counters.connections.publicTwin + lab.counters.connections.dps - before;
      say(`refused before connecting: ${err.code} (connections made: ${made})`);
      showFindings(err.findings);
    } finally {
      lab.setDnsView('private');
    }
    return 0;
  } finally {
    await lab.close();
  }
}

main().then(
  (code) => {
    out('\ndone: everything closed.');
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
