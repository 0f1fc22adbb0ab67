// The samples run end to end against the lab (their --lab mode), as child processes, loopback only.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

function runSample(file: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(ROOT, file), ...args], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('samples against the lab', function () {
  this.timeout(45_000);

  it('raspberry-pi: provisions from its JSON config and the hub receives the telemetry', async () => {
    const r = await runSample('samples/raspberry-pi/app.ts', ['--lab', '--count', '2', '--interval-ms', '10']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /provisioned pi-0001 → lab-hub\.azure-devices\.net/);
    assert.match(r.out, /lab hub received 2 message\(s\)/);
  });

  it('gateway: provisions downstream devices concurrently and each sends a message', async () => {
    const r = await runSample('samples/gateway/gateway.ts', ['--lab', '--devices', '6', '--concurrency', '3']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /6\/6 online/);
    assert.match(r.out, /lab: 6 assigned, 6 messages received/);
  });
});
