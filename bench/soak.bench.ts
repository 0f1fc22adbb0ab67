// Soak: does a long run leak? 5,000 sequential provisionings and 2,000 hub reconnects (create, open, close) against
// the local lab (retry-after 0), sampling RSS, heap used after a full GC, and the active resources
// (process.getActiveResourcesInfo()) every SAMPLE_EVERY iterations. Reports start / middle / end and the slope of a
// least-squares line through the samples (per 1,000 iterations); exits 1 on clear growth.
//
//   npm run bench -- soak                 (or: node --import tsx --expose-gc bench/soak.bench.ts [--quick])
//   --quick: 500 provisionings and 200 reconnects. PROVISIONS / RECONNECTS override the counts.
//   BENCH_OUT=<file>: also writes the figures as a JSON array of entries { id, unit, value, ... }.
//
// Growth is "clear" when, from the middle of the run (warm-up over: JIT, TLS session caches, the lab's own state) to
// the end, heap used or external memory (Buffers) grows more than 8 MB with a second-half slope above 1 MB per 1,000
// iterations, or RSS grows more than 64 MB, or any resource kind is more numerous at the end than at the start (a
// Buffer leak of 200 KB per provisioning fails a 300-iteration run on the external figure). The lab runs in this
// process (its handles are counted in the baseline; its per-device records grow by design, so each phase reuses one
// device).
//
// Network: the lab binds loopback only; as root, bench/run.ts runs this inside a fresh network namespace.
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createHubClient, openHubClient, provisionDevice } from '../src/index';
import type { ProvisioningResult } from '../src/index';
import { startLab } from '../src/lab/lab';
import type { LabDevice, LabHandle } from '../src/lab/types';

const QUICK = process.argv.includes('--quick');
const PROVISIONS = Number(process.env.PROVISIONS ?? (QUICK ? 500 : 5000));
const RECONNECTS = Number(process.env.RECONNECTS ?? (QUICK ? 200 : 2000));
/** Samples per phase: enough points for a slope, few enough that the forced GCs do not dominate. */
const SAMPLES = 20;
const MB = 1024 * 1024;

interface Sample {
  iteration: number;
  rssMb: number;
  heapUsedMb: number;
  /** Memory outside the JS heap that JS objects own (Buffers, ArrayBuffers): a leak of Buffers grows this. */
  externalMb: number;
  resources: Record<string, number>;
}

interface PhaseReport {
  phase: string;
  iterations: number;
  seconds: number;
  perIterationMs: number;
  samples: Sample[];
  heapSlopeMbPer1k: number;
  heapSlopeSecondHalfMbPer1k: number;
  rssSlopeMbPer1k: number;
  growth: string[];
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('run with --expose-gc (bench/run.ts does): heap figures need a full GC before each sample');
  process.exit(2);
}

async function sample(iteration: number): Promise<Sample> {
  // Let closing sockets and timers finish before counting them, then collect twice (weak refs, finalizers).
  await new Promise((r) => setTimeout(r, 50));
  gc!();
  gc!();
  const resources: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) resources[r] = (resources[r] ?? 0) + 1;
  const m = process.memoryUsage();
  return { iteration, rssMb: m.rss / MB, heapUsedMb: m.heapUsed / MB, externalMb: m.external / MB, resources };
}

/** Least-squares slope of `y` over `x`, scaled to per 1,000 iterations. */
function slopePer1k(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return den === 0 ? 0 : (num / den) * 1000;
}

function growthOf(samples: Sample[]): string[] {
  const first = samples[0]!;
  const mid = samples[Math.floor(samples.length / 2)]!;
  const last = samples[samples.length - 1]!;
  const secondHalf = samples.slice(Math.floor(samples.length / 2));
  const out: string[] = [];
  for (const [what, of] of [
    ['heap used', (s: Sample) => s.heapUsedMb],
    ['external (Buffers)', (s: Sample) => s.externalMb],
  ] as const) {
    const slope = slopePer1k(secondHalf.map((s) => ({ x: s.iteration, y: of(s) })));
    const grew = of(last) - of(mid);
    if (grew > 8 && slope > 1) out.push(`${what} grew ${grew.toFixed(1)} MB in the second half (${slope.toFixed(2)} MB/1k)`); // prettier-ignore
  }
  if (last.rssMb - mid.rssMb > 64) out.push(`RSS grew ${(last.rssMb - mid.rssMb).toFixed(1)} MB in the second half`);
  for (const [kind, n] of Object.entries(last.resources)) {
    const before = first.resources[kind] ?? 0;
    if (n > before) out.push(`${n - before} more ${kind} at the end than at the start`);
  }
  return out;
}

async function phase(name: string, iterations: number, once: (i: number) => Promise<void>): Promise<PhaseReport> {
  const every = Math.max(1, Math.floor(iterations / SAMPLES));
  const samples: Sample[] = [await sample(0)];
  const started = performance.now();
  let busy = 0;
  for (let i = 1; i <= iterations; i++) {
    const t0 = performance.now();
    await once(i);
    busy += performance.now() - t0;
    if (i % every === 0 || i === iterations) {
      samples.push(await sample(i));
      const s = samples[samples.length - 1]!;
      process.stdout.write(
        `  ${name} ${i}/${iterations}: rss ${s.rssMb.toFixed(1)} MB, heap ${s.heapUsedMb.toFixed(1)} MB\n`,
      );
    }
  }
  const xs = (f: (s: Sample) => number): { x: number; y: number }[] =>
    samples.map((s) => ({ x: s.iteration, y: f(s) }));
  const secondHalf = samples.slice(Math.floor(samples.length / 2));
  return {
    phase: name,
    iterations,
    seconds: (performance.now() - started) / 1000,
    perIterationMs: busy / iterations,
    samples,
    heapSlopeMbPer1k: slopePer1k(xs((s) => s.heapUsedMb)),
    heapSlopeSecondHalfMbPer1k: slopePer1k(secondHalf.map((s) => ({ x: s.iteration, y: s.heapUsedMb }))),
    rssSlopeMbPer1k: slopePer1k(xs((s) => s.rssMb)),
    growth: growthOf(samples),
  };
}

function options(lab: LabHandle, device: LabDevice): Parameters<typeof provisionDevice>[0] {
  return {
    provisioningHost: lab.dps.host,
    idScope: lab.dps.idScope,
    registrationId: device.registrationId,
    auth: device.auth,
    network: { expectedCidrs: lab.vnetCidrs, dnsServers: [lab.dnsServer] },
    tls: { ca: lab.caPem },
    port: lab.dps.port,
    timeoutMs: 30_000,
  };
}

function show(r: PhaseReport): void {
  const first = r.samples[0]!;
  const mid = r.samples[Math.floor(r.samples.length / 2)]!;
  const last = r.samples[r.samples.length - 1]!;
  const res = (s: Sample): string => Object.entries(s.resources).map(([k, n]) => `${k}:${n}`).join(' '); // prettier-ignore
  console.log(`\n${r.phase}: ${r.iterations} in ${r.seconds.toFixed(1)} s (${r.perIterationMs.toFixed(1)} ms each)`);
  for (const [label, s] of [
    ['start', first],
    ['middle', mid],
    ['end', last],
  ] as const) {
    console.log(`  ${label.padEnd(6)} #${String(s.iteration).padStart(5)}  rss ${s.rssMb.toFixed(1)} MB  heap used ${s.heapUsedMb.toFixed(1)} MB  external ${s.externalMb.toFixed(1)} MB  ${res(s)}`); // prettier-ignore
  }
  console.log(
    `  slope per 1,000: heap ${r.heapSlopeMbPer1k.toFixed(2)} MB (second half ${r.heapSlopeSecondHalfMbPer1k.toFixed(2)} MB), ` +
      `rss ${r.rssSlopeMbPer1k.toFixed(2)} MB`,
  );
  console.log(r.growth.length ? `  GROWTH: ${r.growth.join('; ')}` : '  no clear growth');
}

function entries(reports: PhaseReport[]): object[] {
  return reports.flatMap((r) => {
    const last = r.samples[r.samples.length - 1]!;
    const first = r.samples[0]!;
    const base = { phase: r.phase, iterations: r.iterations, quick: QUICK };
    return [
      { id: `soak.${r.phase}.per-iteration`, unit: 'ms', value: r.perIterationMs, ...base },
      { id: `soak.${r.phase}.heap-slope`, unit: 'MB/1k', value: r.heapSlopeMbPer1k, secondHalf: r.heapSlopeSecondHalfMbPer1k, ...base }, // prettier-ignore
      { id: `soak.${r.phase}.rss-slope`, unit: 'MB/1k', value: r.rssSlopeMbPer1k, ...base },
      { id: `soak.${r.phase}.heap-used`, unit: 'MB', start: first.heapUsedMb, end: last.heapUsedMb, value: last.heapUsedMb, ...base }, // prettier-ignore
      { id: `soak.${r.phase}.external`, unit: 'MB', start: first.externalMb, end: last.externalMb, value: last.externalMb, ...base }, // prettier-ignore
      { id: `soak.${r.phase}.rss`, unit: 'MB', start: first.rssMb, end: last.rssMb, value: last.rssMb, ...base },
      { id: `soak.${r.phase}.resources`, unit: 'count', start: first.resources, end: last.resources, value: Object.values(last.resources).reduce((a, b) => a + b, 0), ...base }, // prettier-ignore
      { id: `soak.${r.phase}.growth`, unit: 'findings', value: r.growth.length, growth: r.growth, ...base },
    ];
  });
}

async function main(): Promise<void> {
  const mqttPort = 20000 + Math.floor(Math.random() * 20000);
  const lab = await startLab({ mqttPort, wsPort: mqttPort + 1, retryAfterSeconds: 0 });
  const reports: PhaseReport[] = [];
  try {
    console.log(`soak: ${PROVISIONS} provisionings, ${RECONNECTS} hub reconnects${QUICK ? ' (--quick)' : ''}`);
    const device = await lab.createDevice('soak-provision', 'symmetric-key');
    reports.push(
      await phase('provision', PROVISIONS, async () => {
        await provisionDevice(options(lab, device));
      }),
    );
    const hubDevice = await lab.createDevice('soak-hub', 'symmetric-key');
    const result: ProvisioningResult = await provisionDevice(options(lab, hubDevice));
    reports.push(
      await phase('hub-reconnect', RECONNECTS, async () => {
        const client = createHubClient(result, hubDevice.auth, { tls: { ca: lab.caPem }, port: lab.hub.port });
        try {
          await openHubClient(client, { timeoutMs: 30_000 });
        } finally {
          await client.close();
        }
      }),
    );
  } finally {
    await lab.close();
  }
  for (const r of reports) show(r);
  if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, `${JSON.stringify(entries(reports), null, 2)}\n`);
  const grew = reports.some((r) => r.growth.length > 0);
  console.log(grew ? '\nsoak: FAIL (clear growth)' : '\nsoak: ok');
  process.exitCode = grew ? 1 : 0;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
