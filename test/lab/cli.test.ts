import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLab } from '../../src/lab/lab';
import { formatLabSummary, labSummary } from '../../src/lab/summary';

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

describe('dps-lab CLI', function () {
  this.timeout(30_000);

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

  it('prints the human summary with a ready dps-check command line', async () => {
    const run = await runCli(['--mqtt-port', '0', '--ws-port', '0'], /--register/);
    assert.match(run.stdout, /DPS \(private\)\s+lab-dps\.azure-devices-provisioning\.net -> 127\.10\.0\.10/);
    assert.match(
      run.stdout,
      /dps-check --host lab-dps\.azure-devices-provisioning\.net --id-scope 0ne00000A1B --registration-id lab-device-01/,
    );
    assert.equal(await run.stop(), 0);
  });

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
  it('adds --port/--hub-port/--ws-port to the dps-check line when the lab is not on 8883/443, and holds no secret', async () => {
    const lab = await startLab({ mqttPort: 0, wsPort: 0 });
    try {
      const device = await lab.createDevice('summary-dev', 'symmetric-key');
      const files = { symmetricKey: '/tmp/x/summary-dev.key.txt' };
      const text = formatLabSummary(lab, '/tmp/x/ca.pem', [{ device, files }]);
      assert.match(text, new RegExp(`--port ${lab.dps.port} --hub-port ${lab.hub.port} --ws-port ${lab.dps.wsPort}`));
      // with ephemeral ports every listener has its own: the public twins' ports are printed too
      assert.match(
        text,
        new RegExp(
          `DPS \\(public twin\\) ${lab.publicTwin.address.replace(/\./g, '\\.')}  mqtt :${lab.publicTwin.port}  ws :${lab.publicTwin.wsPort}`,
        ),
      );
      assert.match(
        text,
        new RegExp(
          `Hub \\(public twin\\) ${lab.hub.publicAddress.replace(/\./g, '\\.')}  mqtt :${lab.hub.publicPort}  ws :${lab.hub.publicWsPort}`,
        ),
      );
      const json = JSON.stringify(labSummary(lab, '/tmp/x/ca.pem', [{ device, files }]));
      for (const out of [text, json]) assert.ok(!out.includes((device.auth as { symmetricKey: string }).symmetricKey));
    } finally {
      await lab.close();
    }
  });
});
