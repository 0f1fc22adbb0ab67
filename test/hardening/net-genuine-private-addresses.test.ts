// Genuine private addresses (issue 14, Deliver): the whole flow on real 10.77.0.0/24 addresses instead of loopback
// stand-ins. Three network namespaces this test creates and always deletes:
//   device  10.77.0.2/24 ── veth ── vnet   10.77.0.1, DPS 10.77.0.10, hub 10.77.0.20, DNS 10.77.0.53 (the lab behind
//                                          TCP forwarders: the lab binds loopback only)
//           20.43.1.2/24 ── veth ── public 20.43.1.7, with an nftables counter of every packet addressed to it
// The device has a route to the "public" address (its own veth), so a client bug would deliver packets there: the
// counter proves none arrived under enforce, and a control packet proves the counter sees what does arrive. No other
// route exists; nothing leaves these namespaces. Skipped, with the reason printed, when not root or a tool is missing.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { codesOf, jsonOf, resultOf, type CliRun } from '../checks/cli-helper';

const ROOT = path.resolve(__dirname, '../..');
const suffix = String(process.pid % 100000);
const NS = { device: `dpl-dev-${suffix}`, vnet: `dpl-vnet-${suffix}`, pub: `dpl-pub-${suffix}` };
const PUBLIC_NAME = 'genuine-public.azure-devices-provisioning.net';
const ADDR = { device: '10.77.0.2', router: '10.77.0.1', dps: '10.77.0.10', hub: '10.77.0.20', dns: '10.77.0.53' };
const PUBLIC = { device: '20.43.1.2', target: '20.43.1.7' };

function run(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...(input ? { input } : {}) });
}
const ipIn = (ns: string, ...args: string[]): string => run('ip', ['-n', ns, ...args]);

function has(cmd: string): boolean {
  try {
    run('sh', ['-c', `command -v ${cmd}`]);
    return true;
  } catch {
    return false;
  }
}

/** Why the test cannot run here, or undefined. */
function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (ip netns needs CAP_SYS_ADMIN)';
  for (const tool of ['ip', 'nft']) if (!has(tool)) return `${tool} is not installed (.ci/run installs it)`;
  try {
    run('ip', ['netns', 'add', `${NS.device}-probe`]);
    run('ip', ['netns', 'del', `${NS.device}-probe`]);
  } catch (err) {
    return `ip netns add failed: ${String((err as Error).message).split('\n')[0]}`;
  }
  return undefined;
}

function teardown(): void {
  for (const ns of Object.values(NS)) {
    try {
      run('ip', ['netns', 'del', ns]);
    } catch {
      // not created, or already gone
    }
  }
}

function setUp(): void {
  for (const ns of Object.values(NS)) {
    run('ip', ['netns', 'add', ns]);
    ipIn(ns, 'link', 'set', 'lo', 'up');
  }
  const link = (a: string, aNs: string, b: string, bNs: string): void => {
    run('ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
    run('ip', ['link', 'set', a, 'netns', aNs]);
    run('ip', ['link', 'set', b, 'netns', bNs]);
  };
  link(`dv${suffix}`, NS.device, `vd${suffix}`, NS.vnet);
  link(`dp${suffix}`, NS.device, `pd${suffix}`, NS.pub);
  ipIn(NS.device, 'addr', 'add', `${ADDR.device}/24`, 'dev', `dv${suffix}`);
  ipIn(NS.device, 'addr', 'add', `${PUBLIC.device}/24`, 'dev', `dp${suffix}`);
  for (const a of [ADDR.router, ADDR.dps, ADDR.hub, ADDR.dns]) {
    ipIn(NS.vnet, 'addr', 'add', `${a}/24`, 'dev', `vd${suffix}`);
  }
  ipIn(NS.pub, 'addr', 'add', `${PUBLIC.target}/24`, 'dev', `pd${suffix}`);
  for (const [ns, dev] of [
    [NS.device, `dv${suffix}`],
    [NS.device, `dp${suffix}`],
    [NS.vnet, `vd${suffix}`],
    [NS.pub, `pd${suffix}`],
  ]) {
    ipIn(ns as string, 'link', 'set', dev as string, 'up');
  }
  run(
    'ip',
    ['netns', 'exec', NS.pub, 'nft', '-f', '-'],
    `table ip dpl {
  counter to_public {}
  chain pre { type filter hook prerouting priority -300; ip daddr ${PUBLIC.target} counter name to_public; }
}
`,
  );
}

/** Packets that reached the "public" namespace addressed to 20.43.1.7. */
function publicPackets(): number {
  const out = run('ip', ['netns', 'exec', NS.pub, 'nft', 'list', 'counter', 'ip', 'dpl', 'to_public']);
  const m = /packets (\d+)/.exec(out);
  if (!m) throw new Error(`cannot read the nftables counter: ${out}`);
  return Number(m[1]);
}

/** One JSON line a child printed (the shapes of net-genuine-vnet-child.ts and net-genuine-device-child.ts). */
type ChildLine = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Starts a tsx child in `ns`; resolves with its first JSON line. */
function child(
  ns: string,
  script: string,
  env: Record<string, string>,
): { proc: ChildProcess; line: Promise<ChildLine> } {
  const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, '--require', 'tsx/cjs', script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = new Promise<ChildLine>((resolve, reject) => {
    const rl = readline.createInterface({ input: proc.stdout as NodeJS.ReadableStream });
    rl.once('line', (l) => resolve(JSON.parse(l) as ChildLine));
    proc.once('exit', (code) => reject(new Error(`${path.basename(script)} exited with ${code} before answering`)));
  });
  return { proc, line };
}

describe('genuine private addresses: device and VNET in their own network namespaces (10.77.0.0/24)', function () {
  this.timeout(60_000);
  let reason: string | undefined = 'not started';
  let vnet: ChildProcess | undefined;
  let lab: ChildLine;

  before(async function () {
    reason = skipReason();
    if (reason) {
      console.log(`      skipped: ${reason}`);
      this.skip();
    }
    teardown();
    try {
      setUp();
      const started = child(NS.vnet, 'test/hardening/net-genuine-vnet-child.ts', {
        DPL_VNET: JSON.stringify({
          dpsAddress: ADDR.dps,
          hubAddress: ADDR.hub,
          dnsAddress: ADDR.dns,
          publicName: PUBLIC_NAME,
          publicAddress: PUBLIC.target,
        }),
      });
      vnet = started.proc;
      lab = await started.line;
      assert.ok(lab.ready, lab.error);
    } catch (err) {
      vnet?.kill();
      teardown();
      throw err;
    }
  });

  after(() => {
    vnet?.stdin?.end();
    vnet?.kill();
    teardown();
    if (!reason) {
      const left = run('ip', ['netns', 'list'])
        .split('\n')
        .filter((l) => l.includes(`-${suffix}`));
      assert.deepEqual(left, [], 'namespaces left behind');
    }
  });

  const device = (host: string, hub: boolean, expectedCidrs = ['10.77.0.0/24']) =>
    child(NS.device, 'test/hardening/net-genuine-device-child.ts', {
      DPL_DEVICE: JSON.stringify({
        host,
        idScope: lab.idScope,
        registrationId: lab.registrationId,
        auth: lab.auth,
        caPem: lab.caPem,
        dnsServer: ADDR.dns,
        expectedCidrs,
        dpsPort: lab.dpsPort,
        hubPort: lab.hubPort,
        hub,
      }),
    }).line;

  it('the device has no route but its two links (nothing can leave the namespaces)', () => {
    const routes = ipIn(NS.device, 'route', 'show').trim().split('\n').sort();
    assert.equal(routes.length, 2, routes.join('\n'));
    assert.ok(
      routes.every((r) => /^(10\.77\.0\.0\/24|20\.43\.1\.0\/24) dev /.test(r)),
      routes.join('\n'),
    );
  });

  it('provisions through DPS at 10.77.0.10 and sends telemetry through the hub at 10.77.0.20, under enforce', async () => {
    const out = await device(lab.dpsHost, true);
    assert.ok(out.ok, `${out.code}: ${out.message}`);
    assert.equal(out.assignedHub, lab.hubHost);
    assert.deepEqual(out.dps, [`${ADDR.dps} private true`]);
    assert.deepEqual(out.hubAddresses, [`${ADDR.hub} private true`]);
    assert.match(out.tls, /^TLSv1\.[23]$/);
    assert.equal(out.hub, 'sent');
    assert.deepEqual(out.calls, [
      `tls ${lab.dpsHost} ${ADDR.dps}:${lab.dpsPort}`,
      `tls ${lab.hubHost} ${ADDR.hub}:${lab.hubPort}`,
    ]);
  });

  /**
   * dps-check as a process in the device namespace (tsx on src/checks/cli.ts, --json), pointed at the lab's DNS on
   * 10.77.0.53 with the lab subnet expected. Only the symmetric key from the environment, never the caller's DPS_*.
   */
  function dpsCheckOnDevice(host: string, extra: string[] = []): Promise<CliRun> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dpl-genuine-check-'));
    const ca = path.join(dir, 'lab-ca.pem');
    writeFileSync(ca, lab.caPem as string);
    const args = [
      '--host', host, '--id-scope', lab.idScope, '--registration-id', lab.registrationId,
      '--dns-server', ADDR.dns, '--expect-cidr', '10.77.0.0/24', '--ca', ca,
      '--port', String(lab.dpsPort), '--hub-port', String(lab.hubPort), '--timeout-ms', '5000',
      '--dont-run', 'clock-skew,dps-tcp-websocket,dps-tls-websocket,hub-tcp-websocket,hub-tls-websocket',
      '--json', ...extra,
    ]; // prettier-ignore
    const node = [process.execPath, '--require', 'tsx/cjs', path.join(ROOT, 'src/checks/cli.ts'), ...args];
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const proc = spawn('ip', ['netns', 'exec', NS.device, ...node], {
        cwd: ROOT,
        env: {
          PATH: process.env['PATH'] ?? '',
          DPS_SYMMETRIC_KEY: (lab.auth as { symmetricKey: string }).symmetricKey,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => proc.kill('SIGKILL'), 45_000);
      proc.on('error', reject);
      proc.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr, durationMs: performance.now() - started });
      });
    });
  }

  it('dps-check in the device namespace: DNS, TCP, TLS and register pass on the genuine private addresses', async () => {
    const run = await dpsCheckOnDevice(lab.dpsHost as string, ['--register']);
    const doc = jsonOf(run);
    const failing = doc.checks.filter((c) => c.result !== 'ok' && c.result !== 'skipped');
    assert.equal(run.code, 0, `exit ${run.code}: ${JSON.stringify(failing)}\n${run.stderr}`);
    for (const id of [
      'dps-dns',
      'dps-tcp-mqtt',
      'dps-tls-mqtt',
      'dps-register',
      'hub-dns',
      'hub-tcp-mqtt',
      'hub-tls-mqtt',
    ]) {
      assert.equal(resultOf(doc, id), 'ok', `${id}: ${JSON.stringify(doc.checks.find((c) => c.id === id))}`);
    }
    const evidence = JSON.stringify(doc.checks.map((c) => c.evidence));
    assert.ok(evidence.includes(ADDR.dps), `DPS reached at ${ADDR.dps}: ${evidence.slice(0, 2000)}`);
    assert.ok(evidence.includes(ADDR.hub), `hub reached at ${ADDR.hub}`);
  });

  it('dps-check in the device namespace, DNS answering the public 20.43.1.7: the public finding, zero packets to it', async () => {
    const before = publicPackets();
    const run = await dpsCheckOnDevice(PUBLIC_NAME, ['--register']);
    const doc = jsonOf(run);
    assert.equal(run.code, 1, run.stdout);
    assert.equal(resultOf(doc, 'dps-dns'), 'error');
    assert.ok(codesOf(doc, 'dps-dns').includes('DNS_PUBLIC_ADDRESS'), JSON.stringify(codesOf(doc, 'dps-dns')));
    for (const id of ['dps-tcp-mqtt', 'dps-tls-mqtt', 'dps-register']) {
      assert.notEqual(resultOf(doc, id), 'ok', `${id} must not have reached the public address`);
    }
    const after = publicPackets();
    console.log(`      dps-check: packets to ${PUBLIC.target}: ${after - before} under enforce`);
    assert.equal(after - before, 0);
  });

  for (const cidrs of [['10.77.0.0/24'], ['0.0.0.0/0', '::/0']]) {
    it(`DNS answering the public 20.43.1.7, ranges ${cidrs.join(' ')}: refused, zero packets reached it`, async () => {
      await refusedWithoutPackets(cidrs);
    });
  }

  async function refusedWithoutPackets(cidrs: string[]): Promise<void> {
    const before = publicPackets();
    const out = await device(PUBLIC_NAME, false, cidrs);
    assert.equal(out.ok, false);
    assert.equal(out.code, 'DNS_PUBLIC_ADDRESS', out.message);
    assert.deepEqual(out.calls, []);
    const after = publicPackets();
    console.log(`      packets to ${PUBLIC.target}: ${after - before} under enforce`);
    assert.equal(after - before, 0);
    // Control: a packet the device does send to 20.43.1.7 is counted (the counter is not blind).
    run('ip', [
      'netns',
      'exec',
      NS.device,
      process.execPath,
      '-e',
      `const s=require('dgram').createSocket('udp4');s.send('x',9,'${PUBLIC.target}',()=>s.close())`,
    ]);
    const control = publicPackets() - after;
    console.log(`      control packets to ${PUBLIC.target}: ${control}`);
    assert.ok(control >= 1, 'the counter did not see the control packet');
  }
});
