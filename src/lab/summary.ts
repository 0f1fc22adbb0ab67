import type { LabDevice, LabHandle } from './types';

/** Where the CLI wrote one device's credentials (files, never stdout: keys are secrets). */
export interface DeviceFiles {
  device: LabDevice;
  /** x509: certificate chain and key files; symmetric: a file holding the key. */
  files: { cert?: string; key?: string; symmetricKey?: string };
}

/** The machine-readable description of a running lab (`dps-lab --json`). Holds no secrets, only file paths. */
export function labSummary(lab: LabHandle, caFile: string, devices: DeviceFiles[]): Record<string, unknown> {
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
    })),
  };
}

/** The human summary `dps-lab` prints: where everything listens and how to point a device at the lab. */
export function formatLabSummary(lab: LabHandle, caFile: string, devices: DeviceFiles[]): string {
  const lines = [
    'dps-private-link lab is running (loopback only). Ctrl-C stops it.',
    '',
    `  DNS server        ${lab.dnsServer}   ` +
      `(answers ${lab.dps.host} and ${lab.hub.host} like a resolver linked to the private zones)`,
    `  VNET              ${lab.vnetCidrs.join(', ')}`,
    `  DPS (private)     ${lab.dps.host} -> ${lab.dps.address}  mqtt :${lab.dps.port}  ws :${lab.dps.wsPort}  ` +
      `ID scope ${lab.dps.idScope}`,
    `  DPS (public twin) ${lab.publicTwin.address}  mqtt :${lab.publicTwin.port}  ws :${lab.publicTwin.wsPort}  ` +
      '(public network access disabled: 401)',
    `  Hub (private)     ${lab.hub.host} -> ${lab.hub.address}  mqtt :${lab.hub.port}  ws :${lab.hub.wsPort}`,
    `  Hub (public twin) ${lab.hub.publicAddress}  mqtt :${lab.hub.publicPort}  ws :${lab.hub.publicWsPort}  ` +
      '(public network access disabled: not authorized / 401)',
    `  Lab root CA       ${caFile}   (trust this, e.g. NODE_EXTRA_CA_CERTS)`,
  ];
  if (lab.clockOffsetMs !== 0) {
    const ms = lab.clockOffsetMs;
    lines.push(
      `  Lab clock         ${Math.abs(ms)} ms ${ms > 0 ? 'ahead of' : 'behind'} this host ` +
        '(HTTP Date, DPS timestamps, SAS and certificate validity)',
    );
  }
  // the unmodified SDK always dials 8883/443; dps-check can be told otherwise
  const ports =
    (lab.dps.port !== 8883 ? ` --port ${lab.dps.port} --hub-port ${lab.hub.port}` : '') +
    (lab.dps.wsPort !== 443 ? ` --ws-port ${lab.dps.wsPort}` : '');
  for (const { device, files } of devices) {
    lines.push('', `Device ${device.registrationId} (${device.kind}):`);
    const auth = files.cert ? `--cert ${files.cert} --key ${files.key}` : `(symmetric key in ${files.symmetricKey})`;
    lines.push(
      `  dps-check --host ${lab.dps.host} --id-scope ${lab.dps.idScope} ` +
        `--registration-id ${device.registrationId} ${auth} \\`,
      `            --ca ${caFile} --dns-server ${lab.dnsServer} ` +
        `--expect-cidr ${lab.vnetCidrs[0]} --register${ports}`,
      '  provisionDevice options:',
      `    { provisioningHost: '${lab.dps.host}', idScope: '${lab.dps.idScope}', ` +
        `registrationId: '${device.registrationId}',`,
      `      network: { expectedCidrs: ${JSON.stringify(lab.vnetCidrs)}, dnsServers: ['${lab.dnsServer}'] }, ` +
        `tls: { ca: <${caFile}> } }`,
    );
  }
  return lines.join('\n');
}
