// Gateway sample: provisions several downstream devices concurrently (bounded), each through the private endpoint,
// then sends one message per device. Each device's failure is reported on its own; one bad device never stops the rest.
//
//   npx tsx samples/gateway/gateway.ts --lab [--devices 20] [--concurrency 5]
// npx tsx samples/gateway/gateway.ts devices.json      # [{ "registrationId", "certFile", "keyFile" } ...] + DPS_* env
//
// In your own app import from 'dps-private-link' instead of '../../src'.
import { readFileSync } from 'node:fs';
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
  type ProvisionOptions,
} from '../../src/index';

const out = (line: string): void => void process.stdout.write(`${line}\n`);

/** One downstream device. */
interface Downstream {
  registrationId: string;
  auth: DeviceAuth;
}

/** What happened to one device. */
interface Outcome {
  registrationId: string;
  ok: boolean;
  ms: number;
  detail: string;
}

/** Runs `work` over `items` with at most `limit` in flight (the gateway's uplink and DPS throttling both need it). */
async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  });
  await Promise.all(lanes);
  return results;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { lab: { type: 'boolean' }, devices: { type: 'string' }, concurrency: { type: 'string' } },
    allowPositionals: true,
  });
  const concurrency = Math.max(1, Number(values.concurrency ?? 5));
  let lab: LabHandle | undefined;
  let devices: Downstream[];
  let common: Omit<ProvisionOptions, 'registrationId' | 'auth'>;
  let hubPorts: { port?: number; wsPort?: number } = {};
  let ca: string | undefined;
  if (values.lab) {
    lab = await startLab({ mqttPort: 0, wsPort: 0, retryAfterSeconds: 0 });
    const n = Math.max(1, Number(values.devices ?? 10));
    devices = [];
    for (let i = 0; i < n; i++) {
      // A gateway's downstream devices typically share a group enrollment: same CA, one leaf each.
      const d = await lab.createDevice(`sensor-${String(i).padStart(3, '0')}`, 'x509-group');
      devices.push({ registrationId: d.registrationId, auth: d.auth });
    }
    ca = lab.caPem;
    common = {
      provisioningHost: lab.dps.host,
      idScope: lab.dps.idScope,
      network: { expectedCidrs: lab.vnetCidrs, dnsServers: [lab.dnsServer] },
      tls: { ca },
      port: lab.dps.port,
      wsPort: lab.dps.wsPort,
      timeoutMs: 30_000,
    };
    hubPorts = { port: lab.hub.port, wsPort: lab.hub.wsPort };
  } else {
    const list = positionals[0];
    if (!list) {
      process.stderr.write('usage: gateway.ts --lab | <devices.json>   (DPS settings from DPS_* env or DPS_CONFIG)\n');
      return 2;
    }
    const { config, passphrase } = loadConfig({ env: process.env });
    const entries = JSON.parse(readFileSync(list, 'utf8')) as {
      registrationId: string;
      certFile: string;
      keyFile: string;
    }[];
    devices = entries.map((e) => {
      const id = loadDeviceIdentity({
        certFile: path.resolve(path.dirname(list), e.certFile),
        keyFile: path.resolve(path.dirname(list), e.keyFile),
        ...(passphrase ? { passphrase } : {}),
      });
      return {
        registrationId: e.registrationId,
        auth: { cert: id.certPem, key: id.key!.export({ type: 'pkcs8', format: 'pem' }) as string },
      };
    });
    ca = config.caFile ? readFileSync(config.caFile, 'utf8') : undefined;
    common = {
      provisioningHost: config.provisioningHost ?? '',
      idScope: config.idScope ?? '',
      network: {
        expectedCidrs: config.expectedCidrs,
        policy: config.policy,
        ...(config.dnsServers.length ? { dnsServers: config.dnsServers } : {}),
      },
      transport: config.transport,
      ...(ca ? { tls: { ca } } : {}),
      port: config.port,
      wsPort: config.wsPort,
    };
    hubPorts = { port: config.hubPort };
  }

  try {
    const started = performance.now();
    out(`provisioning ${devices.length} devices, ${concurrency} at a time`);
    const outcomes = await mapLimit(devices, concurrency, async (d): Promise<Outcome> => {
      const t0 = performance.now();
      try {
        const result = await provisionDevice({ ...common, registrationId: d.registrationId, auth: d.auth });
        const client = createHubClient(result, d.auth, { ...(ca ? { tls: { ca } } : {}), ...hubPorts });
        await openHubClient(client);
        await client.sendEvent(
          new Message(JSON.stringify({ from: d.registrationId, via: 'gateway', at: new Date().toISOString() })),
        );
        await client.close();
        return {
          registrationId: d.registrationId,
          ok: true,
          ms: performance.now() - t0,
          detail: `${result.assignedHub} (${result.dps.addresses.map((a) => a.address).join(',')})`,
        };
      } catch (err) {
        const code = err instanceof DpsPrivateLinkError ? err.code : 'ERROR';
        return {
          registrationId: d.registrationId,
          ok: false,
          ms: performance.now() - t0,
          detail: `${code}: ${(err as Error).message}`,
        };
      }
    });
    for (const o of outcomes)
      out(
        `  ${o.ok ? '√' : '×'} ${o.registrationId.padEnd(12)} ${Math.round(o.ms).toString().padStart(5)} ms  ${o.detail}`,
      );
    const failed = outcomes.filter((o) => !o.ok).length;
    const wall = performance.now() - started;
    out(
      `${devices.length - failed}/${devices.length} online in ${Math.round(wall)} ms (${(devices.length / (wall / 1000)).toFixed(1)} devices/s)`,
    );
    if (lab) out(`lab: ${lab.counters.assigned} assigned, ${lab.counters.telemetry} messages received`);
    return failed ? 1 : 0;
  } finally {
    await lab?.close();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`gateway sample failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
