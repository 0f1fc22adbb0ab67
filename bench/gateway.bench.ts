// gateway-1000: one gateway process provisioning 1,000 devices (each its own X.509 identity, ECC P-256), 100 at a
// time, against a lab in its own process at retry-after 0. A: provisionDevice with one shared endpoint cache, as
// samples/gateway does; B: the plain SDK register, same concurrency. Throughput = registrations / wall time of the
// loop; peak RSS = getrusage maxRSS of the gateway process. After a warm-up pair, processes alternate A B A B.
//
//   npm run bench -- gateway [--quick]        (quick: 300 registrations over 300 devices, concurrency 50)
import { alternate, compare, entry, publish, runMain, size } from './lib/harness';
import { startLabProcess } from './lib/lab-process';
import { runWorker } from './lib/worker';

interface Run {
  ok: number;
  failed: number;
  errors: string[];
  wallMs: number;
  maxRssKb: number;
}

async function main(): Promise<void> {
  const total = size(1000, 300);
  const concurrency = size(100, 50);
  const lab = await startLabProcess({ retryAfterSeconds: 0 }, [
    { prefix: 'bench-gw', kind: 'x509-individual', count: total, keyType: 'ec' },
  ]);
  try {
    const gateway = async (side: 'ours' | 'plain', n = total): Promise<Run> => {
      const r = await runWorker<Run>(lab, ['gateway', side, String(n), String(concurrency)]);
      if (r.failed) throw new Error(`${side}: ${r.failed} of ${n} failed, e.g. ${r.errors.join(' | ')}`);
      return r;
    };
    // A warm-up pair first, a third of the size: the lab process is fresh, and whichever side ran first paid for its
    // JIT and caches (the first A of a run was up to 15 % slower than the rest). Then five pairs: the gateway's
    // throughput moves ±10 % between runs here, and a median of three followed it.
    await gateway('ours', Math.ceil(total / 3));
    await gateway('plain', Math.ceil(total / 3));
    const r = await alternate(
      size(5, 1),
      0,
      () => gateway('ours'),
      () => gateway('plain'),
    );
    const perSecond = (xs: Run[]): number[] => xs.map((x) => x.ok / (x.wallMs / 1000));
    const rss = (xs: Run[]): number[] => xs.map((x) => x.maxRssKb / 1024);
    publish([
      entry('gateway-1000', compare('registrations/s', perSecond(r.a), perSecond(r.b), { atLeast: 1.0 }), {
        also: [compare('MiB peak RSS', rss(r.a), rss(r.b), { atMost: 1.1 })],
        note: `${total} registrations (TLS handshake, CONNECT, register, poll; A also verifies DPS and hub DNS, cached within TTL), concurrency ${concurrency}`,
      }),
    ]);
  } finally {
    await lab.close();
  }
}

runMain(main);
