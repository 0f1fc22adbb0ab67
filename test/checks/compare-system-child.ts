// Run by compare-system-real-getaddrinfo.test.ts inside its own network and mount namespace, where /etc/resolv.conf
// names only loopback: dps-dns --compare-system with the real getaddrinfo (no systemLookup seam). Prints the
// findings as JSON. `dead`: nothing answers on 127.0.0.1:53; `public`: a DNS server there answers a public address.
import { dpsDns } from '../../src/checks/dps-dns';
import { loadConfig } from '../../src/config/load';
import { startDnsServer } from '../../src/lab/dns-server';

const HOST = 'realgai-dps.azure-devices-provisioning.net';
const PL = 'realgai-dps.privatelink.azure-devices-provisioning.net';

async function main(mode: string): Promise<void> {
  const configured = await startDnsServer({
    address: '127.0.0.2',
    zone: { [HOST]: { cname: PL }, [PL]: { a: ['10.1.0.5'] } },
  });
  // The system resolver of this namespace (resolv.conf: nameserver 127.0.0.1), answering as an unlinked resolver does.
  const system =
    mode === 'public'
      ? await startDnsServer({ address: '127.0.0.1', port: 53, zone: { [HOST]: { a: ['20.50.1.2'] } } })
      : undefined;
  try {
    const loaded = loadConfig({
      flags: { provisioningHost: HOST, expectedCidrs: ['10.1.0.0/16'], dnsServers: [configured.endpoint] },
    });
    const out = await dpsDns.run({
      loaded,
      config: loaded.config,
      settings: { register: false, compareSystem: true, timeoutMs: 3000, now: () => new Date() },
      state: {},
    });
    const findings = (out.findings ?? []).map((f) => ({
      code: f.code,
      severity: f.severity,
      resolver: f.evidence['resolver'],
      message: f.message,
    }));
    process.stdout.write(JSON.stringify({ findings, system: out.evidence?.['system'] }));
  } finally {
    await configured.close();
    await system?.close();
  }
}

main(process.argv[2] ?? 'dead').catch((err: unknown) => {
  process.stderr.write(String((err as Error)?.stack ?? err));
  process.exitCode = 1;
});
