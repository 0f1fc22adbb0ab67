// reboot-to-telemetry and reboot-to-telemetry-cached: a fresh `node` process from start to its first telemetry
// message accepted by the hub (PUBACK), read as performance.now() in the process (Node's own start-up included).
//
//   npm run bench -- boot [--quick]
//
// A: connectDevice (provision, verify the hub, open the pinned hub client) + sendEvent. B: the plain SDK register, then
// azure-iot-device's Client over MQTT, open, sendEvent. Uncached: one lab at retry-after 0 for both. Cached: A reads
// its cached assignment (DNS still verified, no DPS contact); B re-provisions at every boot against a lab at
// retry-after 1 s, as DPS sends.
// By design A names the hub user agent itself; B's SDK runs `lsb_release -a` (getos) before its hub CONNECT.
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { alternate, compare, entry, publish, runMain, size, type Entry } from './lib/harness';
import { startLabProcess, type LabProcess } from './lib/lab-process';
import { runWorker } from './lib/worker';

const boot = async (lab: LabProcess, args: string[]): Promise<number> =>
  (await runWorker<{ ms: number }>(lab, ['reboot', ...args])).ms;

async function scenario(retryAfterSeconds: number, cached: boolean): Promise<Entry> {
  // Each lab on its own loopback addresses: the plain SDK dials 8883, so two labs cannot share an address.
  const n = retryAfterSeconds === 0 ? 0 : 1;
  const lab = await startLabProcess(
    {
      retryAfterSeconds,
      dnsAddress: `127.0.7${n}.53`,
      dpsAddress: `127.10.7${n}.10`,
      hubAddress: `127.10.7${n}.20`,
      publicTwinAddress: `127.200.7${n}.1`,
      hubPublicTwinAddress: `127.200.7${n}.2`,
      wsPort: 0,
    },
    [{ prefix: 'bench-boot', kind: 'x509-individual', count: 1 }],
  );
  try {
    const cache = cached ? [path.join(mkdtempSync(path.join(lab.dir, 'state-')), 'assignment.json')] : [];
    // The warm-up boot of A writes the cache the measured ones read.
    const r = await alternate(
      size(15, 5),
      1,
      () => boot(lab, ['ours', ...cache]),
      () => boot(lab, ['plain']),
    );
    const id = cached ? 'reboot-to-telemetry-cached' : 'reboot-to-telemetry';
    const note = cached
      ? 'A: assignment cached, DNS verified, no DPS contact; B: the plain SDK re-provisioning, lab retry-after 1 s'
      : 'no cache, lab retry-after 0; performance.now() at the PUBACK of the first message';
    return entry(id, compare('ms', r.a, r.b, { atMost: cached ? 0.5 : 1.0 }), { note });
  } finally {
    await lab.close();
  }
}

async function main(): Promise<void> {
  publish([await scenario(0, false), await scenario(1, true)]);
}

runMain(main);
