// dps-check --proxy against the lab through a real CONNECT proxy on loopback: the registration goes through it, the
// report says so (PROXY_IN_PATH), and a proxy URL with credentials is refused without printing them.
import assert from 'node:assert/strict';
import { startLab } from '../../src/lab/lab';
import type { LabHandle } from '../../src/lab/types';
import { startTestProxy, type TestProxy } from '../support/proxy';
import { jsonOf, labDeviceArgs, runCli } from './cli-helper';
import { put, tempDir } from './fixtures';

const PROXY_ADDRESS = '127.10.0.5';
const PASSWORD = 'Pr0xy-S3cret-pw';

describe('dps-check --proxy through a real CONNECT proxy (lab)', function () {
  this.timeout(90_000);
  let lab: LabHandle;
  let proxy: TestProxy;
  let args: string[];
  let env: Record<string, string>;
  const dir = tempDir('dps-check-proxy-');

  before(async () => {
    lab = await startLab({ retryAfterSeconds: 0 });
    // The proxy resolves names itself, from a map mirroring the lab's private answers (never the system resolver).
    proxy = await startTestProxy(PROXY_ADDRESS, { [lab.dps.host]: lab.dps.address, [lab.hub.host]: lab.hub.address });
    const d = await lab.createDevice('proxied-tech-dev', 'symmetric-key');
    assert.ok('symmetricKey' in d.auth);
    env = { DPS_SYMMETRIC_KEY: d.auth.symmetricKey };
    args = [
      ...labDeviceArgs(lab, put(dir, 'lab-ca.pem', lab.caPem), d.registrationId),
      '--transport',
      'mqtt-ws',
      '--register',
    ];
  });
  after(async () => {
    await proxy?.close();
    await lab?.close();
  });

  it('--register goes through the proxy (it saw the CONNECT to DPS) and dps-register reports PROXY_IN_PATH', async () => {
    const before = proxy.connects.length;
    const doc = jsonOf(await runCli([...args, '--proxy', `http://${PROXY_ADDRESS}:${proxy.port}`, '--json'], env));
    const register = doc.checks.find((c) => c.id === 'dps-register');
    assert.equal(register?.evidence['assignedHub'], lab.hub.host, JSON.stringify(register));
    assert.ok(proxy.connects.slice(before).includes(`${lab.dps.host}:${lab.dps.wsPort}`), proxy.connects.join(', '));
    const finding = register.findings.find((f) => f.code === 'PROXY_IN_PATH');
    assert.ok(finding, JSON.stringify(register.findings));
    // Inside --expect-cidr: a warning, the registration itself succeeded.
    assert.equal(finding.severity, 'warning');
    assert.equal(register.result, 'warning');
    assert.ok(finding.message.includes(`${PROXY_ADDRESS}:${proxy.port}`), finding.message);
  });

  for (const how of ['--proxy', 'DPS_PROXY', 'config file'] as const) {
    it(`a proxy URL with user:password (${how}) is refused before any CONNECT, the password in no output`, async () => {
      const url = `http://tech:${PASSWORD}@${PROXY_ADDRESS}:${proxy.port}`;
      const before = proxy.connects.length;
      const flag =
        how === '--proxy'
          ? ['--proxy', url]
          : how === 'config file'
            ? ['--config', put(dir, 'device.json', JSON.stringify({ proxy: url }))]
            : [];
      const withEnv = how === 'DPS_PROXY' ? { ...env, DPS_PROXY: url } : env;
      for (const output of [[], ['--json']]) {
        const run = await runCli([...args, ...flag, ...output], withEnv);
        assert.notEqual(run.code, 0, run.stdout);
        assert.match(`${run.stdout}${run.stderr}`, /without credentials/);
        assert.ok(!`${run.stdout}${run.stderr}`.includes(PASSWORD), `${run.stdout}\n${run.stderr}`);
        assert.ok(!`${run.stdout}${run.stderr}`.includes(`tech:`), `${run.stdout}\n${run.stderr}`);
      }
      assert.equal(proxy.connects.length, before);
    });
  }
});
