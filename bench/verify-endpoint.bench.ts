// verifyEndpoint against the loopback DNS server: latency of 1,000 sequential calls (median, p95), and proof that
// each call costs one round trip per resolver (A and AAAA sent together: exactly 2 queries per server per call).
// Loopback only. Run: npm run bench -- verify-endpoint
import { performance } from 'node:perf_hooks';
import { startDnsServer } from '../src/lab/dns-server';
import { verifyEndpoint } from '../src/endpoint';

const HOST = 'mydps.azure-devices-provisioning.net';
const PL = 'mydps.privatelink.azure-devices-provisioning.net';
const ZONE = { [HOST]: { cname: PL }, [PL]: { a: ['10.1.2.4'] } };
const CALLS = 1000;
const WARMUP = 50;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function scenario(label: string, serverCount: number): Promise<boolean> {
  const servers = await Promise.all(
    Array.from({ length: serverCount }, (_, i) => startDnsServer({ address: `127.0.0.${i + 1}`, zone: ZONE })),
  );
  const network = { expectedCidrs: ['10.1.0.0/16'], dnsServers: servers.map((s) => s.endpoint) };
  try {
    for (let i = 0; i < WARMUP; i++) await verifyEndpoint(HOST, network);
    const before = servers.map((s) => s.queryCount());
    const times: number[] = [];
    let wrong = 0;
    for (let i = 0; i < CALLS; i++) {
      const t0 = performance.now();
      const report = await verifyEndpoint(HOST, network);
      times.push(performance.now() - t0);
      if (report.verdict !== 'private-in-vnet') wrong++;
    }
    const perServer = servers.map((s, i) => (s.queryCount() - (before[i] as number)) / CALLS);
    times.sort((a, b) => a - b);
    const ok = wrong === 0 && perServer.every((q) => q === 2);
    console.log(
      `${label}: ${CALLS} calls, median ${percentile(times, 50).toFixed(3)} ms, p95 ${percentile(times, 95).toFixed(3)} ms, ` +
        `p99 ${percentile(times, 99).toFixed(3)} ms, max ${(times[times.length - 1] as number).toFixed(3)} ms; ` +
        `queries per call per server: ${perServer.join(', ')} (A+AAAA in one round trip = 2)${wrong ? `; ${wrong} wrong verdicts` : ''} ${ok ? 'OK' : 'FAIL'}`,
    );
    return ok;
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
}

(async () => {
  console.log(
    `node ${process.version}, hosts file ${process.platform === 'win32' ? '(windows)' : '/etc/hosts'} read on every call`,
  );
  const results = [await scenario('1 DNS server ', 1), await scenario('2 DNS servers', 2)];
  process.exit(results.every(Boolean) ? 0 : 1);
})().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
