// check-pass: one full `dps-check` pass as a process on a healthy lab (A) against what a technician would type (B):
// `dig` for the name, then `openssl s_client` on 8883 and on 443 (the same coverage: both transports' ports), three
// processes one after the other. A and B alternate after a warm-up; every side pays its process start-up.
//
//   npm run bench -- dps-check [--quick]     (DPS_CHECK_CLI=path/to/cli.js times another build than dist/)
//
// Clock: dps-check gets --ntp-server pointing at a loopback SNTP responder started here, as a device in a VNET
// would use its local NTP server (without one, dps-check waits up to 1.5 s for an HTTP Date header that the lab's
// 443 listener never sends; see samples/diagnostics). The lab runs in its own process. Loopback only.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { alternate, BASELINE_TOOLS, compare, entry, hasTool, publish, runMain, size, stats } from './lib/harness';
import { startLabProcess } from './lib/lab-process';

const ROOT = path.join(__dirname, '..');

/** bench/run.ts installs the tools before any bench enters its network namespace; here only a clear stop. */
function ensureTool(tool: keyof typeof BASELINE_TOOLS): void {
  if (hasTool(tool)) return;
  throw new Error(
    `${tool} not found: install it (apt-get install ${BASELINE_TOOLS[tool]}), or run the bench through npm run bench as root`,
  );
}

/** Runs a command to completion without blocking this process's event loop (the lab lives here). */
function timed(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ ms: number; status: number | null; out: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
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

/** The process environment without NODE_EXTRA_CA_CERTS, or undefined when it does not set one. */
function withoutExtraCa(): NodeJS.ProcessEnv | undefined {
  if (!process.env['NODE_EXTRA_CA_CERTS']) return undefined;
  const env = { ...process.env };
  delete env['NODE_EXTRA_CA_CERTS'];
  return env;
}

/**
 * What Node costs before dps-check does anything, in `env`: a bare start (`node -e 0`), and a start that builds one
 * TLS context. Every Node 20 TLS client pays the second once per process: the first context makes Node parse its ~140
 * bundled roots (openssl s_client with -CAfile reads one file). With NODE_EXTRA_CA_CERTS set, Node 20 does both at
 * start-up, and parses that file too (dig and openssl do not read it).
 */
async function nodeFloor(env: NodeJS.ProcessEnv): Promise<{ bare: number; tls: number }> {
  const tlsContext = "require('node:tls').createSecureContext()";
  const r = await alternate(
    size(10, 4),
    1,
    async () => (await timed(process.execPath, ['-e', '0'], env)).ms,
    async () => (await timed(process.execPath, ['-e', tlsContext], env)).ms,
  );
  return { bare: stats(r.a).median, tls: stats(r.b).median };
}

async function main(): Promise<void> {
  ensureTool('dig');
  ensureTool('openssl');
  const cli = process.env['DPS_CHECK_CLI'] ?? path.join(ROOT, 'dist/checks/cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` (npm run bench does)`);
  const lab = await startLabProcess({ mqttPort: 0, wsPort: 0, retryAfterSeconds: 0 }, [
    { prefix: 'bench-check', kind: 'x509-individual', count: 1 },
  ]);
  const ntp = await startSntp();
  try {
    const c = lab.labCase;
    const device = c.devices[0]!;
    const cert = path.join(lab.dir, 'dev.pem');
    const key = path.join(lab.dir, 'dev.key');
    writeFileSync(cert, device.auth.cert!);
    writeFileSync(key, device.auth.key!, { mode: 0o600 });
    const [dnsIp, dnsPort] = c.dnsServer.split(':') as [string, string];
    const checkArgs = [
      cli,
      ...['--host', c.host, '--id-scope', c.idScope, '--registration-id', device.registrationId],
      ...['--cert', cert, '--key', key, '--ca', lab.caFile, '--expect-cidr', c.vnetCidrs[0]!],
      ...['--dns-server', c.dnsServer, '--port', String(c.port), '--ws-port', String(c.wsPort)],
      ...['--ntp-server', ntp.endpoint, '--json'],
    ];
    const dig = ['@' + dnsIp, '-p', dnsPort, c.host, 'A', '+tries=1', '+time=2'];
    const sClient = (port: number): string[] => [
      ...['s_client', '-connect', `${c.dpsAddress}:${port}`, '-servername', c.host],
      ...['-CAfile', lab.caFile, '-verify_return_error', '-brief'],
    ];

    // Sanity: both sides see a healthy endpoint, else the timings compare nothing.
    const first = await timed(process.execPath, checkArgs);
    const doc = JSON.parse(first.out.slice(0, first.out.lastIndexOf('}') + 1)) as {
      summary: { error: number; ok: number; skipped: number };
    };
    if (first.status !== 0 || doc.summary.error !== 0)
      throw new Error(`dps-check is not healthy on the lab: ${first.out}`);
    const d0 = await timed('dig', dig);
    if (!d0.out.includes(c.dpsAddress)) throw new Error(`dig did not answer ${c.dpsAddress}: ${d0.out}`);
    for (const port of [c.port, c.wsPort]) {
      const s0 = await timed('openssl', sClient(port));
      if (s0.status !== 0) throw new Error(`openssl s_client on ${port} failed: ${s0.out}`);
    }

    const manual = async (): Promise<number> =>
      (await timed('dig', dig)).ms +
      (await timed('openssl', sClient(c.port))).ms +
      (await timed('openssl', sClient(c.wsPort))).ms;
    const r = await alternate(size(25, 8), 2, async () => (await timed(process.execPath, checkArgs)).ms, manual);
    const trio = stats(r.b).median;
    const floorNote = async (env: NodeJS.ProcessEnv): Promise<string> => {
      const f = await nodeFloor(env);
      return (
        `\`node -e 0\` ${f.bare.toFixed(1)} ms = ${(f.bare / trio).toFixed(2)}× the trio, with a first TLS context ` +
        `${f.tls.toFixed(1)} ms = ${(f.tls / trio).toFixed(2)}×`
      );
    };
    const extraCaFile = process.env['NODE_EXTRA_CA_CERTS'];
    const noExtraCa = withoutExtraCa();
    // A device without the variable (the Pi sample's service sets none): the same pass, the same trio alternating.
    const plain = noExtraCa
      ? await alternate(size(25, 8), 1, async () => (await timed(process.execPath, checkArgs, noExtraCa)).ms, manual)
      : undefined;
    let floors = `Node's own floor, before any check: ${await floorNote(process.env)}`;
    if (noExtraCa) floors += `; without NODE_EXTRA_CA_CERTS=${extraCaFile}: ${await floorNote(noExtraCa)}`;
    publish([
      entry('check-pass', compare('ms', r.a, r.b, { atMost: 1.5 }), {
        ...(plain
          ? { also: [{ ...compare('ms', plain.a, plain.b, { atMost: 1.5 }), label: 'without NODE_EXTRA_CA_CERTS' }] }
          : {}),
        note:
          `dps-check: ${doc.summary.ok} ok, ${doc.summary.skipped} skipped (config, DNS, TCP+TLS on both ports, SNTP ` +
          `clock, device identity). ${floors}`,
      }),
    ]);
  } finally {
    ntp.close();
    await lab.close();
  }
}

runMain(main);
