// Raspberry Pi sample: read the device's JSON config (the same file `dps-check --config` reads), provision through
// DPS over the private endpoint, hand off to the assigned hub and send telemetry.
//
//   DPS_KEY_PASSPHRASE=... npx tsx samples/raspberry-pi/app.ts /etc/dps/device.json [--count 3] [--interval-ms 5000]
//   npx tsx samples/raspberry-pi/app.ts --lab            # the same flow against the built-in local lab (loopback)
//
// In your own app import from 'dps-private-link' instead of '../../src'.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Message } from 'azure-iot-device';
import {
  DpsPrivateLinkError,
  createHubClient,
  loadConfig,
  loadDeviceIdentity,
  openHubClient,
  provisionDevice,
  startLab,
  type DeviceAuth,
  type LabHandle,
  type LoadedConfig,
} from '../../src/index';

const out = (line: string): void => void process.stdout.write(`${line}\n`);

/** CPU temperature on a Pi (millidegrees in sysfs); a plausible reading elsewhere. */
function temperatureC(): number {
  try {
    return Number(readFileSync('/sys/class/thermal/thermal_zone0/temp', 'utf8').trim()) / 1000;
  } catch {
    return Math.round((40 + Math.random() * 10) * 10) / 10;
  }
}

/** Credentials from the config: X.509 files (key decrypted with DPS_KEY_PASSPHRASE) or DPS_SYMMETRIC_KEY. */
function authOf(loaded: LoadedConfig): DeviceAuth {
  const { config } = loaded;
  if (config.certFile && config.keyFile) {
    const id = loadDeviceIdentity({
      certFile: config.certFile,
      keyFile: config.keyFile,
      ...(loaded.passphrase ? { passphrase: loaded.passphrase } : {}),
    });
    return { cert: id.certPem, key: id.key!.export({ type: 'pkcs8', format: 'pem' }) as string };
  }
  if (loaded.symmetricKey) return { symmetricKey: loaded.symmetricKey };
  throw new DpsPrivateLinkError(
    'ERR_INVALID_OPTION',
    'No device credentials: set certFile/keyFile in the config, or DPS_SYMMETRIC_KEY.',
  );
}

/** Starts the lab, enrolls a device and writes a config file for it next to its credentials. */
async function labConfig(dir: string): Promise<{ lab: LabHandle; file: string }> {
  const lab = await startLab({ mqttPort: 0, wsPort: 0, retryAfterSeconds: 0 });
  const device = await lab.createDevice('pi-0001', 'x509-individual');
  if (!('cert' in device.auth)) throw new Error('expected X.509 credentials');
  writeFileSync(path.join(dir, 'pi-0001.pem'), device.auth.cert, { mode: 0o600 });
  writeFileSync(path.join(dir, 'pi-0001.key'), device.auth.key, { mode: 0o600 });
  writeFileSync(path.join(dir, 'lab-ca.pem'), lab.caPem);
  const file = path.join(dir, 'device.json');
  writeFileSync(
    file,
    JSON.stringify(
      {
        provisioningHost: lab.dps.host,
        idScope: lab.dps.idScope,
        registrationId: device.registrationId,
        certFile: 'pi-0001.pem',
        keyFile: 'pi-0001.key',
        caFile: 'lab-ca.pem',
        expectedCidrs: lab.vnetCidrs,
        dnsServers: [lab.dnsServer],
        port: lab.dps.port,
        wsPort: lab.dps.wsPort,
        hubPort: lab.hub.port,
      },
      null,
      2,
    ),
  );
  return { lab, file };
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { lab: { type: 'boolean' }, count: { type: 'string' }, 'interval-ms': { type: 'string' } },
    allowPositionals: true,
  });
  const count = Number(values.count ?? 3);
  const intervalMs = Number(values['interval-ms'] ?? 1000);
  let lab: LabHandle | undefined;
  let configFile = positionals[0] ?? process.env['DPS_CONFIG'];
  if (values.lab) {
    const started = await labConfig(mkdtempSync(path.join(os.tmpdir(), 'pi-sample-')));
    lab = started.lab;
    configFile = started.file;
    out(`lab: ${lab.dps.host} at ${lab.dps.address}:${lab.dps.port}, DNS ${lab.dnsServer}; config ${configFile}`);
  }
  if (!configFile) {
    process.stderr.write('usage: app.ts <device.json> | --lab   (or set DPS_CONFIG)\n');
    return 2;
  }
  try {
    const loaded = loadConfig({ configFile, env: process.env });
    const { config } = loaded;
    const auth = authOf(loaded);
    const ca = config.caFile ? readFileSync(config.caFile, 'utf8') : undefined;
    const result = await provisionDevice({
      provisioningHost: config.provisioningHost ?? '',
      idScope: config.idScope ?? '',
      registrationId: config.registrationId ?? '',
      auth,
      network: {
        expectedCidrs: config.expectedCidrs,
        policy: config.policy,
        ...(config.dnsServers.length ? { dnsServers: config.dnsServers } : {}),
      },
      transport: config.transport,
      ...(ca ? { tls: { ca } } : {}),
      port: config.port,
      wsPort: config.wsPort,
      // Re-use the assignment across reboots: DPS is only asked again when the hub refuses the cached identity.
      cache: { path: path.join(path.dirname(configFile), '.dps-assignment.json') },
      onProgress: (e) => out(`  ${e.step} ${JSON.stringify(e.detail)}`),
    });
    out(
      `provisioned ${result.deviceId} → ${result.assignedHub} (${result.fromCache ? 'from cache' : result.tls.protocol})`,
    );
    for (const f of result.findings) out(`  [${f.severity}] ${f.code}: ${f.message}`);
    const client = createHubClient(result, auth, {
      ...(ca ? { tls: { ca } } : {}),
      port: config.hubPort,
      ...(lab ? { wsPort: lab.hub.wsPort } : {}),
    });
    await openHubClient(client);
    for (let i = 0; i < count; i++) {
      const body = { deviceId: result.deviceId, temperatureC: temperatureC(), seq: i, at: new Date().toISOString() };
      const message = new Message(JSON.stringify(body));
      message.contentType = 'application/json';
      message.contentEncoding = 'utf-8';
      await client.sendEvent(message);
      out(`sent ${JSON.stringify(body)}`);
      if (i + 1 < count) await new Promise((r) => setTimeout(r, intervalMs));
    }
    await client.close();
    if (lab) out(`lab hub received ${lab.received(result.deviceId).length} message(s)`);
    return 0;
  } catch (err) {
    if (err instanceof DpsPrivateLinkError) {
      process.stderr.write(`${err.code}: ${err.message}\n`);
      for (const f of err.findings)
        process.stderr.write(`  [${f.severity}] ${f.code}: ${f.message}\n    fix: ${f.remediation}\n`);
      process.stderr.write(`Run dps-check --config ${configFile} for the full diagnosis.\n`);
      return 1;
    }
    throw err;
  } finally {
    await lab?.close();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`sample failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
