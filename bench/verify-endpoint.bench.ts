// verify-endpoint: one verifyEndpoint call (A, in this process: what an app pays per call) against `dig` asking the
// same loopback DNS server for the same name (B, a process), alternating; reported, no target. Also checks that each
// call costs one round trip per resolver (A and AAAA sent together: exactly 2 queries per server per call), and
// times node's own dns.Resolver resolve4 against the same server, in process, for scale.
//
//   npm run bench -- verify-endpoint [--quick]
import { spawn } from 'node:child_process';
import dns from 'node:dns';
import { startDnsServer } from '../src/lab/dns-server';
import { verifyEndpoint } from '../src/endpoint';
import { alternate, compare, entry, publish, runMain, size, stats } from './lib/harness';

const HOST = 'mydps.azure-devices-provisioning.net';
const PL = 'mydps.privatelink.azure-devices-provisioning.net';
const ZONE = { [HOST]: { cname: PL }, [PL]: { a: ['10.1.2.4'] } };

async function main(): Promise<void> {
  const server = await startDnsServer({ address: '127.0.0.1', zone: ZONE });
  const network = { expectedCidrs: ['10.1.0.0/16'], dnsServers: [server.endpoint] };
  const [ip, port] = server.endpoint.split(':') as [string, string];
  try {
    let wrong = 0;
    const ours = async (): Promise<number> => {
      const t0 = performance.now();
      const report = await verifyEndpoint(HOST, network);
      if (report.verdict !== 'private-in-vnet') wrong++;
      return performance.now() - t0;
    };
    // dig runs while the server answers in this process: spawnSync would block it, so spawn asynchronously.
    const dig = (): Promise<number> =>
      new Promise((resolve, reject) => {
        const t0 = performance.now();
        const child = spawn('dig', ['@' + ip, '-p', port, HOST, 'A', '+tries=1', '+time=2']);
        child.on('error', reject);
        child.on('close', (code: number) =>
          code === 0 ? resolve(performance.now() - t0) : reject(new Error(`dig ${code}`)),
        );
      });
    const before = server.queryCount();
    const r = await alternate(size(200, 50), 20, ours, dig);
    const queriesPerCall = (server.queryCount() - before - (r.b.length + 20)) / (r.a.length + 20);
    const resolver = new dns.promises.Resolver();
    resolver.setServers([server.endpoint]);
    const native: number[] = [];
    for (let i = 0; i < size(200, 50); i++) {
      const t0 = performance.now();
      await resolver.resolve4(HOST);
      native.push(performance.now() - t0);
    }
    if (wrong) throw new Error(`${wrong} verdicts were not private-in-vnet`);
    publish([
      entry('verify-endpoint', compare('ms', r.a, r.b, 'report'), {
        note:
          `A in process, B a dig process; ${queriesPerCall.toFixed(2)} queries per verifyEndpoint call (A+AAAA in one ` +
          `round trip = 2); node's dns.Resolver resolve4, in process: median ${stats(native).median.toFixed(3)} ms`,
      }),
    ]);
  } finally {
    await server.close();
  }
}

runMain(main);
