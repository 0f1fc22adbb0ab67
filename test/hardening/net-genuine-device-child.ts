// Runs inside the "device" network namespace of net-genuine-private-addresses.test.ts: provisionDevice (and, when
// asked, the hub hand-off with one telemetry message) through a recording connector. Prints one JSON line.
import { Message } from 'azure-iot-device';
import { createHubClient, openHubClient, provisionDevice } from '../../src/index';
import { recordingConnector } from '../support/recording-connector';

const c = JSON.parse(process.env.DPL_DEVICE ?? '{}') as {
  host: string;
  idScope: string;
  registrationId: string;
  auth: { symmetricKey: string };
  caPem: string;
  dnsServer: string;
  expectedCidrs: string[];
  dpsPort: number;
  hubPort: number;
  hub: boolean;
};

async function main(): Promise<void> {
  const { calls, connector } = recordingConnector(['tls', 'inspect', 'proxy']);
  try {
    const result = await provisionDevice({
      provisioningHost: c.host,
      idScope: c.idScope,
      registrationId: c.registrationId,
      auth: c.auth,
      network: { expectedCidrs: c.expectedCidrs, dnsServers: [c.dnsServer] },
      tls: { ca: c.caPem },
      port: c.dpsPort,
      timeoutMs: 10_000,
      connector,
    });
    let hub = 'not asked';
    if (c.hub) {
      const client = createHubClient(result, c.auth, { tls: { ca: c.caPem }, port: c.hubPort, connector });
      await openHubClient(client, { timeoutMs: 10_000 });
      await client.sendEvent(new Message('from a genuine private address'));
      await client.close();
      hub = 'sent';
    }
    out({
      ok: true,
      assignedHub: result.assignedHub,
      dps: result.dps.addresses.map((a) => `${a.address} ${a.addressClass} ${a.inExpectedRange}`),
      hubAddresses: result.hub.addresses.map((a) => `${a.address} ${a.addressClass} ${a.inExpectedRange}`),
      tls: result.tls.protocol,
      hub,
      calls,
    });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    out({ ok: false, code: e.code, message: e.message, calls });
  }
}

function out(o: object): void {
  process.stdout.write(JSON.stringify(o) + '\n', () => process.exit(0));
}

void main();
