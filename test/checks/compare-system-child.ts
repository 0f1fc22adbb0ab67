// Run by compare-system-real-getaddrinfo.test.ts inside its own network and mount namespace, where /etc/resolv.conf
// names only loopback: dps-dns --compare-system with the real getaddrinfo (no systemLookup seam). Prints the
// findings as JSON. `dead`: nothing answers on 127.0.0.1:53; `public`: a DNS server there answers a public address;
// `rebind`: dnsmasq --stop-dns-rebind there, and verifyEndpoint asks only the system resolver.
import { dpsDns } from '../../src/checks/dps-dns';
import { verifyEndpoint } from '../../src/endpoint';
import type { Finding } from '../../src/findings/types';
import { startDnsmasq } from '../endpoint/dnsmasq-peer';
import { loadConfig } from '../../src/config/load';
import { startDnsServer } from '../../src/lab/dns-server';

const HOST = 'realgai-dps.azure-devices-provisioning.net';
const PL = 'realgai-dps.privatelink.azure-devices-provisioning.net';

async function main(mode: string): Promise<void> {
  const configured = await startDnsServer({
    address: '127.0.0.2',
    zone: { [HOST]: { cname: PL }, [PL]: { a: ['10.1.0.5'] } },
  });
  try {
    const findings =
      mode === 'rebind' ? await behindRebindFilter(configured.port) : await compareSystem(mode, configured.endpoint);
    const out = findings.map((f) => ({
      code: f.code,
      severity: f.severity,
      resolver: f.evidence['resolver'],
      message: f.message,
    }));
    process.stdout.write(JSON.stringify({ findings: out }));
  } finally {
    await configured.close();
  }
}

/** dps-dns --compare-system against `configured`; the system resolver of this namespace is 127.0.0.1:53. */
async function compareSystem(mode: string, configured: string): Promise<Finding[]> {
  // Answering as an unlinked resolver does.
  const system =
    mode === 'public'
      ? await startDnsServer({ address: '127.0.0.1', port: 53, zone: { [HOST]: { a: ['20.50.1.2'] } } })
      : undefined;
  try {
    const loaded = loadConfig({
      flags: { provisioningHost: HOST, expectedCidrs: ['10.1.0.0/16'], dnsServers: [configured] },
    });
    const out = await dpsDns.run({
      loaded,
      config: loaded.config,
      settings: { register: false, compareSystem: true, timeoutMs: 3000, now: () => new Date() },
      state: {},
    });
    return out.findings ?? [];
  } finally {
    await system?.close();
  }
}

/** verifyEndpoint through getaddrinfo, whose resolver is dnsmasq --stop-dns-rebind forwarding to 127.0.0.2. */
async function behindRebindFilter(upstreamPort: number): Promise<Finding[]> {
  const router = await startDnsmasq(
    '127.0.0.1',
    ['--stop-dns-rebind', `--server=/azure-devices-provisioning.net/127.0.0.2#${upstreamPort}`],
    53,
  );
  try {
    const report = await verifyEndpoint(HOST, { expectedCidrs: ['10.1.0.0/16'] }, { hostsFile: '/nonexistent/hosts' });
    return report.findings;
  } finally {
    await router.stop();
  }
}

main(process.argv[2] ?? 'dead').catch((err: unknown) => {
  process.stderr.write(String((err as Error)?.stack ?? err));
  process.exitCode = 1;
});
