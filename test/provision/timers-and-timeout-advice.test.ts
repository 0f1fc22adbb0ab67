import assert from 'node:assert/strict';
import { createFinding } from '../../src/findings/finding';
import { Deadline } from '../../src/provision/deadline';

describe('provision: timers never fire early, and DPS_TIMEOUT advice follows the step', () => {
  it('a sleep longer than setTimeout allows (retry-after 3e6 s) waits instead of firing at once', async () => {
    const deadline = new Deadline(10_000);
    let woke = false;
    const sleeping = deadline.sleep(3e9).then(
      () => (woke = true),
      () => undefined,
    );
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(woke, false, 'setTimeout clamps delays > 2^31-1 ms to 1 ms; the sleep must be capped instead');
    deadline.stop({ kind: 'timeout' });
    await sleeping;
    deadline.dispose();
  });

  const table: [string, RegExp][] = [
    ['resolving', /DNS server/],
    ['connecting', /route to the private endpoint/],
    ['tls', /route to the private endpoint/],
    ['registering', /DPS accepted the connection/],
    ['polling', /DPS accepted the connection/],
    ['verifying hub', /hub name/],
  ];
  for (const [step, advice] of table) {
    it(`stuck at "${step}" → the remediation speaks of ${advice.source}`, () => {
      const f = createFinding('DPS_TIMEOUT', { host: 'my-dps.azure-devices-provisioning.net', step, timeoutMs: 1000 });
      assert.match(f.remediation, advice);
    });
  }
  it('only the registering/polling steps blame DPS for not answering', () => {
    for (const step of ['resolving', 'connecting', 'verifying hub']) {
      assert.doesNotMatch(
        createFinding('DPS_TIMEOUT', { host: 'h', step, timeoutMs: 1 }).remediation,
        /DPS accepted the connection/,
      );
    }
  });
});
