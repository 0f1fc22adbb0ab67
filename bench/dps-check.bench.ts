// dps-check: one full pass on a healthy lab vs the manual equivalent a technician would type — `dig` for the name
// plus `openssl s_client` for the TLS handshake(s) — against the same endpoint, interleaved in the same run.
// Everything is a child process (both sides pay their process start-up). Loopback only.
// Target: dps-check ≤ 1.5 × (dig + openssl s_client).
//
//   npm run bench -- dps-check          (env DPS_CHECK_BENCH_RUNS, default 25; DPS_CHECK_CLI=path/to/cli.js to time
//                                        another build than dist/, e.g. one compiled with --outDir elsewhere)
//
// Clock: dps-check gets --ntp-server pointing at a loopback SNTP responder started here, as a device in a VNET
// would use its local NTP server (without one, dps-check waits up to 1.5 s for an HTTP Date header that the lab's
// 443 listener never sends; see samples/diagnostics).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dpsCheck } from '../src/checks/main';
import { startLab } from '../src/lab/lab';

const RUNS = Number(process.env['DPS_CHECK_BENCH_RUNS'] ?? 25);
const ROOT = path.join(__dirname, '..');

function ensureTool(tool: string, pkg: string): void {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0) return;
  console.log(`installing ${pkg} for ${tool} ...`);
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { stdio: 'inherit' });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function p90(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.9) - 1)] as number;
}

/** Runs a command to completion without blocking this process's event loop (the lab lives here). */
function timed(cmd: string, args: string[]): Promise<{ ms: number; status: number | null; out: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin.end(); // s_client exits when stdin closes
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ ms: performance.now() - t0, status, out });
    });
  });
}

/** A loopback SNTP responder (the device's NTP server inside the VNET). */
function startSntp(): Promise<{ endpoint: string; close(): void }> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    const res = Buffer.alloc(48);
    res[0] = (4 << 3) | 4;
    res[1] = 1;
    msg.copy(res, 24, 40, 48);
    const now = Date.now();
    for (const at of [32, 40]) {
      res.writeUInt32BE(Math.floor(now / 1000) + 2_208_988_800, at);
      res.writeUInt32BE(Math.floor(((now % 1000) / 1000) * 2 ** 32), at + 4);
    }
    socket.send(res, rinfo.port, rinfo.address);
  });
  return new Promise((resolve) =>
    socket.bind(0, '127.0.0.1', () =>
      resolve({ endpoint: `127.0.0.1:${socket.address().port}`, close: () => socket.close() }),
    ),
  );
}

async function main(): Promise<void> {
  ensureTool('dig', 'bind9-dnsutils');
  ensureTool('openssl', 'openssl');
  const cli = process.env['DPS_CHECK_CLI'] ?? path.join(ROOT, 'dist/checks/cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` (npm run bench does)`);
  const lab = await startLab({ mqttPort: 0, wsPort: 0, retryAfterSeconds: 0 });
  const ntp = await startSntp();
  try {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dps-check-bench-'));
    const device = await lab.createDevice('bench-dev-1', 'x509-individual');
    if (!('cert' in device.auth)) throw new Error('expected X.509 credentials');
    const cert = path.join(dir, 'dev.pem');
    const key = path.join(dir, 'dev.key');
    const ca = path.join(dir, 'ca.pem');
    writeFileSync(cert, device.auth.cert);
    writeFileSync(key, device.auth.key, { mode: 0o600 });
    writeFileSync(ca, lab.caPem);
    const [dnsIp, dnsPort] = lab.dnsServer.split(':') as [string, string];
    const checkArgs = [
      cli,
      '--host',
      lab.dps.host,
      '--id-scope',
      lab.dps.idScope,
      '--registration-id',
      device.registrationId,
      '--cert',
      cert,
      '--key',
      key,
      '--ca',
      ca,
      '--expect-cidr',
      lab.vnetCidrs[0] as string,
      '--dns-server',
      lab.dnsServer,
      '--port',
      String(lab.dps.port),
      '--ws-port',
      String(lab.dps.wsPort),
      '--ntp-server',
      ntp.endpoint,
      '--json',
    ];
    const dig = ['@' + dnsIp, '-p', dnsPort, lab.dps.host, 'A', '+tries=1', '+time=2'];
    const sClient = (port: number): string[] => [
      's_client',
      '-connect',
      `${lab.dps.address}:${port}`,
      '-servername',
      lab.dps.host,
      '-CAfile',
      ca,
      '-verify_return_error',
      '-brief',
    ];

    // Sanity: both sides see a healthy endpoint, else the timings compare nothing.
    const first = await timed(process.execPath, checkArgs);
    const doc = JSON.parse(first.out.slice(0, first.out.lastIndexOf('}') + 1)) as {
      summary: { error: number; ok: number; skipped: number };
    };
    if (first.status !== 0 || doc.summary.error !== 0)
      throw new Error(`dps-check is not healthy on the lab: ${first.out}`);
    const d0 = await timed('dig', dig);
    if (!d0.out.includes(lab.dps.address)) throw new Error(`dig did not answer ${lab.dps.address}: ${d0.out}`);
    const s0 = await timed('openssl', sClient(lab.dps.port));
    if (s0.status !== 0) throw new Error(`openssl s_client failed: ${s0.out}`);

    const inProcess = async (): Promise<number> => {
      const t0 = performance.now();
      const code = await dpsCheck(checkArgs.slice(1), {
        stdout: { write: () => true },
        stderr: { write: () => true },
        env: {},
      });
      if (code !== 0) throw new Error(`in-process dps-check exited ${code}`);
      return performance.now() - t0;
    };
    await inProcess(); // warm: module load and the first TLS context are start-up, measured by the process runs
    const check: number[] = [];
    const inProc: number[] = [];
    const manual1: number[] = [];
    const manual2: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      check.push((await timed(process.execPath, checkArgs)).ms);
      inProc.push(await inProcess());
      const d = (await timed('dig', dig)).ms;
      const t1 = (await timed('openssl', sClient(lab.dps.port))).ms;
      const t2 = (await timed('openssl', sClient(lab.dps.wsPort))).ms;
      manual1.push(d + t1);
      manual2.push(d + t1 + t2);
    }
    const m = median(check);
    const b1 = median(manual1);
    const b2 = median(manual2);
    console.log(
      `dps-check full pass (${doc.summary.ok} ok, ${doc.summary.skipped} skipped: config, DNS, TCP+TLS on both ports, SNTP clock, device identity), ${RUNS} runs, node ${process.version}`,
    );
    console.log(
      `  dps-check                                  median ${m.toFixed(1)} ms  p90 ${p90(check).toFixed(1)} ms`,
    );
    console.log(
      `  dig + openssl s_client (8883)              median ${b1.toFixed(1)} ms  p90 ${p90(manual1).toFixed(1)} ms  ratio ${(m / b1).toFixed(2)}x`,
    );
    console.log(
      `  dig + openssl s_client (8883 and 443)      median ${b2.toFixed(1)} ms  p90 ${p90(manual2).toFixed(1)} ms  ratio ${(m / b2).toFixed(2)}x`,
    );
    const node = [];
    for (let i = 0; i < 10; i++) node.push((await timed(process.execPath, ['-e', '0'])).ms);
    console.log(
      `  dps-check in-process (warm, no start-up)   median ${median(inProc).toFixed(1)} ms  p90 ${p90(inProc).toFixed(1)} ms  ratio ${(median(inProc) / b2).toFixed(2)}x vs dig + 2 s_client`,
    );
    console.log(`  for scale: node -e 0 (bare Node start-up)  median ${median(node).toFixed(1)} ms`);
    console.log(
      `  target ≤ 1.5x: ${m / b2 <= 1.5 ? 'met' : 'NOT met'} (same coverage: both ports); ${m / b1 <= 1.5 ? 'met' : 'NOT met'} against one port`,
    );
  } finally {
    ntp.close();
    await lab.close();
  }
}

main().catch((err: unknown) => {
  console.error(`dps-check bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
