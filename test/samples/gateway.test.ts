// The gateway from the installed tarball, with real-device inputs (--config + --list) against a lab on loopback that
// throttles: every device still comes online, through provisionDevice's retries and the gateway's shared back-off.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packedApp, type PackedApp } from '../package/packed-app';
import { startTestLab } from '../support/provision-lab';
import { startTestProxy } from '../support/proxy';
import type { LabHandle } from '../../src/lab/types';

function runGateway(app: PackedApp, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const script = path.join(app.pkgDir, 'samples', 'gateway', 'gateway.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: app.dir,
      env: { PATH: process.env['PATH'] ?? '' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

describe('samples/gateway from the installed tarball', function () {
  this.timeout(90_000);
  let app: PackedApp;
  let lab: LabHandle;
  let dir: string;
  let config: string;
  let list: string;

  before(async () => {
    app = await packedApp();
    lab = await startTestLab();
    dir = mkdtempSync(path.join(os.tmpdir(), 'dpl-gateway-'));
    const entries = [];
    for (let i = 0; i < 8; i++) {
      const d = await lab.createDevice(`leaf-${i}`, 'x509-group', { keyType: 'ec' });
      if (!('cert' in d.auth)) throw new Error('expected X.509 credentials');
      writeFileSync(path.join(dir, `leaf-${i}.pem`), d.auth.cert);
      writeFileSync(path.join(dir, `leaf-${i}.key`), d.auth.key, { mode: 0o600 });
      entries.push({ registrationId: d.registrationId, certFile: `leaf-${i}.pem`, keyFile: `leaf-${i}.key` });
    }
    list = path.join(dir, 'devices.json');
    writeFileSync(list, JSON.stringify(entries));
    writeFileSync(path.join(dir, 'lab-ca.pem'), lab.caPem);
    config = path.join(dir, 'gateway.json');
    writeFileSync(
      config,
      JSON.stringify({
        provisioningHost: lab.dps.host,
        idScope: lab.dps.idScope,
        caFile: 'lab-ca.pem',
        expectedCidrs: lab.vnetCidrs,
        dnsServers: [lab.dnsServer],
        port: lab.dps.port,
        hubPort: lab.hub.port,
      }),
    );
  });
  after(async () => {
    await lab?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('brings every device online through a throttling DPS and prints one row per device', async () => {
    // 30 throttled answers spread over 8 devices: some exhaust provisionDevice's 5 attempts and are queued again.
    lab.setFault({ kind: 'throttle', times: 30 });
    const r = await runGateway(app, ['--config', config, '--list', list, '--concurrency', '4']);
    lab.setFault(undefined);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^8\/8 online in \d+ ms \([\d.]+ devices\/s; \d+ requeued after 429\)$/m);
    for (let i = 0; i < 8; i++) assert.match(r.out, new RegExp(`^  leaf-${i}\\s+online\\s+\\d+\\s+\\d+  lab-hub`, 'm'));
    assert.equal(lab.hubDevices().length, 8);
    assert.doesNotMatch(r.out + r.err, /PRIVATE KEY/);
  });

  const bad: [string, string[], RegExp][] = [
    ['a non-numeric --concurrency', ['--lab', '--concurrency', 'abc'], /^gateway: --concurrency "abc": use a whole/],
    ['a non-numeric --devices', ['--lab', '--devices', 'x'], /^gateway: --devices "x": use a whole number/],
    ['no devices at all', [], /^gateway: missing --list FILE/],
    ['a bad --list path', ['--list', '/nonexistent.json'], /^gateway: --list \/nonexistent\.json: ENOENT/],
    ['a bad --table', ['--lab', '--table', 'some'], /^gateway: --table "some": use all or failed/],
    ['a flag without its value', ['--devices', '--lab'], /^gateway: --devices needs a value \(see --help\)/],
  ];
  for (const [what, args, expected] of bad) {
    it(`exits 2 with one line for ${what}`, async () => {
      const r = await runGateway(app, args);
      assert.equal(r.code, 2, r.out + r.err);
      assert.match(r.err, expected);
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
    });
  }

  /** A copy of gateway.json with `over` merged in, next to it (so its relative paths still hold). */
  const configWith = (name: string, over: Record<string, unknown>): string => {
    const file = path.join(dir, name);
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), ...over }));
    return file;
  };

  it('exits 2 with one line naming "caFile" when the config points at a file that is not there', async () => {
    const r = await runGateway(app, ['--config', configWith('no-ca.json', { caFile: 'missing.pem' }), '--list', list]);
    assert.equal(r.code, 2, r.out + r.err);
    assert.match(r.err, /^gateway: .*no-ca\.json#caFile: cannot read .*missing\.pem \(ENOENT\): fix the path/);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
  });

  it('provisions through the "proxy" of the config (mqtt-ws)', async () => {
    const proxy = await startTestProxy('127.10.0.5', { [lab.dps.host]: lab.dps.address });
    try {
      const file = configWith('proxied.json', {
        transport: 'mqtt-ws',
        proxy: `http://127.10.0.5:${proxy.port}`,
        wsPort: lab.dps.wsPort,
      });
      const r = await runGateway(app, ['--config', file, '--list', list, '--table', 'failed']);
      // The hub's WebSocket port (443) is not the lab's, so the hub step may fail: DPS went through the proxy.
      assert.ok(
        proxy.connects.filter((c) => c === `${lab.dps.host}:${lab.dps.wsPort}`).length >= 8,
        `every registration went through the proxy: ${proxy.connects.join(', ')}\n${r.out}${r.err}`,
      );
    } finally {
      await proxy.close();
    }
  });

  it('--help fits 80 columns and exits 0', async () => {
    const r = await runGateway(app, ['--help']);
    assert.equal(r.code, 0);
    assert.match(r.out, /^Usage: node gateway\.js/);
    assert.ok(r.out.split('\n').every((l) => l.length <= 80));
  });
});
