// The Raspberry Pi app as it is deployed: run with plain `node` from the packed tarball installed into a fresh app,
// as an unprivileged user (nobody, when the tests run as root), with a read-only config directory and a writable
// state directory (STATE_DIRECTORY, as systemd sets it). Against the lab on loopback; DNS only to the lab's server.
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { cleanEnv, packedApp, ROOT, type PackedApp } from '../package/packed-app';
import { startTestLab } from '../support/provision-lab';
import { startTestProxy } from '../support/proxy';
import type { LabHandle } from '../../src/lab/types';

const execFileP = promisify(execFile);
const SAMPLE = path.join(ROOT, 'samples', 'raspberry-pi');
const IS_ROOT = process.getuid?.() === 0;
const NOBODY = { uid: 65534, gid: 65534 };
const CAN_DROP = IS_ROOT && spawnSync('setpriv', ['--version']).status === 0;
/** The command prefix that runs the rest as nobody. */
const DROP = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'];

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** Runs the installed app as `nobody` (when root) with only PATH and `env`; resolves when it exits. */
function runApp(
  app: PackedApp,
  args: string[],
  env: Record<string, string>,
  onLine?: (line: string, child: ReturnType<typeof spawn>) => void,
): Promise<Run> {
  const script = path.join(app.pkgDir, 'samples', 'raspberry-pi', 'app.js');
  const cmd = [...(CAN_DROP ? DROP : []), process.execPath, script, ...args];
  return new Promise((resolve, reject) => {
    // Node hands NODE_V8_COVERAGE (c8) to every child unless the child's env names it: nobody cannot write the
    // repo's coverage folder, so its coverage (of a sample, which c8 does not count) goes to a folder it can.
    const childEnv = { PATH: process.env['PATH'] ?? '', NODE_V8_COVERAGE: coverageDir(), ...env };
    const child = spawn(cmd[0]!, cmd.slice(1), { cwd: '/', env: childEnv });
    let out = '';
    let err = '';
    let partial = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      partial += d.toString();
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine?.(line, child);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err });
    });
  });
}

let coverage: string | undefined;
function coverageDir(): string {
  if (!coverage) {
    coverage = mkdtempSync(path.join(os.tmpdir(), 'dpl-pi-coverage-'));
    chmodSync(coverage, 0o777);
    process.once('exit', () => rmSync(coverage!, { recursive: true, force: true }));
  }
  return coverage;
}

const firstTelemetryMs = (out: string): number => Number(/first, (\d+) ms after process start/.exec(out)?.[1]);

describe('samples/raspberry-pi: the device app from the installed tarball', function () {
  this.timeout(120_000);
  let app: PackedApp;
  let lab: LabHandle;
  let base: string;
  let configDir: string;
  let stateDir: string;
  let env: Record<string, string>;

  before(async function () {
    app = await packedApp();
    lab = await startTestLab();
    if (!CAN_DROP)
      console.log(`      (running as uid ${process.getuid?.()}: not root, so the app runs as this user, not nobody)`);
    base = mkdtempSync(path.join(os.tmpdir(), 'dpl-pi-'));
    chmodSync(base, 0o755);
    // /etc/dps-private-link as install.sh lays it out: root-owned, not writable by the service; key 0640 root:group.
    configDir = path.join(base, 'etc');
    mkdirSync(path.join(configDir, 'certs'), { recursive: true });
    const device = await lab.createDevice('pi-0001', 'x509-individual');
    if (!('cert' in device.auth)) throw new Error('expected X.509 credentials');
    writeFileSync(path.join(configDir, 'certs', 'pi-0001.pem'), device.auth.cert, { mode: 0o644 });
    writeFileSync(path.join(configDir, 'certs', 'pi-0001.key'), device.auth.key, { mode: 0o640 });
    writeFileSync(path.join(configDir, 'certs', 'lab-ca.pem'), lab.caPem, { mode: 0o644 });
    const config = {
      provisioningHost: lab.dps.host,
      idScope: lab.dps.idScope,
      registrationId: device.registrationId,
      certFile: 'certs/pi-0001.pem',
      keyFile: 'certs/pi-0001.key',
      caFile: 'certs/lab-ca.pem',
      expectedCidrs: lab.vnetCidrs,
      dnsServers: [lab.dnsServer],
      port: lab.dps.port,
      hubPort: lab.hub.port,
    };
    writeFileSync(path.join(configDir, 'device.json'), JSON.stringify(config, null, 2), { mode: 0o640 });
    if (CAN_DROP) {
      for (const f of ['certs/pi-0001.key', 'device.json']) chownSync(path.join(configDir, f), 0, NOBODY.gid);
    }
    chmodSync(path.join(configDir, 'certs'), 0o555);
    chmodSync(configDir, 0o555);
    // /var/lib/dps-private-link: owned by the service user, 0700.
    stateDir = path.join(base, 'state');
    mkdirSync(stateDir, { mode: 0o700 });
    if (CAN_DROP) chownSync(stateDir, NOBODY.uid, NOBODY.gid);
    env = { STATE_DIRECTORY: stateDir };
  });
  after(async () => {
    await lab?.close();
    if (base) {
      chmodSync(configDir, 0o755);
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('provisions cold, then starts from the cache in the state directory, writing nothing next to the config', async () => {
    const args = ['--config', path.join(configDir, 'device.json'), '--count', '2', '--interval', '0.05'];
    const before = lab.counters.registrations;
    const cold = await runApp(app, args, env);
    assert.equal(cold.code, 0, cold.out + cold.err);
    assert.match(cold.out, /online: pi-0001 on lab-hub\.azure-devices\.net \(provisioned over TLSv1\.[23]\)/);
    assert.match(cold.out, /telemetry #2/);
    assert.equal(lab.counters.registrations, before + 1);
    const cache = path.join(stateDir, 'assignment.json');
    assert.equal(statSync(cache).mode & 0o077, 0, 'the cache is private to the service user');
    if (CAN_DROP) assert.equal(statSync(cache).uid, NOBODY.uid);

    const cached = await runApp(app, args, env);
    assert.equal(cached.code, 0, cached.out + cached.err);
    assert.match(cached.out, /online: pi-0001 on lab-hub\.azure-devices\.net \(from cache\)/);
    assert.equal(lab.counters.registrations, before + 1, 'the second start did not register with DPS');
    assert.deepEqual(readdirSync(configDir).sort(), ['certs', 'device.json'], 'nothing written next to the config');
    assert.ok(lab.received('pi-0001').length >= 4);
    assert.doesNotMatch(cold.out + cold.err + cached.out + cached.err, /PRIVATE KEY/);
    console.log(
      `      start to first telemetry: cold ${firstTelemetryMs(cold.out)} ms, cached ${firstTelemetryMs(cached.out)} ms`,
    );
  });

  it('on SIGTERM closes the hub client and exits 0 within 5 s', async () => {
    let signalledAt = 0;
    const r = await runApp(
      app,
      ['--config', path.join(configDir, 'device.json'), '--interval', '0.2'],
      env,
      (line, child) => {
        if (!signalledAt && /telemetry #2/.test(line)) {
          signalledAt = Date.now();
          child.kill('SIGTERM');
        }
      },
    );
    const stopMs = Date.now() - signalledAt;
    assert.ok(signalledAt, `the app sent telemetry: ${r.out}${r.err}`);
    assert.equal(r.signal, null, 'it exited by itself, not by the signal');
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /SIGTERM: closing the hub client/);
    assert.ok(stopMs < 5000, `stopped in ${stopMs} ms`);
  });

  it('survives a hub outage: reconnects with back-off, re-verifying the hub, and carries on sending', async () => {
    // The hub's private A record points at a relay in the VNET; closing the relay is a hub restart / network loss.
    const hubAddress = lab.hub.address;
    const sockets = new Set<net.Socket>();
    const relay = (): net.Server =>
      net
        .createServer((inbound) => {
          const outbound = net.connect(lab.hub.port, hubAddress);
          for (const s of [inbound, outbound]) {
            sockets.add(s);
            s.on('error', () => undefined);
            s.on('close', () => {
              sockets.delete(s);
              inbound.destroy();
              outbound.destroy();
            });
          }
          inbound.pipe(outbound).pipe(inbound);
        })
        .listen(lab.hub.port, '127.10.0.21');
    let server = relay();
    lab.dns.setRecord(lab.hub.privatelinkHost, { a: ['127.10.0.21'], ttl: 1 });
    let phase: 'up' | 'down' | 'back' = 'up';
    let afterOutage = 0;
    try {
      const r = await runApp(
        app,
        ['--config', path.join(configDir, 'device.json'), '--interval', '0.2'],
        env,
        (line, child) => {
          if (phase === 'up' && /telemetry #2\b/.test(line)) {
            phase = 'down';
            server.close();
            for (const s of sockets) s.destroy();
            setTimeout(() => {
              server = relay();
              phase = 'back';
            }, 1500);
          } else if (phase === 'back' && /^telemetry #/.test(line) && ++afterOutage === 2) {
            child.kill('SIGTERM');
          }
        },
      );
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, /offline \(attempt 1\): .*\n\s+diagnose with: dps-check --config/);
      assert.match(r.out, /retrying in \d+\.\d s/);
      const online = r.out.match(/^online: .*$/gm) ?? [];
      assert.ok(online.length >= 2, `connected again after the outage:\n${r.out}`);
      assert.match(online[online.length - 1]!, /\(from cache\)/, 'the reconnect reused the cached assignment');
      assert.equal(afterOutage, 2, 'telemetry flowed again after the outage');
    } finally {
      server.close();
      for (const s of sockets) s.destroy();
      lab.dns.setRecord(lab.hub.privatelinkHost, { a: [hubAddress], ttl: 10 });
    }
  });

  it('refuses a state directory it cannot write: exit 2, one line naming it and the fix', async function () {
    if (!CAN_DROP) this.skip(); // as root every directory is writable: the check needs the unprivileged user
    const r = await runApp(app, ['--config', path.join(configDir, 'device.json')], { STATE_DIRECTORY: configDir });
    assert.equal(r.code, 2, r.out + r.err);
    assert.match(r.err, /^app: --state-dir .*: not writable \(EACCES\): .*install\.sh/);
    assert.equal(r.err.trim().split('\n').length, 1);
  });

  const badInput: [string, string[], RegExp][] = [
    ['a non-numeric --count', ['--count', 'x'], /^app: --count "x": use a whole number/],
    ['a non-numeric --interval', ['--interval', 'soon'], /^app: --interval "soon": use a number of seconds/],
    ['an unknown flag', ['--frobnicate'], /^app: Unknown option '--frobnicate'/],
    ['a flag without its value', ['--state-dir', '--lab'], /^app: --state-dir needs a value \(see --help\)/],
    [
      'a missing config file',
      ['--config', '/nonexistent/device.json'],
      /^app: --config \/nonexistent\/device\.json: no such file/,
    ],
  ];
  for (const [what, args, expected] of badInput) {
    it(`exits 2 with one line for ${what}`, async () => {
      const r = await runApp(app, args, env);
      assert.equal(r.code, 2, r.out + r.err);
      assert.match(r.err, expected);
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
    });
  }

  it('exits 2 naming the field for a missing config value and for a wrong policy', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dpl-pi-bad-'));
    try {
      chmodSync(dir, 0o755);
      const file = path.join(dir, 'device.json');
      writeFileSync(file, JSON.stringify({ provisioningHost: lab.dps.host, registrationId: 'pi-1' }), { mode: 0o644 });
      const missing = await runApp(app, ['--config', file], env);
      assert.equal(missing.code, 2);
      assert.match(missing.err, /^app: .*device\.json#idScope: missing: set "idScope" in the file or DPS_ID_SCOPE\n$/);
      writeFileSync(file, JSON.stringify({ provisioningHost: lab.dps.host, policy: 'strict' }), { mode: 0o644 });
      const policy = await runApp(app, ['--config', file], env);
      assert.equal(policy.code, 2);
      assert.match(policy.err, /^app: Invalid .*device\.json#policy: "strict" is not one of enforce, warn, off/);
      assert.equal(policy.err.trim().split('\n').length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  /** A fresh state directory owned by the user the app runs as, 0700. */
  const freshStateDir = (): string => {
    const dir = path.join(base, `lab-state-${Math.random().toString(36).slice(2)}`);
    mkdirSync(dir, { mode: 0o700 });
    if (CAN_DROP) chownSync(dir, NOBODY.uid, NOBODY.gid);
    return dir;
  };
  const labArgs = ['--lab', '--count', '1', '--interval', '0.05', '--no-posture'];

  /** A config file like device.json with `over` merged in, in a fresh world-readable directory; removed by `done`. */
  const configWith = (over: Record<string, unknown>): { file: string; done(): void } => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dpl-pi-cfg-'));
    chmodSync(dir, 0o755);
    const config = JSON.parse(readFileSync(path.join(configDir, 'device.json'), 'utf8')) as Record<string, unknown>;
    for (const key of ['certFile', 'keyFile', 'caFile']) config[key] = path.join(configDir, String(config[key]));
    const file = path.join(dir, 'device.json');
    writeFileSync(file, JSON.stringify({ ...config, ...over }), { mode: 0o644 });
    return { file, done: () => rmSync(dir, { recursive: true, force: true }) };
  };

  it('goes through the "proxy" of the config (mqtt-ws), for DPS and the hub', async function () {
    // The config has no hub WebSocket port (the hub is always 443 over mqtt-ws): a relay on 443 stands in for it.
    if (!IS_ROOT) this.skip();
    const open = new Set<net.Socket>();
    const relay = net.createServer((inbound) => {
      const outbound = net.connect(lab.hub.wsPort, lab.hub.address);
      for (const s of [inbound, outbound]) {
        open.add(s);
        s.on('error', () => undefined);
        s.once('close', () => open.delete(s));
      }
      inbound.pipe(outbound).pipe(inbound);
      inbound.once('close', () => outbound.destroy());
      outbound.once('close', () => inbound.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(443, '127.10.0.22', resolve));
    const proxy = await startTestProxy('127.10.0.5', {
      [lab.dps.host]: lab.dps.address,
      [lab.hub.host]: '127.10.0.22',
    });
    const cfg = configWith({ transport: 'mqtt-ws', proxy: `http://127.10.0.5:${proxy.port}`, wsPort: lab.dps.wsPort });
    try {
      const r = await runApp(app, ['--config', cfg.file, '--count', '1', '--interval', '0.05', '--no-posture'], {
        STATE_DIRECTORY: freshStateDir(),
      });
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, /PROXY_IN_PATH/);
      assert.deepEqual(proxy.connects, [`${lab.dps.host}:${lab.dps.wsPort}`, `${lab.hub.host}:443`]);
    } finally {
      cfg.done();
      await proxy.close();
      for (const s of open) s.destroy();
      await new Promise((resolve) => relay.close(resolve));
    }
  });

  it('keeps the cache at the "cacheFile" of the config (which dps-check reads) inside the state directory', async () => {
    const cfg = configWith({ cacheFile: path.join(stateDir, 'from-config.json') });
    try {
      const r = await runApp(app, ['--config', cfg.file, '--count', '1', '--interval', '0.05'], env);
      assert.equal(r.code, 0, r.out + r.err);
      assert.ok(statSync(path.join(stateDir, 'from-config.json')).isFile(), 'the cache is where the config says');
    } finally {
      rmSync(path.join(stateDir, 'from-config.json'), { force: true });
      rmSync(path.join(stateDir, 'from-config.json.posture'), { force: true });
      cfg.done();
    }
  });

  it('with a certificate and DPS_SYMMETRIC_KEY both set, uses the certificate and says so, never the key', async () => {
    const key = 'c2VjcmV0LWtleS12YWx1ZS1mb3ItdGVzdHM=';
    const cfg = configWith({});
    try {
      const args = ['--config', cfg.file, '--count', '1', '--interval', '0.05', '--no-posture'];
      const r = await runApp(app, args, { ...env, DPS_SYMMETRIC_KEY: key });
      assert.equal(r.code, 0, r.out + r.err);
      assert.match(r.out, /^warning: DPS_SYMMETRIC_KEY is set too; the certificate is used, unset the key$/m);
      assert.match(r.out, /telemetry #1/);
      assert.doesNotMatch(r.out + r.err, new RegExp(key));
    } finally {
      cfg.done();
    }
  });

  it('refuses a "cacheFile" outside the state directory: exit 2, one line naming both', async () => {
    const cfg = configWith({ cacheFile: '/tmp/elsewhere/assignment.json' });
    try {
      const r = await runApp(app, ['--config', cfg.file, '--count', '1'], env);
      assert.equal(r.code, 2, r.out + r.err);
      assert.match(
        r.err,
        /^app: .*device\.json#cacheFile: \/tmp\/elsewhere\/assignment\.json is outside the state dir/,
      );
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
    } finally {
      cfg.done();
    }
  });

  it('--lab keeps its cache in --state-dir and leaves it there; a second lab run uses that directory too', async () => {
    const dir = freshStateDir();
    const first = await runApp(app, [...labArgs, '--state-dir', dir], {});
    assert.equal(first.code, 0, first.out + first.err);
    assert.match(first.out, new RegExp(`state ${dir.replace(/[.]/g, '\\.')}$`, 'm'));
    assert.ok(statSync(path.join(dir, 'assignment.json')).isFile(), `the cache is in --state-dir:\n${first.out}`);
    assert.match(first.out, /lab: state kept in /);
    // STATE_DIRECTORY chooses it as well (a lab run under systemd); each lab is new, so the old cache may not apply.
    const second = await runApp(app, [...labArgs], { STATE_DIRECTORY: dir });
    assert.equal(second.code, 0, second.out + second.err);
    assert.match(second.out, new RegExp(`state ${dir.replace(/[.]/g, '\\.')}$`, 'm'));
    assert.match(second.out, /online: pi-0001 on lab-hub\.azure-devices\.net/);
  });

  it('--lab refuses --config (the lab writes its own): exit 2, one line saying why', async () => {
    const r = await runApp(app, [...labArgs, '--config', path.join(configDir, 'device.json')], {});
    assert.equal(r.code, 2, r.out + r.err);
    assert.match(r.err, /^app: --config does not go with --lab \(the lab writes its own config\): drop one$/m);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
  });

  it('--lab is not redirected by DPS_* settings in the environment, and says it ignored them', async () => {
    const r = await runApp(app, labArgs, { DPS_ID_SCOPE: '0ne00099999', DPS_EXPECTED_CIDRS: '10.99.0.0/16' });
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(
      r.out,
      /^lab: ignoring from the environment \(the lab has its own\):\n {2}DPS_EXPECTED_CIDRS, DPS_ID_SCOPE$/m,
    );
    assert.match(r.out, /telemetry #1/);
    const wide = r.out.split('\n').filter((l) => l.length > 80);
    assert.deepEqual(wide, [], 'the quick start reads in 80 columns');
  });

  it('--help explains the flags and exits 0', async () => {
    const r = await runApp(app, ['--help'], {});
    assert.equal(r.code, 0);
    assert.match(r.out, /^Usage: node app\.js/);
    assert.ok(
      r.out.split('\n').every((l) => l.length <= 80),
      'fits 80 columns',
    );
  });
});

describe('samples/raspberry-pi: the systemd unit and the install script', function () {
  this.timeout(60_000);

  it('the unit passes systemd-analyze verify and has the hardening the guide promises', async function () {
    const unitText = readFileSync(path.join(SAMPLE, 'dps-private-link.service'), 'utf8');
    for (const line of [
      'User=dps-device',
      'StateDirectory=dps-private-link',
      'ConfigurationDirectory=dps-private-link',
      'Restart=on-failure',
      'RestartPreventExitStatus=2',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ProtectHome=yes',
      'PrivateTmp=yes',
      'ReadOnlyPaths=/etc/dps-private-link',
    ])
      assert.ok(unitText.split('\n').includes(line), `the unit has ${line}`);
    if (spawnSync('systemd-analyze', ['--version']).status !== 0) {
      console.log('      (systemd-analyze not installed: the unit was not verified; .ci/run installs systemd)');
      this.skip();
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dpl-unit-'));
    try {
      // verify checks that ExecStart's program exists: point it at this node and the sample in the clone.
      const unit = path.join(dir, 'dps-private-link.service');
      writeFileSync(
        unit,
        unitText.replace(/^ExecStart=\S+ \S+/m, `ExecStart=${process.execPath} ${path.join(SAMPLE, 'app.js')}`),
      );
      const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
      const complaints = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes('dps-private-link.service'));
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      assert.deepEqual(complaints, [], 'systemd-analyze has nothing to say about the unit');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('install.sh is valid sh, explains itself with --help and refuses to run without a package (exit 2)', async () => {
    const script = path.join(SAMPLE, 'install.sh');
    await execFileP('sh', ['-n', script]);
    const help = await execFileP('sh', [script, '--help'], { env: cleanEnv() });
    assert.match(help.stdout, /sudo sh install\.sh <package>/);
    const none = spawnSync('sh', [script], { encoding: 'utf8' });
    assert.equal(none.status, 2);
    assert.match(none.stderr, /^install\.sh: missing <package>/);
    const text = readFileSync(script, 'utf8');
    assert.match(text, /chmod 0640/, 'certificates and key 0640');
    assert.match(text, /install -d -m 0700 -o "\$SERVICE_USER"/, 'state directory private to the service user');
  });

  it('install.sh --dry-run prints the whole plan from the tarball and changes nothing on the host', async () => {
    const app = await packedApp();
    const script = path.join(app.pkgDir, 'samples', 'raspberry-pi', 'install.sh');
    const paths = ['/opt/dps-private-link', '/etc/dps-private-link', '/var/lib/dps-private-link'];
    const unit = '/etc/systemd/system/dps-private-link.service';
    const state = (): string =>
      JSON.stringify(
        [...paths, unit]
          .map((p) => [p, spawnSync('test', ['-e', p]).status])
          .concat([['user', spawnSync('id', ['-u', 'dps-device']).status]]),
      );
    const before = state();
    // As nobody when we are root: should the dry run ever run a step for real, it fails instead of changing the host.
    const cmd = [...(CAN_DROP ? DROP : []), 'sh', script, '--dry-run', app.tarball];
    const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', env: cleanEnv() });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    for (const step of [
      /^\+ useradd --system .* dps-device$/m,
      new RegExp(`^\\+ npm install --prefix /opt/dps-private-link .*${path.basename(app.tarball)}$`, 'm'),
      /^\+ install -d -m 0700 -o dps-device -g dps-device \/var\/lib\/dps-private-link$/m,
      /^\+ systemctl enable dps-private-link\.service$/m,
    ])
      assert.match(r.stdout, step);
    assert.match(r.stdout, /dry run: nothing was changed\n$/);
    assert.doesNotMatch(r.stdout, /wrote \/etc/);
    assert.equal(state(), before, 'no user, directory or unit appeared');
  });
});
