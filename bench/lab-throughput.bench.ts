// Lab throughput: registrations per second the lab DPS sustains with 200 concurrent plain-SDK clients, and the lab's
// CPU per registration. Three processes so each number is clean: the lab (its process.cpuUsage is the lab's cost),
// the clients (the unmodified SDK, lab CA via NODE_EXTRA_CA_CERTS, names via the lab DNS preload), and this
// orchestrator. Loopback only. Run: npm run bench -- lab-throughput   (env LAB_BENCH_TOTAL, LAB_BENCH_CONCURRENCY)
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLab } from '../src/lab/lab';

const CONCURRENCY = Number(process.env.LAB_BENCH_CONCURRENCY ?? 200);
const TOTAL = Number(process.env.LAB_BENCH_TOTAL ?? 1000);
const KINDS = (process.env.LAB_BENCH_KINDS ?? 'symmetric-key,x509-individual').split(',') as (
  'symmetric-key' | 'x509-individual'
)[];

type Msg =
  | {
      type: 'ready';
      dnsServer: string;
      caPem: string;
      host: string;
      idScope: string;
      devices: { registrationId: string; auth: unknown }[];
    }
  | {
      type: 'cpu';
      userMs: number;
      systemMs: number;
      counters: { registrations: number; polls: number; assigned: number; connections: { dps: number } };
    }
  | { type: 'done'; ok: number; failed: number; errors: string[]; wallMs: number; latencies: number[] };

function request<T extends Msg['type']>(
  child: ChildProcess,
  type: T,
  send?: unknown,
): Promise<Extract<Msg, { type: T }>> {
  return new Promise((resolve) => {
    const on = (m: Msg): void => {
      if (m.type === type) {
        child.off('message', on);
        resolve(m as Extract<Msg, { type: T }>);
      }
    };
    child.on('message', on);
    if (send !== undefined) child.send(send as object);
  });
}

/** Role 1: the lab, alone in its process. Answers 'cpu' with its CPU time since the last 'mark'. */
async function labRole(kind: string): Promise<void> {
  const lab = await startLab({ retryAfterSeconds: 0 });
  const devices = [];
  for (let i = 0; i < CONCURRENCY; i++)
    devices.push(await lab.createDevice(`bench-${kind}-${i}`, kind as 'symmetric-key'));
  // Never outlive the orchestrator (the lab holds fixed ports).
  process.on('disconnect', () => process.exit(0));
  let mark = process.cpuUsage();
  process.on('message', (m: { type: string }) => {
    if (m.type === 'mark') mark = process.cpuUsage();
    if (m.type === 'cpu') {
      const d = process.cpuUsage(mark);
      process.send!({ type: 'cpu', userMs: d.user / 1000, systemMs: d.system / 1000, counters: lab.counters });
    }
    if (m.type === 'stop') void lab.close().then(() => process.exit(0));
  });
  process.send!({
    type: 'ready',
    dnsServer: lab.dnsServer,
    caPem: lab.caPem,
    host: lab.dps.host,
    idScope: lab.dps.idScope,
    devices,
  });
}

/** Role 2: the unmodified SDK, CONCURRENCY workers each registering its own device until TOTAL are done. */
async function clientRole(): Promise<void> {
  process.on('disconnect', () => process.exit(0));
  // The case (devices with their keys) comes over IPC: it is too large for the environment and holds secrets.
  const c = await new Promise<{
    host: string;
    idScope: string;
    devices: { registrationId: string; auth: { symmetricKey?: string; cert?: string; key?: string } }[];
  }>((resolve) => process.once('message', resolve));

  const { ProvisioningDeviceClient } =
    require('azure-iot-provisioning-device') as typeof import('azure-iot-provisioning-device');
  const { Mqtt } = require('azure-iot-provisioning-device-mqtt') as typeof import('azure-iot-provisioning-device-mqtt');
  const { X509Security } = require('azure-iot-security-x509') as typeof import('azure-iot-security-x509');
  const { SymmetricKeySecurityClient } =
    require('azure-iot-security-symmetric-key') as typeof import('azure-iot-security-symmetric-key');

  let started = 0;
  let ok = 0;
  let failed = 0;
  const errors: string[] = [];
  const latencies: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    c.devices.map(async (d) => {
      while (started < TOTAL) {
        started++;
        // The SDK packages each bundle their own copy of the security client types; at this boundary they differ only
        // nominally, so widen to what ProvisioningDeviceClient.create declares.
        type Security = Parameters<typeof ProvisioningDeviceClient.create>[3];
        const security = (d.auth.symmetricKey
          ? new SymmetricKeySecurityClient(d.registrationId, d.auth.symmetricKey)
          : new X509Security(d.registrationId, { cert: d.auth.cert!, key: d.auth.key! })) as unknown as Security;
        const client = ProvisioningDeviceClient.create(c.host, c.idScope, new Mqtt(), security);
        const t = performance.now();
        try {
          await client.register();
          ok++;
          latencies.push(performance.now() - t);
        } catch (err) {
          failed++;
          if (errors.length < 5) errors.push(String(err));
        }
      }
    }),
  );
  process.send!({ type: 'done', ok, failed, errors, wallMs: performance.now() - t0, latencies });
}

async function scenario(kind: string): Promise<boolean> {
  const self = __filename;
  const execArgv = ['--import', 'tsx'];
  const lab = fork(self, ['lab', kind], { execArgv });
  const ready = await request(lab, 'ready');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-bench-'));
  fs.writeFileSync(path.join(dir, 'ca.pem'), ready.caPem);
  const clients = fork(self, ['clients'], {
    execArgv: [...execArgv, '--require', path.join(__dirname, '..', 'test', 'lab', 'fixtures', 'lab-dns-preload.js')],
    env: {
      PATH: process.env.PATH,
      NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.pem'),
      DPL_LAB_DNS: ready.dnsServer,
      LAB_BENCH_TOTAL: String(TOTAL),
      LAB_BENCH_CONCURRENCY: String(CONCURRENCY),
    },
  });
  lab.send({ type: 'mark' });
  const done = await request(clients, 'done', { host: ready.host, idScope: ready.idScope, devices: ready.devices });
  const cpu = await request(lab, 'cpu', { type: 'cpu' });
  lab.send({ type: 'stop' });
  fs.rmSync(dir, { recursive: true, force: true });
  const sorted = [...done.latencies].sort((a, b) => a - b);
  const pct = (p: number): number =>
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
  const labCpuMs = cpu.userMs + cpu.systemMs;
  console.log(
    `${kind.padEnd(16)} ${done.ok}/${TOTAL} registered, ${CONCURRENCY} concurrent: ${(done.ok / (done.wallMs / 1000)).toFixed(0)} registrations/s ` +
      `(wall ${(done.wallMs / 1000).toFixed(2)} s, per-registration latency p50 ${pct(50).toFixed(0)} ms p95 ${pct(95).toFixed(0)} ms); ` +
      `lab CPU ${labCpuMs.toFixed(0)} ms = ${(labCpuMs / Math.max(1, done.ok)).toFixed(2)} ms/registration ` +
      `(user ${cpu.userMs.toFixed(0)}, system ${cpu.systemMs.toFixed(0)}); lab saw ${cpu.counters.connections.dps} connections, ` +
      `${cpu.counters.registrations} registers, ${cpu.counters.polls} polls, ${cpu.counters.assigned} assigned`,
  );
  if (done.failed) console.log(`  ${done.failed} failed, e.g. ${done.errors.join(' | ')}`);
  return done.failed === 0;
}

async function main(): Promise<void> {
  const role = process.argv[2];
  if (role === 'lab') return labRole(process.argv[3]!);
  if (role === 'clients') return clientRole();
  console.log(
    `lab throughput (${os.cpus().length} CPUs, node ${process.version}); retryAfterSeconds 0; TLS + CONNECT + register + poll per registration`,
  );
  let allOk = true;
  for (const kind of KINDS) allOk = (await scenario(kind)) && allOk;
  process.exit(allOk ? 0 : 1);
}

void main();
