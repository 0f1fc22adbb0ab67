import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import dns from 'node:dns';
import tls from 'node:tls';
import { LAB_SCENARIOS } from '../../src/lab/index';
import { startLab } from '../../src/lab/lab';
import { dpsCheckCommand, formatLabSummary, labSummary } from '../../src/lab/summary';
import type { LabDevice, LabHandle } from '../../src/lab/types';

const ROOT = path.join(__dirname, '..', '..');

/** Run `dps-lab` from source (tsx) and collect output until `until` matches or it exits. */
function runCli(
  args: string[],
  until?: RegExp,
): Promise<{ stdout: string; stderr: string; code: number | null; stop(): Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(ROOT, 'src/lab/cli.ts'), ...args], {
      cwd: ROOT,
    });
    let stdout = '';
    let stderr = '';
    let exited: number | null | undefined;
    const exit = new Promise<number | null>((r) =>
      child.on('exit', (code, signal) => {
        if (signal) stderr += `killed by ${signal}`;
        r((exited = code));
      }),
    );
    const stop = async (): Promise<number | null> => {
      if (exited === undefined) child.kill('SIGTERM');
      return exit;
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`dps-lab did not finish: ${stdout}\n${stderr}`));
    }, 15_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (until?.test(stdout)) {
        clearTimeout(timer);
        resolve({
          stdout,
          get stderr() {
            return stderr;
          },
          code: null,
          stop,
        });
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    void exit.then((code) => {
      clearTimeout(timer);
      resolve({
        stdout,
        get stderr() {
          return stderr;
        },
        code,
        stop,
      });
    });
  });
}

/** The dps-check commands of a summary, continuation lines joined: what a technician pastes. */
function printedCommands(text: string): string[] {
  const joined = text.replace(/ \\\n\s+/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^(DPS_SYMMETRIC_KEY="\$\(cat \S+\)" )?dps-check /.test(line));
}

/** Runs a printed command in bash, with `dps-check` standing for this checkout's CLI and no DPS_* environment. */
function pasteIntoShell(command: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = path.join(ROOT, 'src/checks/cli.ts');
  const script = `dps-check() { "${process.execPath}" --require tsx/cjs "${cli}" "$@"; }\n${command}\n`;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A resolver asking only the lab DNS server (never the system resolver). */
function resolver(server: string): dns.promises.Resolver {
  const r = new dns.promises.Resolver({ timeout: 1000, tries: 2 });
  r.setServers([server]);
  return r;
}

/** 'tls' when the handshake completes, 'stalled' when TCP connects and nothing comes back within 1 s. */
function tlsOutcome(address: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: address, port, rejectUnauthorized: false });
    let tcp = false;
    const done = (outcome: string): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    // a stall is permanent: the wait is a lower bound, never a race
    const timer = setTimeout(() => done(tcp ? 'stalled' : 'no tcp'), 1000);
    socket.once('connect', () => (tcp = true));
    socket.once('secureConnect', () => done('tls'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(`error ${err.code ?? err.message}`));
  });
}

describe('dps-lab CLI', function () {
  this.timeout(60_000);

  it('starts the lab, prints where everything listens, writes credentials to files (never to stdout), stops on SIGTERM with 0', async () => {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dps-lab-test-'));
    try {
      const run = await runCli(
        [
          '--mqtt-port',
          '0',
          '--ws-port',
          '0',
          '--device',
          'cli-x509',
          '--device',
          'cli-sym:symmetric-key',
          '--json',
          '--out-dir',
          outDir,
        ],
        /\}\n/,
      );
      const summary = JSON.parse(run.stdout) as {
        dnsServer: string;
        dps: { host: string; address: string };
        devices: { registrationId: string; key?: string; symmetricKey?: string }[];
      };
      assert.match(summary.dnsServer, /^127\.0\.0\.53:\d+$/);
      assert.equal(summary.dps.host, 'lab-dps.azure-devices-provisioning.net');
      assert.equal(summary.dps.address, '127.10.0.10');
      const x509 = summary.devices.find((d) => d.registrationId === 'cli-x509')!;
      const sym = summary.devices.find((d) => d.registrationId === 'cli-sym')!;
      assert.match(fs.readFileSync(x509.key!, 'utf8'), /BEGIN PRIVATE KEY/);
      assert.equal(fs.statSync(x509.key!).mode & 0o777, 0o600);
      const symmetricKey = fs.readFileSync(sym.symmetricKey!, 'utf8');
      assert.ok(!run.stdout.includes(symmetricKey), 'the symmetric key is not printed');
      assert.ok(!run.stdout.includes('PRIVATE KEY'));
      const code = await run.stop();
      assert.equal(code, 0, run.stderr);
    } finally {
      fs.rmSync(outDir, { recursive: true, force: true });
    }
  });

  it('prints dps-check commands that run as pasted: real ports (--hub-ws-port too), DPS_SYMMETRIC_KEY from its file', async () => {
    // Pasted into a shell, each command must pass against the lab it came from. Before, the line lacked
    // --hub-ws-port (the hub checks dialled 443) and a symmetric-key device got no runnable command at all.
    const run = await runCli(
      ['--mqtt-port', '0', '--ws-port', '0', '--device', 'paste-x509', '--device', 'paste-sym:symmetric-key'],
      /Device paste-sym[\s\S]*provisionDevice/,
    );
    try {
      const commands = printedCommands(run.stdout);
      assert.equal(commands.length, 2, run.stdout);
      assert.match(
        commands[0] ?? '',
        /^dps-check --host lab-dps\.azure-devices-provisioning\.net --id-scope 0ne00000A1B/,
      );
      assert.match(commands[0] ?? '', /--hub-ws-port \d+/);
      assert.match(commands[1] ?? '', /^DPS_SYMMETRIC_KEY="\$\(cat \S+paste-sym\.key\.txt\)" dps-check /);
      // The provisionDevice options are JavaScript a user pastes: quoted like the rest, with the lab's real port.
      assert.match(run.stdout, /expectedCidrs: \['127\.10\.0\.0\/16'\],/);
      const port = /--port (\d+)/.exec(commands[0] ?? '')?.[1];
      assert.ok(port && port !== '8883', commands[0]);
      assert.ok(run.stdout.includes(`port: ${port},`), run.stdout);
      for (const command of commands) {
        const check = await pasteIntoShell(command);
        assert.equal(check.code, 0, `${command}\n${check.stdout}${check.stderr}`);
        assert.match(check.stdout, /√ hub-tls-websocket/);
      }
    } finally {
      assert.equal(await run.stop(), 0);
    }
  });

  it('--help fits 80 columns', async () => {
    const run = await runCli(['--help']);
    assert.equal(run.code, 0);
    const wide = run.stdout.split('\n').filter((line) => line.length > 80);
    assert.deepEqual(wide, []);
    assert.match(run.stdout, /--scenario <name>/);
  });

  it('--list-scenarios lists every scenario of the table within 80 columns', async () => {
    const run = await runCli(['--list-scenarios']);
    assert.equal(run.code, 0);
    for (const s of LAB_SCENARIOS) assert.match(run.stdout, new RegExp(`^${s.name}$`, 'm'));
    assert.deepEqual(
      run.stdout.split('\n').filter((line) => line.length > 80),
      [],
    );
  });

  it('--scenario stages the setup and prints what the technician should see, from the table', async () => {
    const scenario = LAB_SCENARIOS.find((s) => s.name === 'rebind-filter')!;
    const run = await runCli(
      ['--mqtt-port', '0', '--ws-port', '0', '--scenario', 'rebind-filter'],
      /finding codes:\n.*\n/,
    );
    try {
      assert.match(run.stdout, /^Scenario rebind-filter:$/m);
      assert.match(run.stdout, /^ {4}dps-dns \(error\)$/m);
      for (const code of scenario.expect.codes) assert.ok(run.stdout.includes(code), code);
      assert.ok(run.stdout.includes(scenario.technician.split(' ').slice(0, 6).join(' ')));
      const dnsServer = /DNS server\s+([^\s,]+)/.exec(run.stdout)?.[1] ?? '';
      await assert.rejects(resolver(dnsServer).resolve4('lab-dps.privatelink.azure-devices-provisioning.net'), {
        code: 'ENODATA',
      });
    } finally {
      assert.equal(await run.stop(), 0);
    }
  });

  it('--dns-view dps=<view>,hub=<view> and --fault are staged; --json carries the scenario and the command', async () => {
    const run = await runCli(
      [
        '--mqtt-port',
        '0',
        '--ws-port',
        '0',
        '--dns-view',
        'dps=nxdomain,hub=outside-vnet',
        '--fault',
        'tls-stall',
        '--json',
      ],
      /\}\n/,
    );
    try {
      const summary = JSON.parse(run.stdout) as {
        dnsServer: string;
        dps: { address: string; port: number };
        devices: { dpsCheck: { args: string[] } }[];
        scenario?: unknown;
      };
      assert.equal(summary.scenario, undefined);
      assert.ok(summary.devices[0]?.dpsCheck.args.includes('--register'));
      const r = resolver(summary.dnsServer);
      await assert.rejects(r.resolve4('lab-dps.azure-devices-provisioning.net'), { code: 'ENOTFOUND' });
      assert.deepEqual(await r.resolve4('lab-hub.azure-devices.net'), ['10.99.0.4']);
      assert.equal(await tlsOutcome(summary.dps.address, summary.dps.port), 'stalled');
    } finally {
      assert.equal(await run.stop(), 0);
    }
    const both = await runCli(['--mqtt-port', '0', '--ws-port', '0', '--dns-view', 'public', '--json'], /\}\n/);
    try {
      const { dnsServer } = JSON.parse(both.stdout) as { dnsServer: string };
      assert.deepEqual(await resolver(dnsServer).resolve4('lab-hub.azure-devices.net'), ['127.200.0.2']);
      assert.deepEqual(await resolver(dnsServer).resolve4('lab-dps.azure-devices-provisioning.net'), ['127.200.0.1']);
    } finally {
      assert.equal(await both.stop(), 0);
    }
  });

  for (const [args, pattern] of [
    [
      ['--scenario', 'sideways'],
      /^dps-lab: --scenario "sideways" is not a scenario; use one of public-dns, .*rebind-filter/,
    ],
    [['--dns-view', 'sideways'], /^dps-lab: --dns-view sideways: "sideways" is not a view; use one of private, public/],
    [
      ['--dns-view', 'dps=public,edge=private'],
      /^dps-lab: --dns-view dps=public,edge=private: "edge" is not dps or hub/,
    ],
    [['--dns-view', 'hub=sideways'], /^dps-lab: --dns-view hub=sideways: "sideways" is not a view/],
    [['--fault', 'gremlins'], /^dps-lab: --fault "gremlins" is not a fault kind; use one of throttle, .*tls-stall/],
    [
      ['--retry-after', '--scenario', 'x'],
      /^dps-lab: --retry-after has no value \(the next argument, '--scenario', starts/,
    ],
  ] as const) {
    it(`${args.join(' ')}: one line naming the input and the valid values, exit 2`, async () => {
      const run = await runCli([...args]);
      assert.equal(run.code, 2);
      assert.match(run.stderr, pattern);
      assert.equal(run.stderr.trimEnd().split('\n').length, 1, run.stderr);
    });
  }

  it('exits 2 on bad usage, naming the problem', async () => {
    const bad = await runCli(['--mqtt-port', 'eighty']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--mqtt-port must be a whole number/);
    const unknown = await runCli(['--frobnicate']);
    assert.equal(unknown.code, 2);
    const field = await runCli(['--dns-address', '10.0.0.1']);
    assert.equal(field.code, 2);
    assert.match(field.stderr, /Invalid dnsAddress: 10\.0\.0\.1 is not a loopback address/);
    const clock = await runCli(['--clock-offset-ms', '10min']);
    assert.equal(clock.code, 2);
    assert.match(clock.stderr, /--clock-offset-ms must be a whole number/);
  });

  it('--clock-offset-ms starts the lab with a skewed clock and says so in the summary', async () => {
    // a negative value needs the = form: node's parseArgs takes a separate "-600000" for an option
    const run = await runCli(['--mqtt-port', '0', '--ws-port', '0', '--clock-offset-ms=-600000'], /--register/);
    assert.match(run.stdout, /Lab clock\s+600000 ms behind this host/);
    assert.equal(await run.stop(), 0);
  });
});

describe('dps-lab summary', () => {
  it('not root (8883 and 8443): the command names only the WebSocket ports, --hub-ws-port 8443 included', () => {
    // a handle as startLab returns it for a non-root user; only the fields the command reads matter here
    const lab = {
      dnsServer: '127.0.0.53:5353',
      vnetCidrs: ['127.10.0.0/16'],
      dps: { host: 'lab-dps.azure-devices-provisioning.net', idScope: '0ne00000A1B', port: 8883, wsPort: 8443 },
      hub: { port: 8883, wsPort: 8443 },
    } as unknown as LabHandle;
    const device = { registrationId: 'pi-1', deviceId: 'pi-1', kind: 'x509-individual' } as LabDevice;
    const { args } = dpsCheckCommand(lab, '/tmp/x/ca.pem', { device, files: { cert: '/c.pem', key: '/k.pem' } });
    const ports = args.filter((a, i) => /port$/.test(a) || /port$/.test(args[i - 1] ?? ''));
    assert.deepEqual(ports, ['--ws-port', '8443', '--hub-ws-port', '8443']);
  });

  it('warns that public-access-disabled needs fixed ports when the public twin listens on ephemeral ports of its own', async () => {
    const scenario = LAB_SCENARIOS.find((s) => s.name === 'public-access-disabled')!;
    const lab = await startLab({ mqttPort: 0, wsPort: 0 });
    try {
      const text = formatLabSummary(lab, '/tmp/x/ca.pem', [], scenario);
      assert.match(text, /start dps-lab with fixed --mqtt-port and --ws-port/);
      const other = LAB_SCENARIOS.find((s) => s.name === 'public-dns')!;
      assert.doesNotMatch(formatLabSummary(lab, '/tmp/x/ca.pem', [], other), /fixed --mqtt-port/);
    } finally {
      await lab.close();
    }
  });

  it('adds --port/--ws-port/--hub-port/--hub-ws-port to the dps-check line when the lab is not on 8883/443, and holds no secret', async () => {
    const lab = await startLab({ mqttPort: 0, wsPort: 0 });
    try {
      const device = await lab.createDevice('summary-dev', 'symmetric-key');
      const files = { symmetricKey: '/tmp/x/summary-dev.key.txt' };
      const text = formatLabSummary(lab, '/tmp/x/ca.pem', [{ device, files }]);
      const line = printedCommands(text)[0] ?? '';
      assert.match(line, new RegExp(`--port ${lab.dps.port} --ws-port ${lab.dps.wsPort} `));
      assert.match(line, new RegExp(`--hub-port ${lab.hub.port} --hub-ws-port ${lab.hub.wsPort} `));
      assert.match(line, /^DPS_SYMMETRIC_KEY="\$\(cat \/tmp\/x\/summary-dev\.key\.txt\)" dps-check /);
      for (const l of text.split('\n')) assert.ok(l.length <= 80, `wider than 80 columns: ${l}`);
      // with ephemeral ports every listener has its own: the public twins' ports are printed too
      assert.match(
        text,
        new RegExp(
          `DPS \\(public twin\\) ${lab.publicTwin.address.replace(/\./g, '\\.')}, mqtt ${lab.publicTwin.port}, ws ${lab.publicTwin.wsPort}`,
        ),
      );
      assert.match(
        text,
        new RegExp(
          `Hub \\(public twin\\) ${lab.hub.publicAddress.replace(/\./g, '\\.')}, mqtt ${lab.hub.publicPort}, ws ${lab.hub.publicWsPort}`,
        ),
      );
      const json = JSON.stringify(labSummary(lab, '/tmp/x/ca.pem', [{ device, files }]));
      for (const out of [text, json]) assert.ok(!out.includes((device.auth as { symmetricKey: string }).symmetricKey));
    } finally {
      await lab.close();
    }
  });
});
