// Shared helpers for provisioning tests against the local lab (loopback only, ephemeral ports).
import type { Connector } from '../../src/connection/connector';
import { recordingConnector } from './recording-connector';
import { startLab } from '../../src/lab/lab';
import { LabListenError } from '../../src/lab/errors';
import type { LabDevice, LabHandle } from '../../src/lab/types';
import type { ProvisionOptions } from '../../src/provision/types';

/**
 * A lab with retry-after 0 (fast tests) on a random high port shared by every listener, as in Azure where the private
 * endpoint and the public endpoint serve the same port: a client sent to the public twin meets it on that port.
 * Random, so two test runs in one network namespace do not collide; retried on EADDRINUSE.
 */
export async function startTestLab(): Promise<LabHandle> {
  for (let attempt = 0; ; attempt++) {
    const mqttPort = 20000 + Math.floor(Math.random() * 20000);
    try {
      return await startLab({ mqttPort, wsPort: mqttPort + 1, retryAfterSeconds: 0 });
    } catch (err) {
      if (attempt >= 5 || !(err instanceof LabListenError)) throw err;
    }
  }
}

/** provisionDevice options for `device` on `lab`: lab DNS, lab VNET, lab CA, the lab's ports. */
export function optionsFor(lab: LabHandle, device: LabDevice, over: Partial<ProvisionOptions> = {}): ProvisionOptions {
  return {
    provisioningHost: lab.dps.host,
    idScope: lab.dps.idScope,
    registrationId: device.registrationId,
    auth: device.auth,
    network: { expectedCidrs: lab.vnetCidrs, dnsServers: [lab.dnsServer] },
    tls: { ca: lab.caPem },
    port: lab.dps.port,
    wsPort: lab.dps.wsPort,
    timeoutMs: 10_000,
    ...over,
  };
}

/**
 * A recording connector for `optionsFor(…, { connector })` and `createHubClient(…, { connector })`: `calls` lists every
 * TLS connection and proxy tunnel (the DNS queries are left out: these tests count connections to services).
 */
export function spyOnConnector(): { calls: string[]; connector: Connector; restore(): void } {
  const { calls, connector } = recordingConnector(['tls', 'proxy']);
  return { calls, connector, restore: () => undefined };
}

/** Which way network-sensitive tests ran (test/run.sh sets DPL_TEST_NETNS). */
export const NETNS_NOTE =
  process.env.DPL_TEST_NETNS === '1'
    ? 'inside a fresh network namespace (loopback only)'
    : 'in the host network namespace: the proof is that no socket is opened at all';

/** Active handles other than stdio, for "no open handles" checks. */
export function activeHandles(): string[] {
  return process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap' && r !== 'PipeWrap' && r !== 'FSReqCallback');
}

/** Waits until `activeHandles()` is back to `baseline` (handles close asynchronously), or gives up after `ms`. */
export async function settleHandles(baseline: string[], ms = 1500): Promise<string[]> {
  const deadline = Date.now() + ms;
  let now = activeHandles();
  while (now.length > baseline.length && Date.now() < deadline) {
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 20));
    now = activeHandles();
  }
  return now;
}
