// provisionDevice vs the plain SDK on the same lab, same device kind, same retry-after (1 s, as DPS sends).
//
//   npm run bench -- provision          (or: node --import tsx bench/provision.bench.ts)
//   RUNS=30 (default) alternating A/B pairs in ONE worker process: wall time, medians, p95, ratio (target <= 1.02).
//   Peak RSS: separate child processes per variant (maxRSS after RSS_RUNS provisions), alternated, medians.
//   Import time: fresh `node` processes requiring dist/index.js vs the plain SDK packages, alternated, medians.
//
// Network: the lab binds loopback only (127.10.0.10:8883 etc., as the plain SDK always dials 8883). The plain SDK gets
// names from the lab DNS through a dns.lookup replacement installed before anything else in the worker, and trusts the
// lab CA through NODE_EXTRA_CA_CERTS; nothing asks the system resolver.
import { execFileSync, spawn } from 'node:child_process';
import dns from 'node:dns';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ProvisioningDeviceClient } from 'azure-iot-provisioning-device';
import { Mqtt } from 'azure-iot-provisioning-device-mqtt';
import { X509Security } from 'azure-iot-security-x509';
import { provisionDevice } from '../src/index';
import { startLab } from '../src/lab/lab';

const ROOT = path.join(__dirname, '..');
const RUNS = Number(process.env.RUNS ?? 30);
const RSS_RUNS = Number(process.env.RSS_RUNS ?? 10);
const RSS_PROCS = Number(process.env.RSS_PROCS ?? 5);
const IMPORT_RUNS = Number(process.env.IMPORT_RUNS ?? 15);
/** Which parts to run: `ab`, `rss`, `import` (comma separated). Default all. */
const PARTS = new Set((process.env.PARTS ?? 'ab,rss,import').split(','));

interface LabInfo {
  dnsServer: string;
  host: string;
  idScope: string;
  registrationId: string;
  cert: string;
  key: string;
  caPem: string;
  vnetCidrs: string[];
  port: number;
}

/** Worker side: names come from the lab DNS only (A records via a Resolver pointed at it). */
function installLabLookup(dnsServer: string): void {
  const resolver = new dns.Resolver();
  resolver.setServers([dnsServer]);
  const original = dns.lookup;
  (dns as { lookup: unknown }).lookup = (host: string, options: unknown, callback?: (...a: unknown[]) => void) => {
    const cb = (typeof options === 'function' ? options : callback) as (...a: unknown[]) => void;
    const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
    if (net.isIP(host)) return (original as (...a: unknown[]) => void)(host, options, callback);
    resolver.resolve4(host, (err, addresses) => {
      if (err || addresses.length === 0)
        return cb(err ?? Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' }));
      if (all)
        cb(
          null,
          addresses.map((address) => ({ address, family: 4 })),
        );
      else cb(null, addresses[0], 4);
    });
  };
}

type Variant = 'ours' | 'plain';

async function provisionOnce(variant: Variant, lab: LabInfo): Promise<void> {
  if (variant === 'ours') {
    await provisionDevice({
      provisioningHost: lab.host,
      idScope: lab.idScope,
      registrationId: lab.registrationId,
      auth: { cert: lab.cert, key: lab.key },
      network: { expectedCidrs: lab.vnetCidrs, dnsServers: [lab.dnsServer] },
      tls: { ca: lab.caPem },
      port: lab.port,
      timeoutMs: 30_000,
    });
    return;
  }
  const client = ProvisioningDeviceClient.create(
    lab.host,
    lab.idScope,
    new Mqtt(),
    new X509Security(lab.registrationId, { cert: lab.cert, key: lab.key }),
  );
  await client.register();
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const p95 = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];

async function workerAb(lab: LabInfo): Promise<void> {
  installLabLookup(lab.dnsServer);
  // Warm-up: load both code paths once, outside the measurement.
  await provisionOnce('ours', lab);
  await provisionOnce('plain', lab);
  const times: Record<Variant, number[]> = { ours: [], plain: [] };
  for (let i = 0; i < RUNS; i++) {
    const order: Variant[] = i % 2 === 0 ? ['ours', 'plain'] : ['plain', 'ours'];
    for (const v of order) {
      const t0 = performance.now();
      await provisionOnce(v, lab);
      times[v].push(performance.now() - t0);
    }
  }
  process.stdout.write(`${JSON.stringify(times)}\n`);
}

async function workerRss(variant: Variant, lab: LabInfo): Promise<void> {
  installLabLookup(lab.dnsServer);
  for (let i = 0; i < RSS_RUNS; i++) await provisionOnce(variant, lab);
  process.stdout.write(`${JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS })}\n`);
}

function runWorker(args: string[], lab: LabInfo, caFile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', __filename, ...args], {
      env: {
        PATH: process.env.PATH,
        NODE_EXTRA_CA_CERTS: caFile,
        DPL_BENCH_LAB: JSON.stringify(lab),
        RUNS: String(RUNS),
        RSS_RUNS: String(RSS_RUNS),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) =>
      code === 0
        ? resolve(out.trim().split('\n').at(-1) ?? '')
        : reject(new Error(`worker ${args.join(' ')} exited ${code}`)),
    );
  });
}

function importTimes(): { ours: number[]; plain: number[] } {
  const script = (mods: string[]): string =>
    `const t=process.hrtime.bigint();${mods.map((m) => `require(${JSON.stringify(m)});`).join('')}process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
  const ours = script([path.join(ROOT, 'dist', 'index.js')]);
  const plain = script([
    'azure-iot-provisioning-device',
    'azure-iot-provisioning-device-mqtt',
    'azure-iot-security-x509',
    'azure-iot-device',
    'azure-iot-device-mqtt',
  ]);
  const out = { ours: [] as number[], plain: [] as number[] };
  for (let i = 0; i < IMPORT_RUNS; i++) {
    for (const v of i % 2 ? (['plain', 'ours'] as const) : (['ours', 'plain'] as const)) {
      out[v].push(
        Number(execFileSync(process.execPath, ['-e', v === 'ours' ? ours : plain], { cwd: ROOT }).toString()),
      );
    }
  }
  return out;
}

async function main(): Promise<void> {
  // Own loopback addresses, so the bench can run next to another lab (tests, demo) that uses the default ones.
  const lab = await startLab({
    retryAfterSeconds: 1,
    dnsAddress: '127.0.61.53',
    dpsAddress: '127.10.61.10',
    hubAddress: '127.10.61.20',
    publicTwinAddress: '127.200.61.1',
    hubPublicTwinAddress: '127.200.61.2',
    wsPort: 0,
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dpl-bench-'));
  try {
    const caFile = path.join(dir, 'lab-ca.pem');
    fs.writeFileSync(caFile, lab.caPem);
    const device = await lab.createDevice('bench-device', 'x509-individual');
    if (!('cert' in device.auth)) throw new Error('expected an x509 device');
    const info: LabInfo = {
      dnsServer: lab.dnsServer,
      host: lab.dps.host,
      idScope: lab.dps.idScope,
      registrationId: device.registrationId,
      cert: device.auth.cert,
      key: device.auth.key,
      caPem: lab.caPem,
      vnetCidrs: lab.vnetCidrs,
      port: lab.dps.port,
    };
    console.log(
      `lab: DPS ${lab.dps.host} -> ${lab.dps.address}:${lab.dps.port}, retry-after 1 s; node ${process.version}; ${os.cpus().length} CPUs`,
    );

    if (PARTS.has('ab')) {
      const ab = JSON.parse(await runWorker(['worker-ab'], info, caFile)) as Record<Variant, number[]>;
      const line = (name: string, xs: number[]): string =>
        `${name.padEnd(16)} n=${xs.length} median ${median(xs).toFixed(1)} ms  p95 ${p95(xs).toFixed(1)} ms`;
      console.log('\nprovisioning wall time (alternating A/B in one process):');
      console.log(`  ${line('provisionDevice', ab.ours)}`);
      console.log(`  ${line('plain SDK', ab.plain)}`);
      console.log(
        `  ratio of medians ${(median(ab.ours) / median(ab.plain)).toFixed(3)} (target <= 1.02); ratio of p95 ${(p95(ab.ours) / p95(ab.plain)).toFixed(3)}`,
      );
    }

    if (PARTS.has('rss')) {
      const rss: Record<Variant, number[]> = { ours: [], plain: [] };
      for (let i = 0; i < RSS_PROCS; i++) {
        for (const v of i % 2 ? (['plain', 'ours'] as const) : (['ours', 'plain'] as const)) {
          rss[v].push(
            (JSON.parse(await runWorker(['worker-rss', v], info, caFile)) as { maxRssKb: number }).maxRssKb / 1024,
          );
        }
      }
      console.log(`\npeak RSS (separate processes, ${RSS_RUNS} provisions each, ${RSS_PROCS} processes per variant):`);
      console.log(
        `  provisionDevice median ${median(rss.ours).toFixed(1)} MiB, plain SDK median ${median(rss.plain).toFixed(1)} MiB, ratio ${(median(rss.ours) / median(rss.plain)).toFixed(3)}`,
      );
    }

    if (!PARTS.has('import')) return;
    const imp = importTimes();
    console.log(
      `\nimport time (fresh node process, require only; dist/index.js (loads azure-iot-device only when createHubClient is called) vs the provisioning + device SDK packages, n=${IMPORT_RUNS} each):`,
    );
    console.log(
      `  dps-private-link median ${median(imp.ours).toFixed(1)} ms p95 ${p95(imp.ours).toFixed(1)} ms; plain SDK median ${median(imp.plain).toFixed(1)} ms p95 ${p95(imp.plain).toFixed(1)} ms; ratio ${(median(imp.ours) / median(imp.plain)).toFixed(2)}`,
    );
  } finally {
    await lab.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const mode = process.argv[2];
if (mode === 'worker-ab' || mode === 'worker-rss') {
  const lab = JSON.parse(process.env.DPL_BENCH_LAB ?? '{}') as LabInfo;
  (mode === 'worker-ab' ? workerAb(lab) : workerRss(process.argv[3] as Variant, lab)).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
} else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
