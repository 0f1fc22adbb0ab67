// The samples also run straight from a clone after `npm run build`: they require('dps-private-link'), which Node
// resolves to this package itself (package.json "exports" self-reference), so the clone runs exactly what ships.
// Each starts its own lab on loopback (--lab).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

function runSample(file: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, file), ...args], {
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

describe('samples run from a clone (--lab)', function () {
  this.timeout(45_000);

  it('raspberry-pi: provisions pi-0001 from its JSON config and the hub receives the telemetry', async () => {
    const r = await runSample('samples/raspberry-pi/app.js', ['--lab', '--count', '2', '--interval', '0.01']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /online: pi-0001 on lab-hub\.azure-devices\.net/);
    assert.match(r.out, /lab: hub received 2 message\(s\)/);
  });

  it('gateway: provisions downstream devices concurrently and each sends a message', async () => {
    const r = await runSample('samples/gateway/gateway.js', ['--lab', '--devices', '6', '--concurrency', '3']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /6\/6 online/);
    assert.match(r.out, /lab: 6 assigned, 6 messages received/);
    assert.deepEqual(
      r.out.split('\n').filter((l) => l.length > 80),
      [],
      'reads in 80 columns',
    );
  });
});
