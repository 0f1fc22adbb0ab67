// The Raspberry Pi sample reports its posture by default and not with --no-posture. Run from the clone after
// `npm run build` (it requires the package itself), with its own lab on loopback (--lab).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

function runPi(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const app = path.join(ROOT, 'samples', 'raspberry-pi', 'app.js');
    const child = spawn(process.execPath, [app, '--lab', '--count', '2', '--interval', '0.01', ...args], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('samples/raspberry-pi: posture in the twin by default, --no-posture opts out', function () {
  this.timeout(120_000);

  it('by default the twin reports privateLink with private DPS and hub', async () => {
    const r = await runPi([]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /posture: sent \(privateLink, \d+ bytes\)/);
    assert.match(r.out, /lab: twin reports privateLink \(dps private-in-vnet, hub private-in-vnet\)/);
    assert.match(r.out, /lab: hub received 2 message\(s\)/);
  });

  it('--no-posture writes nothing to the twin and still sends telemetry', async () => {
    const r = await runPi(['--no-posture']);
    assert.equal(r.code, 0, r.out);
    assert.doesNotMatch(r.out, /posture:/);
    assert.match(r.out, /lab: twin has no privateLink/);
    assert.match(r.out, /lab: hub received 2 message\(s\)/);
  });
});
