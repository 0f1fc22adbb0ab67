// provision-overhead, cpu-per-registration and one-device-rss: provisionDevice (A) against the plain SDK register (B)
// on one lab (its own process) with retry-after 0, so no wait hides the overhead. X.509 device (RSA 2048).
//
//   npm run bench -- provision [--quick]
//
// provision-overhead and cpu-per-registration come from one worker process that runs A B A B … after a warm-up:
// wall time and process CPU (user+sys) around each call. Where A's time goes is read from its progress events.
// one-device-rss: a fresh process per sample that provisions once and reports its peak RSS, A and B alternating.
import { alternate, compare, entry, publish, runMain, size, stats, type Entry } from './lib/harness';
import { startLabProcess } from './lib/lab-process';
import { runWorker } from './lib/worker';

interface Sample {
  ms: number;
  cpu: number;
  marks?: [string, number][];
}

const PHASES: [string, string, string][] = [
  ['options, credentials', 'start', 'resolving'],
  ['DPS DNS verification', 'resolving', 'verified'],
  ['to first dial', 'verified', 'connecting'],
  ['TCP + TLS', 'connecting', 'tls'],
  ['MQTT CONNECT/CONNACK', 'tls', 'registering'],
  ['register + poll', 'registering', 'assigned'],
  ['hub DNS verification', 'assigned', 'hub-verified'],
  ['close, result', 'hub-verified', 'end'],
];

/** Median of each phase between progress events: the floor of each step is visible beside the total. */
function breakdown(samples: Sample[]): string {
  const parts = PHASES.map(([label, from, to]) => {
    const d = samples.map((s) => {
      const at = (step: string): number =>
        step === 'start' ? 0 : step === 'end' ? s.ms : (s.marks?.find(([m]) => m === step)?.[1] ?? NaN);
      return at(to) - at(from);
    });
    return `${label} ${stats(d.filter((x) => Number.isFinite(x))).median.toFixed(2)}`;
  });
  return `A's time by step (medians, ms): ${parts.join('; ')}`;
}

async function main(): Promise<void> {
  const pairs = size(40, 12);
  const lab = await startLabProcess({ retryAfterSeconds: 0 }, [
    { prefix: 'bench-prov', kind: 'x509-individual', count: 1 },
  ]);
  const entries: Entry[] = [];
  try {
    const overhead = (env: Record<string, string>): Promise<{ a: Sample[]; b: Sample[] }> =>
      runWorker(lab, ['overhead', String(pairs), String(size(5, 3))], { env });
    const run = await overhead({});
    const asWritten = await overhead({ DPL_BENCH_NODELAY: '0' });
    const note =
      `${pairs} alternating pairs in one process after a warm-up; B with TCP_NODELAY as A (see bench/lib/lab-resolver.js). ` +
      `The SDK as written (Nagle on): A ${stats(asWritten.a.map((s) => s.ms)).median.toFixed(1)} ms vs B ` +
      `${stats(asWritten.b.map((s) => s.ms)).median.toFixed(1)} ms. ${breakdown(run.a)}`;
    entries.push(
      entry(
        'provision-overhead',
        compare(
          'ms',
          run.a.map((s) => s.ms),
          run.b.map((s) => s.ms),
          { atMost: 1.05 },
        ),
        { note },
      ),
    );
    entries.push(
      entry(
        'cpu-per-registration',
        compare(
          'ms CPU',
          run.a.map((s) => s.cpu),
          run.b.map((s) => s.cpu),
          { atMost: 1.1 },
        ),
        {
          note: 'process.cpuUsage (user+sys) around each call; the lab runs in another process',
        },
      ),
    );
    const rss = await alternate(
      size(10, 4),
      1,
      async () => (await runWorker<{ maxRssKb: number }>(lab, ['once', 'ours'])).maxRssKb / 1024,
      async () => (await runWorker<{ maxRssKb: number }>(lab, ['once', 'plain'])).maxRssKb / 1024,
    );
    entries.push(
      entry('one-device-rss', compare('MiB', rss.a, rss.b, { atMost: 1.1 }), {
        note: 'peak RSS (getrusage maxRSS) of a fresh node process that provisions once',
      }),
    );
  } finally {
    await lab.close();
  }
  publish(entries);
}

runMain(main);
